// Package workcal is the working-day calendar of the Chinese public
// administration: Monday to Friday, except the public holidays, plus the
// weekend days worked in exchange (调休) that the State Council publishes
// each year. Deadlines that count in working days (催办 of overdue to-dos,
// OA 办理时限, the time limits of citizens' cases and of 依申请公开) are
// counted on it, in Asia/Shanghai.
package workcal

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// Calendar is a working-day calendar: Monday to Friday, except public
// holidays, plus the weekend days made working days in exchange (调休),
// as the State Council publishes them each year.
type Calendar struct {
	holidays map[civilDay]bool
	workdays map[civilDay]bool
}

type civilDay struct {
	y int
	m time.Month
	d int
}

func dayOf(t time.Time) civilDay {
	y, m, d := t.Date()
	return civilDay{y, m, d}
}

// NewCalendar reads holidays and make-up working days, each a date
// ("2026-10-01") or an inclusive span ("2026-10-01..2026-10-07"). A date
// in both lists is an error.
func NewCalendar(holidays, workdays []string) (*Calendar, error) {
	c := &Calendar{holidays: map[civilDay]bool{}, workdays: map[civilDay]bool{}}
	for _, l := range []struct {
		name  string
		specs []string
		into  map[civilDay]bool
	}{{"holidays", holidays, c.holidays}, {"workdays", workdays, c.workdays}} {
		for _, spec := range l.specs {
			from, to, err := parseSpan(spec)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", l.name, err)
			}
			for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
				l.into[dayOf(d)] = true
			}
		}
	}
	for d := range c.workdays {
		if c.holidays[d] {
			return nil, fmt.Errorf("%04d-%02d-%02d is both a holiday and a working day", d.y, d.m, d.d)
		}
	}
	return c, nil
}

// maxSpan bounds a span, so that a typo in a year does not fill memory.
const maxSpan = 366

func parseSpan(spec string) (from, to time.Time, err error) {
	spec = strings.TrimSpace(spec)
	a, b, isSpan := strings.Cut(spec, "..")
	if from, err = time.Parse(time.DateOnly, strings.TrimSpace(a)); err != nil {
		return from, to, fmt.Errorf("%q is not a date like 2026-10-01 or a span like 2026-10-01..2026-10-07", spec)
	}
	to = from
	if isSpan {
		if to, err = time.Parse(time.DateOnly, strings.TrimSpace(b)); err != nil {
			return from, to, fmt.Errorf("%q is not a date like 2026-10-01 or a span like 2026-10-01..2026-10-07", spec)
		}
	}
	if to.Before(from) {
		return from, to, fmt.Errorf("span %q ends before it starts", spec)
	}
	if to.Sub(from) > maxSpan*24*time.Hour {
		return from, to, fmt.Errorf("span %q is longer than a year", spec)
	}
	return from, to, nil
}

// IsWorkingDay reports whether day (its date in its own location) is a
// working day.
func (c *Calendar) IsWorkingDay(day time.Time) bool {
	d := dayOf(day)
	if c.workdays[d] {
		return true
	}
	if c.holidays[d] {
		return false
	}
	return Weekday(day)
}

// Add returns the same local time of day, days working days after t (see
// AddWorkingDays).
func (c *Calendar) Add(t time.Time, days int) time.Time {
	return AddWorkingDays(t, days, c.IsWorkingDay)
}

// Between counts the working days after from's day up to and including
// to's day: 0 when to is on from's day or before it.
func (c *Calendar) Between(from, to time.Time) int {
	n := 0
	end := dayOf(to)
	for d := from.AddDate(0, 0, 1); !after(dayOf(d), end); d = d.AddDate(0, 0, 1) {
		if c.IsWorkingDay(d) {
			n++
		}
	}
	return n
}

func after(a, b civilDay) bool {
	if a.y != b.y {
		return a.y > b.y
	}
	if a.m != b.m {
		return a.m > b.m
	}
	return a.d > b.d
}

// Weekday reports whether day is Monday to Friday: the working days of a
// calendar without holidays.
func Weekday(day time.Time) bool {
	wd := day.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// AddWorkingDays returns the same local time of day, days working days
// after t: Friday 17:00 plus one is Monday 17:00, and so is Saturday 17:00
// plus one.
func AddWorkingDays(t time.Time, days int, working func(time.Time) bool) time.Time {
	d := t
	// A calendar that has no working day at all must not hang us: a
	// year of days off is where we stop looking.
	for n, tries := 0, 0; n < days && tries < 366+days; tries++ {
		d = d.AddDate(0, 0, 1)
		if working(d) {
			n++
		}
	}
	return d
}

// Shanghai returns Asia/Shanghai, or a fixed UTC+8 zone named CST when the
// system has no time zone database (China has had no daylight saving time
// since 1991, so the two agree). The zone is loaded once.
var Shanghai = sync.OnceValue(func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
})
