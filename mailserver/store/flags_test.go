package store

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// TestStoreFlags: STORE over a whole range (changed a group of equal old
// flags at a time) and over a scattered set (message by message) leave
// every message with the flags the operation gives, bump the mod-sequence
// once per call for exactly the messages that changed, and skip UIDs that
// do not exist or come twice.
func TestStoreFlags(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	for i := 0; i < 12; i++ {
		raw := fmt.Sprintf("Subject: 第%d号\r\nMessage-ID: <%d@t>\r\n\r\nx\r\n", i, i)
		if _, err := s.Deliver(ctx, Delivery{Recipients: []Recipient{{Owner: "lina"}}, Raw: []byte(raw)}); err != nil {
			t.Fatal(err)
		}
	}
	box, err := s.MailboxByName(ctx, "lina", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	want := map[uint32][]string{}
	for uid := uint32(1); uid <= 12; uid++ {
		want[uid] = nil
	}
	apply := func(uids []uint32, op FlagOp, flags []string) {
		for _, u := range uids {
			if _, ok := want[u]; ok {
				want[u] = applyFlags(want[u], op, flags)
			}
		}
	}
	check := func(step string) {
		t.Helper()
		msgs, err := s.Messages(ctx, "lina", "INBOX")
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if strings.Join(m.Flags, " ") != strings.Join(want[m.UID], " ") {
				t.Errorf("%s: uid %d has %q, want %q", step, m.UID, m.Flags, want[m.UID])
			}
		}
	}
	all := []uint32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	steps := []struct {
		name  string
		uids  []uint32
		op    FlagOp
		flags []string
	}{
		{"scattered +Seen", []uint32{2, 5, 5, 9, 40}, FlagsAdd, []string{`\Seen`}},
		{"range +Flagged", all, FlagsAdd, []string{`\Flagged`}},
		{"range +Seen (some have it)", all, FlagsAdd, []string{`\Seen`}},
		{"partial range -Seen", []uint32{3, 4, 5, 6, 7}, FlagsDel, []string{`\Seen`}},
		{"range set keyword", all[:6], FlagsSet, []string{"$Label1", `\Answered`}},
		{"range -Flagged", all, FlagsDel, []string{`\Flagged`}},
		{"range no-op", all, FlagsDel, []string{`\Deleted`}},
	}
	for _, st := range steps {
		before, _ := s.ChangesSince(ctx, box.ID, 0)
		states, err := s.StoreFlags(ctx, box.ID, st.uids, st.op, st.flags)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		prev := map[uint32][]string{}
		for u, f := range want {
			prev[u] = f
		}
		apply(st.uids, st.op, st.flags)
		check(st.name)
		after, _ := s.ChangesSince(ctx, box.ID, before.ModSeq)
		var changed []uint32
		for u := uint32(1); u <= 12; u++ {
			if !reflect.DeepEqual(prev[u], want[u]) {
				changed = append(changed, u)
			}
		}
		var got []uint32
		for _, m := range after.Changed {
			got = append(got, m.UID)
			if m.ModSeq != before.ModSeq+1 {
				t.Errorf("%s: uid %d at modseq %d, want %d", st.name, m.UID, m.ModSeq, before.ModSeq+1)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(changed) {
			t.Errorf("%s: changed %v, want %v", st.name, got, changed)
		}
		seen := map[uint32]bool{}
		for _, m := range states {
			if seen[m.UID] || m.UID > 12 {
				t.Errorf("%s: state of uid %d returned twice or for a missing message", st.name, m.UID)
			}
			seen[m.UID] = true
		}
	}
}
