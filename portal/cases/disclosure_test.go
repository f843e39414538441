package cases

import (
	"testing"
	"time"

	"nanhu/internal/workcal"
)

func TestDisclosureClock(t *testing.T) {
	cal, err := workcal.NewCalendar([]string{"2026-10-01..2026-10-08"}, []string{"2026-09-27", "2026-10-10"})
	if err != nil {
		t.Fatal(err)
	}
	sh := workcal.Shanghai()
	day := func(s string) time.Time {
		d, err := time.ParseInLocation("2006-01-02 15:04", s, sh)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	due := func(s string) time.Time { d := day(s + " 23:59"); return d.Add(59 * time.Second) }
	received := day("2026-09-21 10:00") // a Monday
	for _, c := range []struct {
		name    string
		events  []ClockEvent
		due     time.Time
		stopped string
		bad     bool
	}{
		// 20 working days: 09-22..09-30 are 8 with Sunday 09-27, the
		// holiday, 10-09 and Saturday 10-10 make 10, then 10-12..10-23.
		{"plain", nil, due("2026-10-23"), "", false},
		{"extended by 20", []ClockEvent{{Kind: Extended, At: day("2026-10-20 09:00"), Days: 20}}, due("2026-11-20"), "", false},
		{"a second extension", []ClockEvent{{Kind: Extended, At: day("2026-10-20 09:00"), Days: 10}, {Kind: Extended, At: day("2026-10-21 09:00"), Days: 10}}, time.Time{}, "", true},
		{"an extension over 20", []ClockEvent{{Kind: Extended, At: day("2026-10-20 09:00"), Days: 21}}, time.Time{}, "", true},
		{"waiting for the 补正", []ClockEvent{{Kind: CorrectionAsked, At: day("2026-09-25 09:00")}}, time.Time{}, "等待申请人补正", false},
		// The 补正 arrives Monday 10-12: 20 working days from then.
		{"补正 starts it again", []ClockEvent{{Kind: CorrectionAsked, At: day("2026-09-25 09:00")}, {Kind: CorrectionReceived, At: day("2026-10-12 14:00")}},
			due("2026-11-09"), "", false},
		{"a late 补正 notice", []ClockEvent{{Kind: CorrectionAsked, At: day("2026-10-12 09:00")}}, time.Time{}, "", true},
		// Consulted from Friday 09-25 (4 days used) to Monday 10-12: 16 left
		// from 10-12.
		{"consultation does not count", []ClockEvent{{Kind: ConsultStart, At: day("2026-09-25 09:00")}, {Kind: ConsultEnd, At: day("2026-10-12 09:00")}},
			due("2026-11-03"), "", false},
		// A third party silent past its 15 working days: the clock runs
		// again from the 15th (10-22), 16 left: 11-13.
		{"consultation at most 15 days", []ClockEvent{{Kind: ConsultStart, At: day("2026-09-25 09:00")}, {Kind: ConsultEnd, At: day("2026-11-30 09:00")}},
			due("2026-11-13"), "", false},
		{"consulting", []ClockEvent{{Kind: ConsultStart, At: day("2026-09-25 09:00")}}, time.Time{}, "征求第三方意见", false},
	} {
		got, err := DisclosureClock(received, c.events, cal)
		if c.bad {
			if err == nil {
				t.Errorf("%s: accepted", c.name)
			}
			continue
		}
		if err != nil || !got.Due.Equal(c.due) || got.Stopped != c.stopped {
			t.Errorf("%s: due %s stopped %q (%v), want %s %q", c.name, got.Due, got.Stopped, err, c.due, c.stopped)
		}
	}
}
