package pages

import "testing"

func TestNormalizeNumber(t *testing.T) {
	for in, want := range map[string]string{
		"13900000001":    "+8613900000001",
		"139 0000 0001":  "+8613900000001",
		"１３９００００００01":    "+8613900000001",
		"8613900000001":  "+8613900000001",
		"+8613900000001": "+8613900000001",
		"+85291234567":   "+85291234567",
		"abc":            "abc",
		"12345":          "12345",
	} {
		if got := normalizeNumber(in); got != want {
			t.Errorf("normalizeNumber(%q) = %q, want %q", in, got, want)
		}
	}
	if a, b := formKey(), formKey(); a == b || len(a) < 20 {
		t.Errorf("form keys %q %q", a, b)
	}
}
