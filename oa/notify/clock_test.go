package notify

import (
	"testing"
	"time"
)

func TestQuietContains(t *testing.T) {
	night := quiet{22 * time.Hour, 7 * time.Hour}
	noon := quiet{12 * time.Hour, 14 * time.Hour}
	tests := []struct {
		q     quiet
		t     time.Time
		in    bool
		until time.Time
	}{
		{night, at(25, 21, 59), false, time.Time{}},
		{night, at(25, 22, 0), true, at(26, 7, 0)},
		{night, at(25, 23, 59), true, at(26, 7, 0)},
		{night, at(26, 0, 0), true, at(26, 7, 0)},
		{night, at(26, 6, 59), true, at(26, 7, 0)},
		{night, at(26, 7, 0), false, time.Time{}},
		{noon, at(25, 12, 30), true, at(25, 14, 0)},
		{noon, at(25, 14, 0), false, time.Time{}},
		{quiet{}, at(25, 3, 0), false, time.Time{}},
		{night, time.Date(2026, 12, 31, 23, 0, 0, 0, cst), true, time.Date(2027, 1, 1, 7, 0, 0, 0, cst)},
	}
	for _, tt := range tests {
		if got := tt.q.contains(tt.t); got != tt.in {
			t.Errorf("%v contains %s = %v", tt.q, tt.t, got)
		}
		if tt.in {
			if got := tt.q.until(tt.t); !got.Equal(tt.until) {
				t.Errorf("%v until from %s = %s, want %s", tt.q, tt.t, got, tt.until)
			}
		}
	}
}

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
		if got := addWorkingDays(tt.from, tt.days, Weekday); !got.Equal(tt.want) {
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
	if got := addWorkingDays(from, 1, holidays); !got.Equal(time.Date(2026, 10, 8, 17, 0, 0, 0, cst)) {
		t.Errorf("over 国庆: %s", got)
	}
	// A calendar without working days does not hang.
	addWorkingDays(from, 1, func(time.Time) bool { return false })
}
