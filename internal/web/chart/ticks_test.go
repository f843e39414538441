package chart

import (
	"slices"
	"testing"
)

func TestNiceTicks(t *testing.T) {
	tests := []struct {
		max      float64
		integers bool
		want     []float64
	}{
		{0, true, []float64{0, 1}},
		{-3, false, []float64{0, 1}},
		{1, true, []float64{0, 1}},
		{1, false, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
		{3, true, []float64{0, 1, 2, 3}},
		{3, false, []float64{0, 0.5, 1, 1.5, 2, 2.5, 3}},
		{7, true, []float64{0, 1, 2, 3, 4, 5, 6, 7}},
		{10, true, []float64{0, 2, 4, 6, 8, 10}},
		{23, true, []float64{0, 5, 10, 15, 20, 25}},
		{25, true, []float64{0, 5, 10, 15, 20, 25}},
		{87, true, []float64{0, 20, 40, 60, 80, 100}},
		{100, true, []float64{0, 20, 40, 60, 80, 100}},
		{101, true, []float64{0, 20, 40, 60, 80, 100, 120}},
		{420, true, []float64{0, 100, 200, 300, 400, 500}},
		{1234, true, []float64{0, 200, 400, 600, 800, 1000, 1200, 1400}},
		{0.3, false, []float64{0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3}},
		{0.7, false, []float64{0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7}},
		{2.5, false, []float64{0, 0.5, 1, 1.5, 2, 2.5}},
		{45000, true, []float64{0, 10000, 20000, 30000, 40000, 50000}},
		{1e15, true, []float64{0, 2e14, 4e14, 6e14, 8e14, 1e15}},
	}
	for _, tt := range tests {
		got := niceTicks(tt.max, 5, tt.integers)
		if !slices.Equal(got, tt.want) {
			t.Errorf("niceTicks(%v, 5, %v) = %v, want %v", tt.max, tt.integers, got, tt.want)
		}
	}
}

// TestNiceTicksCover checks the properties for many maxima: start at 0,
// reach the max, even round steps, a readable number of intervals.
func TestNiceTicksCover(t *testing.T) {
	for _, max := range []float64{0.001, 0.013, 0.9, 1.01, 4.99, 9.5, 11, 14.9, 15, 29.9, 33, 69, 70, 99.99, 149, 999, 7777, 123456} {
		for _, integers := range []bool{false, true} {
			ticks := niceTicks(max, 5, integers)
			if ticks[0] != 0 {
				t.Errorf("niceTicks(%v) starts at %v", max, ticks[0])
			}
			if top := ticks[len(ticks)-1]; top < max {
				t.Errorf("niceTicks(%v) = %v does not reach the max", max, ticks)
			}
			if n := len(ticks) - 1; n < 1 || n > 10 {
				t.Errorf("niceTicks(%v) = %v: %d intervals", max, ticks, n)
			}
			if top := ticks[len(ticks)-1]; len(ticks) > 2 && ticks[len(ticks)-2] >= max {
				t.Errorf("niceTicks(%v) = %v: one tick too many (top %v)", max, ticks, top)
			}
			for _, tick := range ticks {
				if s := formatNumber(tick); len(s) > 8 {
					t.Errorf("niceTicks(%v): tick %v reads %q", max, tick, s)
				}
			}
		}
	}
}

func TestFormatNumber(t *testing.T) {
	tests := []struct {
		v    float64
		want string
	}{
		{0, "0"},
		{3, "3"},
		{12.5, "12.5"},
		{0.1 + 0.2, "0.3"},
		{1.23456, "1.2346"},
		{-0.00001, "0"},
		{1e15, "1000000000000000"},
		{1234567, "1234567"},
	}
	for _, tt := range tests {
		if got := formatNumber(tt.v); got != tt.want {
			t.Errorf("formatNumber(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestCoord(t *testing.T) {
	tests := []struct {
		v    float64
		want string
	}{
		{0, "0"},
		{-0.04, "0"},
		{12.34, "12.3"},
		{12.35, "12.4"},
		{100, "100"},
		{99.96, "100"},
	}
	for _, tt := range tests {
		if got := coord(tt.v); got != tt.want {
			t.Errorf("coord(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestLabelStep(t *testing.T) {
	tests := []struct {
		name             string
		count            int
		slot, label, gap float64
		want             int
	}{
		{"one label", 1, 10, 100, 6, 1},
		{"room for all", 7, 80, 60, 6, 1},
		{"exactly fits", 10, 36, 30, 6, 1},
		{"24 hours on 540", 24, 22.5, 26.4, 6, 2},
		{"24 hours on 300", 24, 12.5, 26.4, 6, 3},
		{"31 dates", 31, 17, 60, 6, 4},
		{"never beyond count", 3, 1, 100, 6, 3},
		{"no slot", 5, 0, 10, 6, 1},
	}
	for _, tt := range tests {
		got := labelStep(tt.count, tt.slot, tt.label, tt.gap)
		if got != tt.want {
			t.Errorf("%s: labelStep(%d, %v, %v, %v) = %d, want %d", tt.name, tt.count, tt.slot, tt.label, tt.gap, got, tt.want)
		}
		// Drawn labels never overlap.
		if got < tt.count && float64(got)*tt.slot < tt.label+tt.gap && tt.slot > 0 && tt.count > 1 {
			t.Errorf("%s: step %d overlaps", tt.name, got)
		}
	}
}

func TestTextWidth(t *testing.T) {
	if w := textWidth("暂无数据", 10); w != 40 {
		t.Errorf("textWidth(暂无数据, 10) = %v, want 40", w)
	}
	if a, b := textWidth("09时", 12), textWidth("9时", 12); a <= b {
		t.Errorf("textWidth: %v for 09时 not above %v for 9时", a, b)
	}
}

func TestFitText(t *testing.T) {
	if got := fitText("短", 12, 100); got != "短" {
		t.Errorf("fitText short = %q", got)
	}
	long := "这是一个非常非常非常非常长的标题"
	got := fitText(long, 12, 60)
	if textWidth(got, 12) > 60 {
		t.Errorf("fitText(%q) = %q, %v wide, want at most 60", long, got, textWidth(got, 12))
	}
	if got != "这是一个…" {
		t.Errorf("fitText(%q) = %q, want 这是一个…", long, got)
	}
}
