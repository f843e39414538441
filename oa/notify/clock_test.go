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
