package cases

import (
	"context"
	"database/sql"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"

	"nanhu/internal/workcal"
	"nanhu/queue/contract"
)

// duplicate is an earlier case of the same writer (mobile, or mail
// without one) within the window whose title and text are nearly the
// same (Dice coefficient of their character bigrams at least 0.8); 0
// when there is none.
func (s *Store) duplicate(ctx context.Context, sub Submission, now time.Time) (int64, error) {
	col, who := "mobile", sub.Writer.Mobile
	if who == "" {
		col, who = "mail", sub.Writer.Mail
	}
	if who == "" {
		return 0, nil
	}
	// "col != ''" lets SQLite use the partial index on the column.
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT id, title, text FROM cases WHERE `+col+` = ? AND `+col+` != '' AND received >= ?
		ORDER BY id DESC LIMIT 50`,
		who, ms(now.Add(-s.opts.DuplicateWindow)))
	if err != nil {
		return 0, fmt.Errorf("cases: duplicates: %w", err)
	}
	defer rows.Close()
	mine := bigrams(sub.Title + "\n" + sub.Text)
	for rows.Next() {
		var id int64
		var title, text string
		if err := rows.Scan(&id, &title, &text); err != nil {
			return 0, err
		}
		if dice(mine, bigrams(title+"\n"+text)) >= 0.8 {
			return id, nil
		}
	}
	return 0, rows.Err()
}

// bigrams are the character bigrams of text's letters, digits and Han
// characters, counted.
func bigrams(text string) map[[2]rune]int {
	var rs []rune
	for _, r := range text {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			rs = append(rs, unicode.ToLower(r))
		}
	}
	m := map[[2]rune]int{}
	for i := 0; i+1 < len(rs); i++ {
		m[[2]rune{rs[i], rs[i+1]}]++
	}
	return m
}

// dice is the Dice coefficient of two bigram multisets.
func dice(a, b map[[2]rune]int) float64 {
	na, nb, both := 0, 0, 0
	for k, n := range a {
		na += n
		both += min(n, b[k])
	}
	for _, n := range b {
		nb += n
	}
	if na+nb == 0 {
		return 0
	}
	return 2 * float64(both) / float64(na+nb)
}

// AddInfo adds what the citizen sends later (a text that starts with the
// 查询码, a mail whose subject carries it, the lookup page) to the case
// with code. A case that is closed or not accepted takes nothing more.
//
// key names the message (an SMS's id): one already added is not added
// again. "" for none.
func (s *Store) AddInfo(ctx context.Context, code string, by Channel, text, key string) (Case, error) {
	text = clean(text)
	switch {
	case text == "":
		return Case{}, invalid("text", "补充的内容是空的。")
	case utf8.RuneCountInString(text) > s.opts.TextMax:
		return Case{}, invalid("text", "补充内容最多 %d 个字。", s.opts.TextMax)
	}
	c, err := s.ByCode(ctx, code)
	if err != nil {
		return Case{}, err
	}
	if c.State == Closed || c.State == Rejected {
		return Case{}, invalid("", "这件来信已%s，不能再补充；如有新的情况，请另写一封来信。", PublicState(c.State))
	}
	now := s.opts.Now()
	err = s.write(ctx, func(tx *sql.Tx) error {
		if done, err := s.seen(ctx, tx, key, now); err != nil || done {
			return err // added before
		}
		if err := addEvent(ctx, tx, c.ID, now, string(by), "info-added", text, true); err != nil {
			return err
		}
		return s.announce(ctx, tx, c, contract.CaseInfoAdded, func(ev *contract.PortalCase) { ev.Info = text })
	})
	if err == nil {
		s.out.Kick()
		if c.Kind == Disclosure {
			// What an applicant sends while a 补正 is asked for is the
			// correction: the clock starts again.
			if a, aerr := s.Application(ctx, c.ID); aerr == nil && a.Stopped == stoppedCorrection {
				if _, cerr := s.ClockStep(ctx, c.ID, CorrectionReceived, 0, "", string(by)); cerr != nil {
					s.log.Warn("a correction not recorded on the clock", "case", c.Number, "err", cerr)
				}
			}
		}
	}
	return c, err
}

// Step is a change of a case's state as OA's handling reports it (an
// oa.case event), or the citizen's reopening.
type Step struct {
	Action string // accept, reject, assign, extend, reply, close, reopen
	By     string
	// Note is the reason (reject, reopen), the departments (assign), the
	// reply's text (reply), or a remark.
	Note string
	// Days is an extension's working days (extend).
	Days int
	// Dept is the 主办 department (assign).
	Dept string
	// Key names the event the step came in (an oa.case id): a step seen
	// before changes nothing. "" for none.
	Key string
}

// steps are the states each action may start from, and where it leads.
var steps = map[string]struct {
	from []State
	to   State
}{
	"accept": {[]State{Received}, Accepted},
	"reject": {[]State{Received, Accepted}, Rejected},
	"assign": {[]State{Accepted, Assigned}, Assigned},
	"extend": {[]State{Accepted, Assigned}, ""},
	"reply":  {[]State{Accepted, Assigned}, Replied},
	"close":  {[]State{Replied}, Closed},
	"reopen": {[]State{Replied, Closed}, Assigned},
}

// Apply makes step on case id, in one transaction with its trail line.
func (s *Store) Apply(ctx context.Context, id int64, st Step) (Case, error) {
	rule, ok := steps[st.Action]
	if !ok {
		return Case{}, invalid("", "没有「%s」这一步。", st.Action)
	}
	st.Note = clean(st.Note)
	switch {
	case st.By == "":
		return Case{}, invalid("", "这一步须记下办理人。")
	case noteNeeded[st.Action] != "" && st.Note == "":
		return Case{}, invalid("note", "%s", noteNeeded[st.Action])
	case st.Action == "extend" && (st.Days <= 0 || st.Days > 60):
		return Case{}, invalid("days", "延期应为 1 到 60 个工作日。")
	}
	now := s.opts.Now()
	err := s.write(ctx, func(tx *sql.Tx) error {
		if done, err := s.seen(ctx, tx, st.Key, now); err != nil || done {
			return err
		}
		c, err := scanCase(tx.QueryRowContext(ctx, `SELECT `+caseCols+` FROM cases WHERE id = ?`, id))
		if err != nil {
			return err
		}
		okFrom := false
		for _, f := range rule.from {
			okFrom = okFrom || c.State == f
		}
		if !okFrom {
			return invalid("", "来信现在是「%s」，不能%s。", StateNames[c.State], actionNames[st.Action])
		}
		note := st.Note
		switch st.Action {
		case "reject":
			_, err = tx.ExecContext(ctx, `UPDATE cases SET state = ?, reason = ? WHERE id = ?`, rule.to, st.Note, id)
		case "assign":
			// The departments are the staff's to know; the public line
			// says the case is with them.
			if _, err = tx.ExecContext(ctx, `UPDATE cases SET state = ?, dept = ? WHERE id = ?`, rule.to, st.Dept, id); err == nil {
				err = addEvent(ctx, tx, id, now, st.By, "assigned", st.Note, false)
			}
			st.Action, note = "handling", "已转交承办部门办理"
		case "extend":
			due := s.extend(c.Due, st.Days)
			c.Due = due
			_, err = tx.ExecContext(ctx, `UPDATE cases SET due = ? WHERE id = ?`, ms(due), id)
			note = fmt.Sprintf("办理期限延长 %d 个工作日，至 %s", st.Days, due.In(workcal.Shanghai()).Format("2006-01-02"))
			if st.Note != "" {
				note += "（" + st.Note + "）"
			}
		case "reply":
			// A reply after a 重办 keeps the first answer's figures: the
			// statistics count how the case was first answered.
			days, onTime := s.workingDays(c.Received, now), !now.After(c.Due)
			_, err = tx.ExecContext(ctx, `UPDATE cases SET state = ?, reply = ?, replied = ?,
				answer_days = CASE WHEN replied = 0 THEN ? ELSE answer_days END, on_time = CASE WHEN replied = 0 THEN ? ELSE on_time END WHERE id = ?`,
				rule.to, st.Note, ms(now), days, onTime, id)
			note = "已答复"
		case "reopen":
			c.Due = s.due(c.Kind, c.Category, now)
			_, err = tx.ExecContext(ctx, `UPDATE cases SET state = ?, due = ?, rework = rework + 1, rating = 0, rated = 0 WHERE id = ?`, rule.to, ms(c.Due), id)
			if err == nil && st.By == "citizen" {
				c.Received = now
				err = s.announce(ctx, tx, c, contract.CaseReopened, func(ev *contract.PortalCase) { ev.Note = st.Note })
			}
		case "close":
			_, err = tx.ExecContext(ctx, `UPDATE cases SET state = ?, closed = ? WHERE id = ?`, rule.to, ms(now), id)
		default:
			_, err = tx.ExecContext(ctx, `UPDATE cases SET state = ? WHERE id = ?`, rule.to, id)
		}
		if err != nil {
			return err
		}
		if err := addEvent(ctx, tx, id, now, st.By, pastTense[st.Action], note, true); err != nil {
			return err
		}
		switch st.Action {
		case "accept", "reject", "extend", "reply", "close":
			if st.Action == "reject" {
				c.Reason = st.Note
			}
			// The gateway sends a key once: a second round (重办) or a
			// second 延期 needs keys of its own.
			what := st.Action
			if c.Rework > 0 {
				what += fmt.Sprintf("-r%d", c.Rework)
			}
			if st.Action == "extend" {
				what += "-" + c.Due.In(workcal.Shanghai()).Format("20060102")
			}
			return s.tell(ctx, tx, c, what, s.citizenText(c, st.Action))
		}
		return nil
	})
	if err != nil {
		return Case{}, err
	}
	s.out.Kick()
	return s.Get(ctx, id)
}

// noteNeeded says what a step that needs a note lacks.
var noteNeeded = map[string]string{"reject": "不予受理须写明理由。", "reopen": "重办须写明不满意的原因。",
	"reply": "答复的内容是空的。", "assign": "请写明主办和协办部门。"}

var actionNames = map[string]string{"accept": "受理", "reject": "不予受理", "assign": "分办", "extend": "延期", "reply": "答复", "close": "办结", "reopen": "重办"}

var pastTense = map[string]string{"accept": "accepted", "reject": "rejected", "handling": "handling", "extend": "extended", "reply": "replied",
	"close": "closed", "reopen": "reopened"}

// extend is due moved by days working days.
func (s *Store) extend(due time.Time, days int) time.Time {
	local := due.In(workcal.Shanghai())
	if s.opts.Calendar != nil {
		return s.opts.Calendar.Add(local, days)
	}
	return workcal.AddWorkingDays(local, days, workcal.Weekday)
}

func (s *Store) write(ctx context.Context, f func(tx *sql.Tx) error) error { return s.db.Write(ctx, f) }

// ActionName is a trail line's action in words.
func ActionName(action string) string { return trailNames[action] }

var trailNames = map[string]string{"opened": "来信", "info-added": "补充", "accepted": "受理", "rejected": "不予受理", "assigned": "分办",
	"handling": "办理中", "extended": "延期", "replied": "答复", "closed": "办结", "reopened": "重办", "rated": "评价",
	"merged": "合并", "published": "选登", "withdrawn": "撤下选登", "result": "办理结果",
	"clock-" + CorrectionAsked: "补正通知", "clock-" + CorrectionReceived: "收到补正", "clock-" + ConsultStart: "征求意见",
	"clock-" + ConsultEnd: "征求意见结束", "clock-" + Extended: "延期"}

// Unanswered counts the cases waiting for their answer (not refused, not
// yet replied) that came in before cutoff, and the oldest one's date.
func (s *Store) Unanswered(ctx context.Context, cutoff time.Time) (n int, oldest time.Time, err error) {
	var first sql.NullInt64
	err = s.db.Reader().QueryRowContext(ctx, `SELECT count(*), min(received) FROM cases WHERE state IN (?, ?, ?) AND received < ?`,
		Received, Accepted, Assigned, ms(cutoff)).Scan(&n, &first)
	if first.Valid {
		oldest = fromMS(first.Int64)
	}
	return n, oldest, err
}
