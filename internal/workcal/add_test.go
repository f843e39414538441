package workcal

import (
	"testing"
	"time"
)

func TestAddWorkingDays(t *testing.T) {
	tests := []struct {
		from time.Time
		days int
		want time.Time
	}{
		{at(25, 17, 0), 1, at(26, 17, 0)}, // Wednesday → Thursday
		{at(27, 17, 0), 1, at(30, 17, 0)}, // Friday → Monday
		{at(28, 10, 0), 1, at(30, 10, 0)}, // Saturday → Monday
		{at(29, 10, 0), 1, at(30, 10, 0)}, // Sunday → Monday
		{at(26, 9, 0), 2, at(30, 9, 0)},   // Thursday + 2 → Monday
		{at(25, 9, 0), 5, time.Date(2026, 12, 2, 9, 0, 0, 0, cst)},
	}
	for _, tt := range tests {
		if got := AddWorkingDays(tt.from, tt.days, Weekday); !got.Equal(tt.want) {
			t.Errorf("%s + %d working days = %s, want %s", tt.from.Format("Mon 01-02 15:04"), tt.days, got.Format("Mon 01-02 15:04"), tt.want.Format("Mon 01-02 15:04"))
		}
	}
	// A holiday calendar plugs in: 国庆 1–7 October, 调休 Sunday 11 October.
	holidays := func(d time.Time) bool {
		if d.Month() == time.October && d.Day() <= 7 {
			return false
		}
		if d.Month() == time.October && d.Day() == 11 {
			return true
		}
		return Weekday(d)
	}
	from := time.Date(2026, 9, 30, 17, 0, 0, 0, cst)
	if got := AddWorkingDays(from, 1, holidays); !got.Equal(time.Date(2026, 10, 8, 17, 0, 0, 0, cst)) {
		t.Errorf("over 国庆: %s", got)
	}
	// A calendar without working days does not hang.
	AddWorkingDays(from, 1, func(time.Time) bool { return false })
}

var cst = Shanghai()

// at is a local time in Asia/Shanghai in November 2026: 25 is a Wednesday,
// 27 a Friday, 30 a Monday.
func at(day, hour, min int) time.Time {
	return time.Date(2026, 11, day, hour, min, 0, 0, cst)
}

func TestBetween(t *testing.T) {
	c, err := NewCalendar([]string{"2026-10-01..2026-10-07"}, []string{"2026-10-10"})
	if err != nil {
		t.Fatal(err)
	}
	d := func(m time.Month, day int) time.Time { return time.Date(2026, m, day, 9, 0, 0, 0, cst) }
	for _, tt := range []struct {
		from, to time.Time
		want     int
	}{
		{d(11, 25), d(11, 25), 0},
		{d(11, 25), d(11, 24), 0},
		{d(11, 25), d(11, 26), 1},
		{d(11, 27), d(11, 30), 1}, // Friday to Monday
		{d(9, 30), d(10, 12), 4},  // 10-08, 10-09, 10-10 (调休), 10-12; not the holidays nor Sunday 10-11
	} {
		if got := c.Between(tt.from, tt.to); got != tt.want {
			t.Errorf("Between(%s, %s) = %d, want %d", tt.from.Format("01-02"), tt.to.Format("01-02"), got, tt.want)
		}
	}
	if got := c.Add(d(9, 30), 4); !got.Equal(d(10, 12)) {
		t.Errorf("Add(30 September, 4) = %s", got)
	}
}
