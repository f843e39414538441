package imapd

import (
	"strings"
	"testing"
)

// TestRecent: \Recent belongs to the first session that selects a mailbox
// after a message arrives (RFC 3501 §2.3.2): it sees RECENT, the flag, and
// SEARCH RECENT, NEW and OLD answer by it; the next session does not.
func TestRecent(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.deliver(t, "lina", 3)
	a := dialRaw(t, e.addr, false)
	a.do("LOGIN lina secret-2004")
	if got := a.do("STATUS INBOX (RECENT)"); !strings.Contains(got, "RECENT 3") {
		t.Errorf("STATUS before any SELECT: %q", got)
	}
	if got := a.do("SELECT INBOX"); !strings.Contains(got, "* 3 RECENT\r\n") {
		t.Errorf("first SELECT: %q", got)
	}
	a.do(`STORE 1 +FLAGS (\Seen)`)
	for _, c := range []struct{ cmd, want string }{
		{"SEARCH RECENT", "* SEARCH 1 2 3\r\n"},
		{"SEARCH NEW", "* SEARCH 2 3\r\n"},
		{"SEARCH OLD", "* SEARCH\r\n"},
		{"SEARCH NOT RECENT", "* SEARCH\r\n"},
		{"FETCH 2 FLAGS", "* 2 FETCH (FLAGS (\\Recent))\r\n"},
	} {
		if got := untagged(a.do(c.cmd)); got != c.want {
			t.Errorf("%s: %q, want %q", c.cmd, got, c.want)
		}
	}
	// A second session sees them as old.
	b := dialRaw(t, e.addr, false)
	b.do("LOGIN lina secret-2004")
	if got := b.do("SELECT INBOX"); !strings.Contains(got, "* 0 RECENT\r\n") {
		t.Errorf("second SELECT: %q", got)
	}
	if got := untagged(b.do("SEARCH OLD")); got != "* SEARCH 1 2 3\r\n" {
		t.Errorf("SEARCH OLD in the second session: %q", got)
	}
	// A new message is recent in the session that has the mailbox
	// selected and hears of it first.
	e.deliver(t, "lina", 1)
	got := b.do("NOOP")
	if !strings.Contains(got, "* 4 EXISTS\r\n* 1 RECENT\r\n") {
		t.Errorf("NOOP after a delivery: %q", got)
	}
	if got := untagged(b.do("FETCH 4 FLAGS")); got != "* 4 FETCH (FLAGS (\\Recent))\r\n" {
		t.Errorf("FETCH of the new message: %q", got)
	}
	if got := a.do("NOOP"); strings.Contains(got, "\\Recent") || !strings.Contains(got, "* 4 EXISTS") {
		t.Errorf("the other session: %q", got)
	}
	if got := untagged(a.do("SEARCH RECENT")); got != "* SEARCH 1 2 3\r\n" {
		t.Errorf("SEARCH RECENT in the first session: %q", got)
	}
	// IMAP4rev2 has no \Recent.
	c := dialRaw(t, e.addr, false)
	c.do("LOGIN lina secret-2004")
	c.do("ENABLE IMAP4rev2")
	e.deliver(t, "lina", 1)
	if got := c.do("SELECT INBOX"); strings.Contains(got, "RECENT") {
		t.Errorf("SELECT after ENABLE IMAP4rev2: %q", got)
	}
	if got := c.do("FETCH 5 FLAGS"); strings.Contains(got, "Recent") {
		t.Errorf("FETCH after ENABLE IMAP4rev2: %q", got)
	}
}
