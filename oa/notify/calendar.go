package notify

import (
	"fmt"
	"strings"
	"time"
)

// Calendar is a working-day calendar: Monday to Friday, except public
// holidays, plus the weekend days made working days in exchange (调休),
// as the State Council publishes them each year. Its IsWorkingDay is what
// Options.IsWorkingDay takes.
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
