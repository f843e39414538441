package cases

import (
	"context"
	"fmt"
	"sort"
	"time"

	"nanhu/internal/workcal"
)

// monthOf is t's month in Asia/Shanghai as YYYYMM.
func monthOf(t time.Time) int {
	l := t.In(workcal.Shanghai())
	return l.Year()*100 + int(l.Month())
}

// workingDays are the working days from a case's arrival to t (0 on the
// same day).
func (s *Store) workingDays(from, to time.Time) int {
	return s.cal.Between(from.In(workcal.Shanghai()), to.In(workcal.Shanghai()))
}

// Figures are the 网上监督 numbers of a group of cases.
type Figures struct {
	Received, Answered, OnTime int
	// DaysSum is the working days the answered cases took, summed.
	DaysSum int
	// Ratings[1..5] count the five levels; Ratings[0] the answers not
	// (yet) rated. Unrated ones past the rating window count as the
	// store's UnratedAs level, and are in Ratings[UnratedAs] too.
	Ratings [6]int
}

// OnTimeRate is the share of answered cases answered by their deadline,
// 0 to 1 (0 when none was answered).
func (f Figures) OnTimeRate() float64 {
	if f.Answered == 0 {
		return 0
	}
	return float64(f.OnTime) / float64(f.Answered)
}

// AvgDays is the average working days to answer.
func (f Figures) AvgDays() float64 {
	if f.Answered == 0 {
		return 0
	}
	return float64(f.DaysSum) / float64(f.Answered)
}

// Satisfied is the share of rated answers rated 满意 or better (基本满意
// counts), 0 to 1.
func (f Figures) Satisfied() float64 {
	rated := f.Ratings[1] + f.Ratings[2] + f.Ratings[3] + f.Ratings[4] + f.Ratings[5]
	if rated == 0 {
		return 0
	}
	return float64(f.Ratings[1]+f.Ratings[2]+f.Ratings[3]) / float64(rated)
}

func (f *Figures) add(g Figures) {
	f.Received += g.Received
	f.Answered += g.Answered
	f.OnTime += g.OnTime
	f.DaysSum += g.DaysSum
	for i := range f.Ratings {
		f.Ratings[i] += g.Ratings[i]
	}
}

// DeptFigures are a department's figures.
type DeptFigures struct {
	Dept string // "" for the cases not yet assigned
	Figures
}

// MonthFigures are a month's figures.
type MonthFigures struct {
	Month int // YYYYMM
	Figures
}

// CategoryCount is how many cases a category had.
type CategoryCount struct {
	Category string
	N        int
}

// Stats are the 网上监督 statistics of a period.
type Stats struct {
	From, To   time.Time
	Total      Figures
	Depts      []DeptFigures  // the most cases first
	Months     []MonthFigures // in order
	Categories []CategoryCount
}

// Stats are the statistics of the cases received in [from, to), of one
// department (its name, as OA assigned it) or of all (""). A merged
// duplicate counts once, as the case it was merged into. Whole months
// are summed from the rollup that triggers keep with every change to a
// case; any other period is counted case by case (Recount).
func (s *Store) Stats(ctx context.Context, from, to time.Time, dept string) (Stats, error) {
	if !monthStart(from) || !monthStart(to) {
		return s.Recount(ctx, from, to, dept)
	}
	st := Stats{From: from, To: to}
	fm, tm := monthOf(from), monthOf(to)
	q := `SELECT month, dept, sum(received), sum(answered), sum(on_time), sum(days), sum(r1), sum(r2), sum(r3), sum(r4), sum(r5), sum(unrated)
		FROM case_rollup WHERE month >= ? AND month < ?`
	args := []any{fm, tm}
	if dept != "" {
		q += ` AND dept = ?`
		args = append(args, dept)
	}
	// Groups emptied by cases that moved (a department assigned) are
	// left in the rollup at zero: not a department with no cases.
	rows, err := s.db.Reader().QueryContext(ctx, q+` GROUP BY month, dept HAVING sum(received) > 0`, args...)
	if err != nil {
		return st, fmt.Errorf("cases: statistics: %w", err)
	}
	type key struct {
		month int
		dept  string
	}
	groups := map[key]*Figures{}
	var order []key
	for rows.Next() {
		var k key
		var f Figures
		if err := rows.Scan(&k.month, &k.dept, &f.Received, &f.Answered, &f.OnTime, &f.DaysSum, &f.Ratings[1], &f.Ratings[2], &f.Ratings[3],
			&f.Ratings[4], &f.Ratings[5], &f.Ratings[0]); err != nil {
			rows.Close()
			return st, err
		}
		groups[k] = &f
		order = append(order, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, err
	}
	// Unrated answers whose rating window is still open are not yet
	// counted as UnratedAs: they are the few answered since the cutoff.
	if u := s.opts.UnratedAs; u >= 1 && u <= 5 {
		// "replied >= ?" first: SQLite starts the index range at the
		// first lower bound written, and replied > 0 would walk it all.
		q := `SELECT month, dept, count(*) FROM cases WHERE replied >= ? AND rating = 0 AND replied > 0 AND merged_into = 0 AND month >= ? AND month < ?`
		args := []any{ms(s.ratingCutoff(s.opts.Now())), fm, tm}
		if dept != "" {
			q += ` AND dept = ?`
			args = append(args, dept)
		}
		recent := map[key]int{}
		rows, err := s.db.Reader().QueryContext(ctx, q+` GROUP BY month, dept`, args...)
		if err != nil {
			return st, err
		}
		for rows.Next() {
			var k key
			var n int
			if err := rows.Scan(&k.month, &k.dept, &n); err != nil {
				rows.Close()
				return st, err
			}
			recent[k] = n
		}
		rows.Close()
		for k, f := range groups {
			expired := f.Ratings[0] - recent[k]
			f.Ratings[u] += expired
			f.Ratings[0] -= expired
		}
	}
	var list []groupFigures
	for _, k := range order {
		list = append(list, groupFigures{k.month, k.dept, *groups[k]})
	}
	s.fill(&st, list)
	cq := `SELECT category, sum(received) AS n FROM case_rollup WHERE month >= ? AND month < ?`
	cargs := []any{fm, tm}
	if dept != "" {
		cq += ` AND dept = ?`
		cargs = append(cargs, dept)
	}
	err = s.categories(ctx, &st, cq+` GROUP BY category HAVING n > 0 ORDER BY n DESC, category LIMIT 10`, cargs)
	return st, err
}

// monthStart reports whether t is the first moment of a month in
// Asia/Shanghai.
func monthStart(t time.Time) bool {
	l := t.In(workcal.Shanghai())
	return l.Day() == 1 && l.Hour() == 0 && l.Minute() == 0 && l.Second() == 0 && l.Nanosecond() == 0
}

type groupFigures struct {
	month int
	dept  string
	f     Figures
}

// fill adds the figures of each month and department to the totals, the
// departments and every month of the period.
func (s *Store) fill(st *Stats, groups []groupFigures) {
	depts := map[string]*DeptFigures{}
	months := map[int]*MonthFigures{}
	for _, g := range groups {
		st.Total.add(g.f)
		if depts[g.dept] == nil {
			depts[g.dept] = &DeptFigures{Dept: g.dept}
		}
		depts[g.dept].add(g.f)
		if months[g.month] == nil {
			months[g.month] = &MonthFigures{Month: g.month}
		}
		months[g.month].add(g.f)
	}
	for _, d := range depts {
		st.Depts = append(st.Depts, *d)
	}
	sort.Slice(st.Depts, func(i, j int) bool {
		if st.Depts[i].Received != st.Depts[j].Received {
			return st.Depts[i].Received > st.Depts[j].Received
		}
		return st.Depts[i].Dept < st.Depts[j].Dept
	})
	// Every month of the period, the empty ones too: a trend has no holes.
	for m := st.From.In(workcal.Shanghai()); m.Before(st.To); m = time.Date(m.Year(), m.Month()+1, 1, 0, 0, 0, 0, m.Location()) {
		k := monthOf(m)
		if f := months[k]; f != nil {
			st.Months = append(st.Months, *f)
		} else {
			st.Months = append(st.Months, MonthFigures{Month: k})
		}
	}
}

func (s *Store) categories(ctx context.Context, st *Stats, q string, args []any) error {
	rows, err := s.db.Reader().QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var c CategoryCount
		if err := rows.Scan(&c.Category, &c.N); err != nil {
			return err
		}
		st.Categories = append(st.Categories, c)
	}
	return rows.Err()
}

// Recount is Stats counted case by case from the cases table, for any
// period (and to check the rollup against).
func (s *Store) Recount(ctx context.Context, from, to time.Time, dept string) (Stats, error) {
	st := Stats{From: from, To: to}
	q := `SELECT month, dept, count(*), sum(replied > 0), sum(on_time), sum(answer_days),
		sum(rating = 1), sum(rating = 2), sum(rating = 3), sum(rating = 4), sum(rating = 5),
		sum(rating = 0 AND replied > 0), sum(rating = 0 AND replied > 0 AND replied < ?)
		FROM cases WHERE received >= ? AND received < ? AND merged_into = 0`
	late := s.ratingCutoff(s.opts.Now())
	args := []any{ms(late), ms(from), ms(to)}
	if dept != "" {
		q += ` AND dept = ?`
		args = append(args, dept)
	}
	q += ` GROUP BY month, dept`
	rows, err := s.db.Reader().QueryContext(ctx, q, args...)
	if err != nil {
		return st, fmt.Errorf("cases: statistics: %w", err)
	}
	var groups []groupFigures
	for rows.Next() {
		var g groupFigures
		f := &g.f
		var expired int
		if err := rows.Scan(&g.month, &g.dept, &f.Received, &f.Answered, &f.OnTime, &f.DaysSum, &f.Ratings[1], &f.Ratings[2], &f.Ratings[3],
			&f.Ratings[4], &f.Ratings[5], &f.Ratings[0], &expired); err != nil {
			rows.Close()
			return st, err
		}
		if u := s.opts.UnratedAs; u >= 1 && u <= 5 {
			f.Ratings[u] += expired
			f.Ratings[0] -= expired
		}
		groups = append(groups, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, err
	}
	s.fill(&st, groups)
	cq := `SELECT category, count(*) AS n FROM cases WHERE received >= ? AND received < ? AND merged_into = 0`
	cargs := []any{ms(from), ms(to)}
	if dept != "" {
		cq += ` AND dept = ?`
		cargs = append(cargs, dept)
	}
	err = s.categories(ctx, &st, cq+` GROUP BY category ORDER BY n DESC, category LIMIT 10`, cargs)
	return st, err
}

// ratingCutoff is the moment before which a reply's rating window has
// closed by now: RateDays working days back.
func (s *Store) ratingCutoff(now time.Time) time.Time {
	working := s.cal.IsWorkingDay
	d := now.In(workcal.Shanghai())
	for n, tries := 0, 0; n < s.opts.RateDays && tries < 400; tries++ {
		d = d.AddDate(0, 0, -1)
		if working(d) {
			n++
		}
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, d.Location())
}

// SuperviseAfter is how many working days past its deadline an
// unanswered case is flagged for 督办.
const SuperviseAfter = 5

// OverdueDays are the working days case c is past its deadline without
// an answer (0 when it is not, or is answered or refused).
func (s *Store) OverdueDays(c Case) int {
	switch c.State {
	case Replied, Closed, Rejected:
		return 0
	}
	if c.MergedInto != 0 || c.Due.IsZero() {
		return 0
	}
	now := s.opts.Now()
	if !now.After(c.Due) {
		return 0
	}
	return s.workingDays(c.Due, now)
}
