package notify

import "time"

// quiet is a daily span of local time; see Options.QuietStart.
type quiet struct{ start, end time.Duration }

// midnight returns the start of t's day in t's location.
func midnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// contains reports whether local time t is inside the quiet hours.
func (q quiet) contains(t time.Time) bool {
	if q.start == q.end {
		return false
	}
	off := t.Sub(midnight(t))
	if q.start < q.end {
		return off >= q.start && off < q.end
	}
	return off >= q.start || off < q.end
}

// until returns the end of the quiet span that local time t is in: today
// at q.end when that is still ahead, else tomorrow at q.end.
func (q quiet) until(t time.Time) time.Time {
	day := midnight(t)
	if t.Sub(day) < q.end {
		return day.Add(q.end)
	}
	next := day.AddDate(0, 0, 1)
	return midnight(next).Add(q.end)
}
