package smsqueue

import (
	"fmt"
	"testing"

	"nanhu/queue/contract"
)

func TestPeers(t *testing.T) {
	p := NewPeers("gw-a")
	p.max = 3
	status := func(gw, key string) contract.SMSStatus {
		return contract.SMSStatus{V: 1, ID: "s-" + key, SMSID: "1", IdempotencyKey: key, State: contract.SMSSent, To: "+8613800138000", Gateway: gw}
	}
	p.Heard(status("gw-a", "own"))    // its own: not a peer's
	p.Heard(status("", "anonymous"))  // an older gateway's, unnamed
	p.Heard(status("gw-b", "todo-1")) // a peer's
	p.Heard(status("gw-c", "todo-1")) // the first peer is remembered
	tests := []struct {
		key    string
		wantGW string
		want   bool
	}{
		{"own", "", false},
		{"anonymous", "", false},
		{"todo-1", "gw-b", true},
		{"todo-2", "", false},
	}
	for _, tt := range tests {
		if gw, ok := p.Took(tt.key); ok != tt.want || gw != tt.wantGW {
			t.Errorf("Took(%q) = %q, %v; want %q, %v", tt.key, gw, ok, tt.wantGW, tt.want)
		}
	}
	// Bounded: the oldest go first.
	for i := 2; i <= 4; i++ {
		p.Heard(status("gw-b", fmt.Sprintf("todo-%d", i)))
	}
	if _, ok := p.Took("todo-1"); ok {
		t.Error("the oldest key was kept beyond the bound")
	}
	if _, ok := p.Took("todo-4"); !ok {
		t.Error("the newest key was dropped")
	}
	if len(p.keys) != 3 || len(p.order) != 3 {
		t.Errorf("%d keys, %d in order; want 3", len(p.keys), len(p.order))
	}
	var none *Peers
	if _, ok := none.Took("x"); ok {
		t.Error("no peers took something")
	}
}

func TestGatewayName(t *testing.T) {
	a, b := NewGatewayName(), NewGatewayName()
	if a == b {
		t.Errorf("two gateways got the same name %q", a)
	}
	ch := "smsgw-peers-" + a + "#ephemeral"
	if len(ch) > 64 {
		t.Errorf("channel name %q is longer than nsqd allows", ch)
	}
	for _, r := range a {
		if !(r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			t.Errorf("name %q has %q, which an nsqd channel name may not", a, r)
		}
	}
}
