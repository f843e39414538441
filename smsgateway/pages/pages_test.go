package pages

import (
	"testing"

	"nanhu/smsgateway"
)

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

func TestModemRowOf(t *testing.T) {
	for _, tt := range []struct {
		st             smsgateway.ModemStatus
		state, network string
	}{
		{smsgateway.ModemStatus{State: smsgateway.ModemUp, Registration: 1, RegistrationText: "registered, home network"}, "正常", "已注册（本地网）"},
		{smsgateway.ModemStatus{State: smsgateway.ModemUp, Registration: 5}, "正常", "已注册（漫游）"},
		{smsgateway.ModemStatus{State: smsgateway.ModemDown, Registration: 3}, "故障", "注册被拒绝"},
		{smsgateway.ModemStatus{State: smsgateway.ModemStarting, Registration: 2}, "正在初始化", "未注册（正在搜索网络）"},
		// What the page has no word for is shown as the gateway says it.
		{smsgateway.ModemStatus{State: "odd", Registration: 9, RegistrationText: "registration status 9"}, "odd", "registration status 9"},
	} {
		if r := modemRowOf(tt.st); r.StateLabel != tt.state || r.NetworkLabel != tt.network {
			t.Errorf("%+v: %q %q, want %q %q", tt.st, r.StateLabel, r.NetworkLabel, tt.state, tt.network)
		}
	}
}
