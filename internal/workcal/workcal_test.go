package workcal

import (
	"strings"
	"testing"
	"time"
)

func TestCalendar(t *testing.T) {
	cst := Shanghai()
	// 国庆 1–7 October 2026 off; Saturday 10 October worked in exchange.
	c, err := NewCalendar([]string{"2026-10-01..2026-10-07", " 2026-01-01 "}, []string{"2026-10-10"})
	if err != nil {
		t.Fatal(err)
	}
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 17, 0, 0, 0, cst) }
	for _, tt := range []struct {
		day  time.Time
		want bool
	}{
		{day(9, 30), true},   // Wednesday
		{day(10, 1), false},  // holiday
		{day(10, 5), false},  // holiday, a Monday
		{day(10, 7), false},  // last day of the span
		{day(10, 8), true},   // Thursday
		{day(10, 10), true},  // Saturday worked in exchange
		{day(10, 11), false}, // Sunday
		{day(1, 1), false},   // a single date
		{day(11, 25), true},  // an ordinary Wednesday
	} {
		if got := c.IsWorkingDay(tt.day); got != tt.want {
			t.Errorf("%s: working %v, want %v", tt.day.Format("2006-01-02 Mon"), got, tt.want)
		}
	}
	// The escalation a working day after an overdue to-do on 30 September
	// comes on 8 October.
	if got := AddWorkingDays(day(9, 30), 1, c.IsWorkingDay); !got.Equal(day(10, 8)) {
		t.Errorf("one working day after 30 September: %s", got)
	}

	for _, bad := range []struct {
		holidays, workdays []string
		want               string
	}{
		{[]string{"2026-13-01"}, nil, "not a date"},
		{[]string{"10月1日"}, nil, "not a date"},
		{[]string{"2026-10-07..2026-10-01"}, nil, "ends before"},
		{[]string{"2026-01-01..2036-01-01"}, nil, "longer than a year"},
		{nil, []string{"2026-10-10..x"}, "workdays"},
		{[]string{"2026-10-01"}, []string{"2026-10-01"}, "both"},
	} {
		if _, err := NewCalendar(bad.holidays, bad.workdays); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("NewCalendar(%q, %q): %v, want an error with %q", bad.holidays, bad.workdays, err, bad.want)
		}
	}
}
