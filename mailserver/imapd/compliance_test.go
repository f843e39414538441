package imapd

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"nanhu/mailserver/store"
)

// TestFetchRacesExpunge: a FETCH whose messages another session expunges
// while it runs answers for those that still exist (RFC 3501 §7.4.1) and
// completes OK; the expunge is announced at the next command allowed to.
func TestFetchRacesExpunge(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.deliver(t, "lina", 20)
	a := dialRaw(t, e.addr, false)
	a.do("LOGIN lina secret-2004")
	a.do("SELECT INBOX")
	b := dialRaw(t, e.addr, false)
	b.do("LOGIN lina secret-2004")
	b.do("SELECT INBOX")
	b.do(`STORE 18:20 +FLAGS.SILENT (\Deleted)`)
	once := false
	e.srv.fetchGap = func() {
		if !once {
			once = true
			b.do("EXPUNGE") // between A's list of messages and their bytes
		}
	}
	got := a.try("FETCH 1:* (UID BODY.PEEK[])")
	e.srv.fetchGap = nil
	if !strings.Contains(tagged(got), " OK ") || strings.Contains(got, "SERVERBUG") {
		t.Fatalf("FETCH racing EXPUNGE: %q", tagged(got))
	}
	if n := strings.Count(got, " FETCH ("); n != 17 {
		t.Errorf("%d FETCH responses, want the 17 messages left", n)
	}
	if got := a.do("NOOP"); strings.Count(got, " EXPUNGE\r\n") != 3 {
		t.Errorf("NOOP after the race: %q, want 3 EXPUNGE", got)
	}
}

// TestKeywordAnnouncedFirst: a keyword another session set appears in
// FETCH FLAGS only after an untagged FLAGS has listed it, whether the FETCH
// comes from STORE, from FETCH setting \Seen, or from the poll.
func TestKeywordAnnouncedFirst(t *testing.T) {
	for _, cmd := range []string{`STORE 1 +FLAGS (\Flagged)`, `FETCH 1 (FLAGS BODY[])`, `UID STORE 1 -FLAGS (\Draft)`, `NOOP`} {
		t.Run(cmd, func(t *testing.T) {
			e := newEnv(t, nil, nil)
			e.deliver(t, "lina", 2)
			a := dialRaw(t, e.addr, false)
			a.do("LOGIN lina secret-2004")
			a.do("SELECT INBOX")
			b := dialRaw(t, e.addr, false)
			b.do("LOGIN lina secret-2004")
			b.do("SELECT INBOX")
			b.do(`STORE 1 +FLAGS ($Urgent)`)
			got := a.do(cmd)
			flagsAt := strings.Index(got, "* FLAGS (")
			for i, line := range strings.Split(got, "\r\n") {
				if strings.Contains(line, " FETCH (") && strings.Contains(line, "$Urgent") {
					if flagsAt < 0 || flagsAt > strings.Index(got, line) {
						t.Errorf("line %d shows $Urgent before FLAGS announced it:\n%s", i, got)
					}
				}
			}
			if !strings.Contains(got, "$Urgent") {
				t.Errorf("the keyword was never reported:\n%s", got)
			}
		})
	}
}

// TestSearchDatesAndAddresses: SENTBEFORE, SENTON and SENTSINCE compare
// the Date header's date as written; BEFORE, ON and SINCE the internal
// date (RFC 3501 §6.4.4). FROM finds an address written in RFC 5322's
// obsolete syntax.
func TestSearchDatesAndAddresses(t *testing.T) {
	e := newEnv(t, nil, nil)
	for _, m := range []struct {
		raw  string
		date time.Time
	}{
		// Sent 2 Jan as written, 1 Jan in UTC; arrived 5 May 2025.
		{"From: <user-from (comment)@ (comment) domain.org>\r\nTo: Bob (work) <bob@x.org>\r\nCc: \"Wang, Wei\" <wang@x.org>\r\nDate: Tue, 02 Jan 2024 01:00:00 +0800\r\nSubject: one\r\n\r\nx\r\n",
			time.Date(2025, 5, 5, 12, 0, 0, 0, time.UTC)},
		// Sent 1 Jan as written, 2 Jan in UTC; arrived 6 May 2025.
		{"From: Li Na <lina@nanhu.local>\r\nTo: bob@x.org\r\nBcc: hidden@x.org\r\nDate: Mon, 01 Jan 2024 23:00:00 -0500\r\nSubject: two\r\n\r\ny\r\n",
			time.Date(2025, 5, 6, 12, 0, 0, 0, time.UTC)},
	} {
		if _, err := e.st.Deliver(context.Background(), store.Delivery{Recipients: []store.Recipient{{Owner: "lina"}}, Raw: []byte(m.raw), InternalDate: m.date}); err != nil {
			t.Fatal(err)
		}
	}
	s := dialRaw(t, e.addr, false)
	s.do("LOGIN lina secret-2004")
	s.do("SELECT INBOX")
	for _, c := range []struct{ keys, want string }{
		{"SENTON 2-Jan-2024", "1"},
		{"SENTON 1-Jan-2024", "2"},
		{"SENTBEFORE 2-Jan-2024", "2"},
		{"SENTSINCE 2-Jan-2024", "1"},
		{"SENTSINCE 3-Jan-2024", ""},
		{"ON 5-May-2025", "1"},
		{"BEFORE 6-May-2025", "1"},
		{"SINCE 6-May-2025", "2"},
		{"ON 2-Jan-2024", ""},
		{"FROM user-from@domain.org", "1"},
		{"FROM domain.org", "1"},
		{"FROM \"Li Na\"", "2"},
		{"TO bob@x.org", "1 2"},
		{"TO Bob", "1 2"},
		{"CC \"Wang, Wei\"", "1"},
		{"CC wang@x.org", "1"},
		{"BCC hidden@x.org", "2"},
	} {
		got := strings.TrimSpace(strings.TrimPrefix(untagged(s.do("SEARCH "+c.keys)), "* SEARCH"))
		if got != c.want {
			t.Errorf("SEARCH %s = %q, want %q", c.keys, got, c.want)
		}
	}
}

// TestBinaryPartial: BINARY[section]<partial> names its origin and comes as
// a literal, however the bytes look (RFC 3516; RFC 9051 §7.5.2, §4.3).
func TestBinaryPartial(t *testing.T) {
	e := newEnv(t, nil, nil)
	raw := "From: a@x.org\r\nSubject: parts\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nline1\r\nline2\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAECAw==\r\n--b--\r\n"
	if _, err := e.st.Deliver(context.Background(), store.Delivery{Recipients: []store.Recipient{{Owner: "lina"}}, Raw: []byte(raw)}); err != nil {
		t.Fatal(err)
	}
	s := dialRaw(t, e.addr, false)
	s.do("LOGIN lina secret-2004")
	s.do("SELECT INBOX")
	for _, c := range []struct{ cmd, want string }{
		{"FETCH 1 BINARY.PEEK[1]<0.10>", "* 1 FETCH (BINARY[1]<0> {10}\r\nline1\r\nlin)\r\n"},
		{"FETCH 1 BINARY.PEEK[1]<3.4>", "* 1 FETCH (BINARY[1]<3> {4}\r\ne1\r\n)\r\n"},
		{"UID FETCH 1 (FLAGS BINARY.PEEK[2]<0.2>)", "* 1 FETCH (UID 1 FLAGS (\\Recent) BINARY[2]<0> ~{2}\r\n\x00\x01)\r\n"},
		{"FETCH 1 (BINARY.PEEK[1]<0.5> BINARY.SIZE[1])", "* 1 FETCH (BINARY[1]<0> {5}\r\nline1 BINARY.SIZE[1] 12)\r\n"},
		{"FETCH 1 (BINARY.PEEK[1] BINARY.PEEK[1]<7.5>)", "* 1 FETCH (BINARY[1] {12}\r\nline1\r\nline2 BINARY[1]<7> {5}\r\nline2)\r\n"},
		// With BODYSTRUCTURE (go-imap's to write) the partial comes in a
		// second response.
		{"FETCH 1 (BODY.PEEK[1] BINARY.PEEK[1]<0.3>)", "* 1 FETCH (BODY[1] {12}\r\nline1\r\nline2)\r\n* 1 FETCH (BINARY[1]<0> {3}\r\nlin)\r\n"},
		{"FETCH 1 (BINARY[1]<0.5>)", "* 1 FETCH (FLAGS (\\Recent \\Seen) BINARY[1]<0> {5}\r\nline1)\r\n"},
	} {
		if got := untagged(s.do(c.cmd)); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.cmd, got, c.want)
		}
	}
}

// TestQuota: GETQUOTAROOT and GETQUOTA (RFC 9208) report the quota the
// directory sets, which APPEND enforces, in KiB; shared mailboxes and
// accounts without a quota have no root.
func TestQuota(t *testing.T) {
	e := newEnv(t, map[string]int64{"lina": 100 << 10}, nil)
	e.deliver(t, "lina", 3)
	used, _, _ := e.st.Usage(context.Background(), "lina")
	s := dialRaw(t, e.addr, false)
	if got := s.try("CAPABILITY"); strings.Contains(got, "QUOTA") {
		t.Errorf("QUOTA announced before login: %q", got)
	}
	if got := s.do("LOGIN lina secret-2004"); !strings.Contains(got, " QUOTA QUOTA=RES-STORAGE") {
		t.Errorf("LOGIN's capabilities lack QUOTA: %q", got)
	}
	quota := fmt.Sprintf("* QUOTA \"\" (STORAGE %d 100)\r\n", (used+1023)/1024)
	for _, c := range []struct{ cmd, want string }{
		{"GETQUOTAROOT INBOX", "* QUOTAROOT \"INBOX\" \"\"\r\n" + quota},
		{`GETQUOTAROOT "Sent"`, "* QUOTAROOT \"Sent\" \"\"\r\n" + quota},
		{`GETQUOTA ""`, quota},
		{`GETQUOTAROOT "` + encodeMUTF7("公共邮箱/区政府办公室") + `"`, "* QUOTAROOT \"" + encodeMUTF7("公共邮箱/区政府办公室") + "\"\r\n"},
	} {
		if got := untagged(s.do(c.cmd)); got != c.want {
			t.Errorf("%s: %q, want %q", c.cmd, got, c.want)
		}
	}
	for _, c := range []struct{ cmd, want string }{
		{"GETQUOTAROOT Nowhere", "NO [NONEXISTENT]"},
		{`GETQUOTA "other"`, "NO [NONEXISTENT]"},
		{`SETQUOTA "" (STORAGE 1)`, "NO [NOPERM]"},
		{"GETQUOTAROOT", "BAD"},
	} {
		if got := tagged(s.try(c.cmd)); !strings.Contains(got, " "+c.want) {
			t.Errorf("%s: %q, want %s", c.cmd, got, c.want)
		}
	}
	// An IDLE's lines are go-imap's; after DONE, the guard answers again.
	s.do("SELECT INBOX")
	s.tag++
	tag := fmt.Sprintf("w%d", s.tag)
	fmt.Fprintf(s.c, "%s IDLE\r\n", tag)
	if line, _ := s.r.ReadString('\n'); !strings.HasPrefix(line, "+") {
		t.Fatalf("IDLE: %q", line)
	}
	fmt.Fprintf(s.c, "DONE\r\n")
	s.until(tag)
	if got := untagged(s.do(`GETQUOTA ""`)); got != quota {
		t.Errorf("GETQUOTA after IDLE: %q", got)
	}
	z := dialRaw(t, e.addr, false)
	z.do("LOGIN zhangwei secret-2004")
	if got := untagged(z.do("GETQUOTAROOT INBOX")); got != "* QUOTAROOT \"INBOX\"\r\n" {
		t.Errorf("no quota: %q", got)
	}
}

// TestCommandStates: message numbers past EXISTS are BAD (RFC 9051 §9),
// CHECK needs a selected mailbox, and LSUB carries no LIST-EXTENDED
// attributes, as Dovecot answers.
func TestCommandStates(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.deliver(t, "lina", 2)
	s := dialRaw(t, e.addr, false)
	s.do("LOGIN lina secret-2004")
	if got := tagged(s.try("CHECK")); !strings.Contains(got, " BAD ") {
		t.Errorf("CHECK before SELECT: %q", got)
	}
	if got := untagged(s.do(`LSUB "" INBOX`)); got != "* LSUB () \"/\" INBOX\r\n" {
		t.Errorf("LSUB: %q", got)
	}
	s.do("SELECT INBOX")
	s.do("CHECK")
	for _, cmd := range []string{"FETCH 3 FLAGS", "FETCH 1:3 FLAGS", "STORE 3 +FLAGS (\\Seen)", "COPY 2:5 Trash"} {
		if got := tagged(s.try(cmd)); !strings.Contains(got, " BAD [CLIENTBUG] ") {
			t.Errorf("%s: %q", cmd, got)
		}
	}
	s.do("UID FETCH 1:99 FLAGS")
	s.do("SELECT Drafts")
	if got := tagged(s.try("FETCH 1:* FLAGS")); !strings.Contains(got, " BAD ") {
		t.Errorf("FETCH 1:* in an empty mailbox: %q", got)
	}
}
