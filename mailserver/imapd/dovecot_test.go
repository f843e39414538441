package imapd

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The differential test: the same scripted IMAP conversations go to Nanhu
// and to a throwaway Dovecot, and the answers, normalized to what IMAP
// fixes (status, the untagged responses a case is about, flags in any
// order, never the human text), must agree. Each case is one of the
// defects issue 13 found; where Nanhu deliberately answers differently the
// case says so.

// dovecotIMAP starts a Dovecot of its own, configured in a temporary
// folder, listening on a free loopback port, with one user, lina. It
// skips the test when Dovecot is not installed, unless CI=1.
func dovecotIMAP(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("dovecot")
	if err != nil {
		for _, p := range []string{"/usr/sbin/dovecot", "/usr/local/sbin/dovecot"} {
			if _, err := os.Stat(p); err == nil {
				bin = p
			}
		}
	}
	if bin == "" {
		if os.Getenv("CI") == "1" {
			t.Fatal("dovecot is not installed (Debian: dovecot-imapd); CI needs it")
		}
		t.Skip("dovecot is not installed (Debian: dovecot-imapd)")
	}
	// Dovecot's processes run as other users when it starts as root, so
	// its folder must be theirs to read: not under t.TempDir (0700).
	dir, err := os.MkdirTemp("", "nanhu-dovecot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	internal, login, mailUser := me.Username, me.Username, me
	if me.Uid == "0" {
		// Dovecot refuses to run its login and mail processes as root.
		internal, login = "dovecot", "dovenull"
		if mailUser, err = user.Lookup("dovecot"); err != nil {
			t.Fatalf("running as root, Dovecot needs its users (dovecot, dovenull): %v", err)
		}
	}
	group, err := user.LookupGroupId(mailUser.Gid)
	if err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "home", "lina")
	for _, d := range []string{home, filepath.Join(dir, "run"), filepath.Join(dir, "state")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	uid, _ := strconv.Atoi(mailUser.Uid)
	gid, _ := strconv.Atoi(mailUser.Gid)
	os.Chown(home, uid, gid)
	os.Chown(filepath.Dir(home), uid, gid)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // Dovecot binds it; the kernel rarely gives it out again so soon

	passwd := fmt.Sprintf("lina:{PLAIN}secret-2004:%s:%s::%s\n", mailUser.Uid, mailUser.Gid, home)
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte(passwd), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
instance_name = nanhu-diff-%[2]d
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
log_path = %[1]s/dovecot.log
default_internal_user = %[3]s
default_internal_group = %[4]s
default_login_user = %[5]s
first_valid_uid = 1
mail_location = maildir:~/Maildir
mail_plugins = quota
protocol imap {
  mail_plugins = $mail_plugins imap_quota
}
plugin {
  quota = count:User quota
  quota_vsizes = yes
  quota_rule = *:storage=100K
}
namespace inbox {
  inbox = yes
  separator = /
}
passdb {
  driver = passwd-file
  args = %[1]s/passwd
}
userdb {
  driver = passwd-file
  args = %[1]s/passwd
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = %[2]d
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
`, dir, port, internal, group.Name, login)
	confPath := filepath.Join(dir, "dovecot.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-F", "-c", confPath)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	// Poll until Dovecot answers; a busy machine may take a while.
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return addr
		}
		select {
		case err := <-done:
			logs, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
			t.Fatalf("dovecot exited (%v): %s\n%s", err, out.String(), logs)
		default:
		}
		if time.Now().After(deadline) {
			logs, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
			t.Fatalf("dovecot does not listen on %s: %s\n%s", addr, out.String(), logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// diffStep is one command of a conversation, in session sess (sessions
// start unauthenticated). keep lists the untagged responses compared (by
// name: "LIST", "SEARCH", "FETCH", "RECENT", "EXISTS", "EXPUNGE", "FLAGS",
// "STATUS", "ID"); the tagged status is always compared. With must, only
// responses holding that text are kept. hangup: the server is to refuse
// the command and end the connection; the step compares just that.
type diffStep struct {
	sess   int
	cmd    string
	keep   []string
	must   string
	hangup bool
	// nanhu, when set, is Nanhu's answer where it deliberately differs
	// from Dovecot's (the comment at the step says why).
	nanhu string
	// code: compare the tagged answer's response code too (its name;
	// the values, UIDs and such, are each server's).
	code bool
}

type diffCase struct {
	name  string
	steps []diffStep
}

const diffLogin = "LOGIN lina secret-2004"

// appendCmd is an APPEND of raw with LITERAL+, which both servers have.
func appendCmd(box, date, raw string) string {
	if date != "" {
		date = ` "` + date + `"`
	}
	return fmt.Sprintf("APPEND %s%s {%d+}\r\n%s", box, date, len(raw), raw)
}

func diffCases() []diffCase {
	plain := func(i int) string {
		return fmt.Sprintf("From: a@x.org\r\nSubject: message %d\r\nMessage-ID: <%d@diff>\r\n\r\nbody %d\r\n", i, i, i)
	}
	multipart := "From: a@x.org\r\nSubject: parts\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nline1\r\nline2\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAECAw==\r\n--b--\r\n"
	s := func(sess int, cmd string, keep ...string) diffStep { return diffStep{sess: sess, cmd: cmd, keep: keep} }
	var cases []diffCase

	cases = append(cases, diffCase{"LIST delimiter", []diffStep{
		s(0, diffLogin), s(0, `LIST "" ""`, "LIST"), s(0, `CREATE "c-list/sub"`), s(0, `LIST "" "c-list/%"`, "LIST"),
	}})

	rec := []diffStep{s(0, diffLogin), s(0, "CREATE c-recent")}
	for i := 1; i <= 3; i++ {
		rec = append(rec, s(0, appendCmd("c-recent", "", plain(i))))
	}
	rec = append(rec,
		s(0, "STATUS c-recent (MESSAGES RECENT)", "STATUS"),
		s(0, "SELECT c-recent", "EXISTS", "RECENT"),
		s(0, `STORE 1 +FLAGS.SILENT (\Seen)`),
		s(0, "SEARCH RECENT", "SEARCH"), s(0, "SEARCH NEW", "SEARCH"), s(0, "SEARCH OLD", "SEARCH"),
		s(0, "FETCH 1:* (FLAGS)", "FETCH"),
		s(1, diffLogin), s(1, "SELECT c-recent", "EXISTS", "RECENT"),
		s(1, "SEARCH OLD", "SEARCH"), s(1, "SEARCH RECENT", "SEARCH"),
		s(2, diffLogin), s(2, appendCmd("c-recent", "", plain(4))),
		s(1, "NOOP", "EXISTS", "RECENT"), s(0, "NOOP", "EXISTS", "RECENT"),
		s(1, "FETCH 4 (FLAGS)", "FETCH"), s(0, "SEARCH RECENT", "SEARCH"),
		s(2, "STATUS c-recent (RECENT)", "STATUS"),
	)
	cases = append(cases, diffCase{"RECENT", rec})

	dated := []struct{ date, raw string }{
		{"05-May-2025 12:00:00 +0000", "From: <user-from (comment)@ (comment) domain.org>\r\nTo: Bob (work) <bob@x.org>\r\nCc: \"Wang, Wei\" <wang@x.org>\r\nDate: Tue, 02 Jan 2024 01:00:00 +0800\r\nSubject: one\r\n\r\nx\r\n"},
		{"06-May-2025 12:00:00 +0000", "From: Li Na <lina@nanhu.local>\r\nTo: bob@x.org\r\nBcc: hidden@x.org\r\nDate: Mon, 01 Jan 2024 23:00:00 -0500\r\nSubject: two\r\n\r\ny\r\n"},
	}
	search := []diffStep{s(0, diffLogin), s(0, "CREATE c-search")}
	for _, d := range dated {
		search = append(search, s(0, appendCmd("c-search", d.date, d.raw)))
	}
	search = append(search, s(0, "SELECT c-search"))
	for _, keys := range []string{
		"SENTON 2-Jan-2024", "SENTON 1-Jan-2024", "SENTBEFORE 2-Jan-2024", "SENTSINCE 2-Jan-2024", "SENTSINCE 3-Jan-2024",
		"ON 5-May-2025", "BEFORE 6-May-2025", "SINCE 6-May-2025", "ON 2-Jan-2024",
		"FROM user-from@domain.org", "FROM domain.org", `FROM "Li Na"`, "TO bob@x.org", "TO Bob",
		`CC "Wang, Wei"`, "CC wang@x.org", "BCC hidden@x.org",
	} {
		search = append(search, s(0, "SEARCH "+keys, "SEARCH"))
	}
	cases = append(cases, diffCase{"SEARCH dates and addresses", search})

	cases = append(cases, diffCase{"BINARY partial", []diffStep{
		s(0, diffLogin), s(0, "CREATE c-binary"), s(0, appendCmd("c-binary", "", multipart)), s(0, "EXAMINE c-binary"),
		s(0, "FETCH 1 BINARY.PEEK[1]<0.10>", "FETCH"),
		s(0, "FETCH 1 BINARY.PEEK[1]<3.4>", "FETCH"),
		s(0, "FETCH 1 (BINARY.PEEK[1]<0.5> BINARY.SIZE[1])", "FETCH"),
		s(0, "FETCH 1 BINARY.PEEK[2]<0.2>", "FETCH"),
	}})

	cases = append(cases, diffCase{"ID", []diffStep{
		s(0, `ID ("name" "nanhu-diff" "version" "1")`, "ID"), s(0, "ID NIL", "ID"), s(0, diffLogin), s(0, "ID NIL", "ID"),
	}})

	mistakes := []diffStep{s(0, diffLogin), s(0, "SELECT INBOX")}
	for _, cmd := range []string{
		"CREATE 收件箱", "SELECT 收件箱", "FETCH 4294967296 FLAGS", "UID FETCH 0:* FLAGS", "FETCH 0 FLAGS",
		"SEARCH " + strings.Repeat("(", 200) + "ALL" + strings.Repeat(")", 200),
		`LIST "" !#$&'+,-.0123456789:;<=>?@^_`, `CREATE "&Jjo-&Jjo-"`, `CREATE "a&AGE-b"`, "NOOP",
	} {
		mistakes = append(mistakes, s(0, cmd, "LIST"))
	}
	// go-imap's parser stops at 1000 levels, Dovecot goes on; Nanhu
	// refuses past 500, with BAD rather than go-imap's SERVERBUG.
	deep := "SEARCH " + strings.Repeat("(", 2000) + "ALL" + strings.Repeat(")", 2000)
	mistakes = append(mistakes, diffStep{sess: 0, cmd: deep, nanhu: deep + " → BAD"})
	cases = append(cases, diffCase{"client mistakes", mistakes})

	cases = append(cases, diffCase{"huge literal before login", []diffStep{
		{sess: 0, cmd: "LOGIN {999999999}", hangup: true},
		{sess: 1, cmd: "LOGIN lina {999999999+}", hangup: true},
	}})

	race := []diffStep{s(0, diffLogin), s(0, "CREATE c-race")}
	for i := 1; i <= 5; i++ {
		race = append(race, s(0, appendCmd("c-race", "", plain(i))))
	}
	race = append(race,
		s(0, "SELECT c-race"), s(1, diffLogin), s(1, "SELECT c-race"),
		s(1, `STORE 2:3 +FLAGS.SILENT (\Deleted)`), s(1, "EXPUNGE", "EXPUNGE"),
		// Dovecot answers NIL for the two gone, Nanhu leaves them out;
		// RFC 9051 §7.5.2 allows both. The others must be answered.
		diffStep{sess: 0, cmd: "FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])", keep: []string{"FETCH"}, must: "Subject:"},
		s(0, "NOOP", "EXPUNGE"),
	)
	cases = append(cases, diffCase{"FETCH racing EXPUNGE", race})

	// Both have lina's quota at 100 KiB; Dovecot names its root "User
	// quota", Nanhu "" (normalized below).
	quota := []diffStep{s(0, diffLogin), s(0, "CREATE c-quota")}
	for i := 1; i <= 3; i++ {
		quota = append(quota, s(0, appendCmd("c-quota", "", plain(i)+strings.Repeat("公文", 300)+"\r\n")))
	}
	quota = append(quota,
		s(0, "GETQUOTAROOT c-quota", "QUOTAROOT", "QUOTA"),
		s(0, "GETQUOTAROOT INBOX", "QUOTAROOT", "QUOTA"),
		// Dovecot names the root a mailbox would have; Nanhu answers
		// NO [NONEXISTENT], as for any command on a missing mailbox.
		diffStep{sess: 0, cmd: "GETQUOTAROOT nowhere", keep: []string{"QUOTAROOT", "QUOTA"}, nanhu: "GETQUOTAROOT nowhere → NO"},
		s(0, appendCmd("c-quota", "", plain(9)+strings.Repeat("x", 120<<10)+"\r\n")),
	)
	cases = append(cases, diffCase{"QUOTA", quota})

	// RFC 3501 §6, command by command: the answers' status and the
	// untagged data they are about.
	basic := []diffStep{s(0, diffLogin), s(0, "CREATE c-basic"), s(0, "CREATE c-basic"), s(0, "CREATE c-basic/child")}
	for i := 1; i <= 4; i++ {
		basic = append(basic, s(0, appendCmd("c-basic", "", plain(i))))
	}
	basic = append(basic,
		s(0, "SELECT nowhere"), s(0, "EXAMINE c-basic", "EXISTS", "RECENT"),
		// In a mailbox opened read-only, Dovecot answers STORE and
		// EXPUNGE OK and changes nothing; Nanhu says NO [CANNOT], which
		// tells the client why nothing changed (RFC 3501 §6.3.2: EXAMINE
		// permits no change).
		diffStep{sess: 0, cmd: `STORE 1 +FLAGS (\Seen)`, nanhu: `STORE 1 +FLAGS (\Seen) → NO`},
		diffStep{sess: 0, cmd: "EXPUNGE", nanhu: "EXPUNGE → NO"},
		s(0, "FETCH 1 (FLAGS BODY[HEADER.FIELDS (SUBJECT)])", "FETCH"),
		s(0, "SELECT c-basic", "EXISTS", "RECENT"),
		s(0, "STATUS c-basic (MESSAGES UNSEEN UIDNEXT)", "STATUS"),
		s(0, `STORE 1:2 +FLAGS (\Deleted \Flagged)`, "FETCH"),
		s(0, `UID STORE 3 FLAGS.SILENT (\Answered)`, "FETCH"),
		s(0, "SEARCH DELETED", "SEARCH"), s(0, "SEARCH UNSEEN", "SEARCH"), s(0, "UID SEARCH ANSWERED", "SEARCH"),
		s(0, "SEARCH OR FLAGGED ANSWERED NOT DELETED", "SEARCH"), s(0, "SEARCH 2:* SUBJECT message", "SEARCH"),
		s(0, "COPY 1 nowhere"), s(0, "COPY 1:2 c-basic/child"), s(0, "EXPUNGE", "EXPUNGE"),
		s(0, "FETCH 1:* (UID FLAGS)", "FETCH"),
		s(0, "FETCH 9 FLAGS", "FETCH"), s(0, "UID FETCH 999 FLAGS", "FETCH"),
		s(0, "FETCH 1 (BODY.PEEK[TEXT] RFC822.SIZE)", "FETCH"),
		s(0, "CLOSE"), s(0, "FETCH 1 FLAGS"),
		s(0, "RENAME c-basic/child c-basic/kid"), s(0, `LIST "" "c-basic*"`, "LIST"),
		s(0, "DELETE c-basic/kid"), s(0, "DELETE INBOX"), s(0, "DELETE nowhere"),
		s(0, "SUBSCRIBE c-basic"), s(0, `LSUB "" "c-basic*"`, "LSUB"), s(0, "UNSUBSCRIBE c-basic"),
		s(0, "CREATE c-empty"), s(0, "SELECT c-empty", "EXISTS"), s(0, "FETCH 1:* FLAGS", "FETCH"),
		s(0, "UID FETCH 1:* FLAGS", "FETCH"), s(0, "SEARCH ALL", "SEARCH"), s(0, "STORE 1:* +FLAGS (\\Seen)"), s(0, "CLOSE"),
		s(0, "NOOP"), s(0, "CHECK"), s(0, "FOO"), s(0, "LOGIN lina secret-2004"),
	)
	cases = append(cases, diffCase{"RFC 3501 commands", basic})

	c := func(sess int, cmd string, keep ...string) diffStep {
		return diffStep{sess: sess, cmd: cmd, keep: keep, code: true}
	}
	cases = append(cases, diffCase{"response codes", []diffStep{
		c(0, "LOGIN lina wrong-password"), c(0, diffLogin), c(0, "CREATE c-codes"), c(0, "CREATE c-codes"),
		c(0, appendCmd("c-codes", "", plain(1))), c(0, appendCmd("nowhere", "", plain(2))),
		// Dovecot 2.3 gives no code here; Nanhu says NONEXISTENT (RFC
		// 5530), as it does for every command on a missing mailbox.
		{sess: 0, cmd: "SELECT nowhere", code: true, nanhu: "SELECT nowhere → NO NONEXISTENT"},
		{sess: 0, cmd: "STATUS nowhere (MESSAGES)", code: true, nanhu: "STATUS nowhere (MESSAGES) → NO NONEXISTENT"},
		c(0, "EXAMINE c-codes"), c(0, "SELECT c-codes"),
		c(0, "COPY 1 nowhere"), c(0, "UID COPY 1 c-codes"), c(0, "UID MOVE 1 INBOX", "EXPUNGE"),
		c(0, "UNSELECT"), c(0, "RENAME nowhere elsewhere"), c(0, "RENAME c-codes INBOX"),
		c(0, "DELETE nowhere"), c(0, "ENABLE UTF8=ACCEPT"), c(0, "ENABLE NOTHING"),
	}})

	cases = append(cases, diffCase{"keyword from another session", []diffStep{
		s(0, diffLogin), s(0, "CREATE c-keyword"), s(0, appendCmd("c-keyword", "", plain(1))),
		s(0, "SELECT c-keyword"), s(1, diffLogin), s(1, "SELECT c-keyword"),
		s(1, `STORE 1 +FLAGS ($Urgent)`),
		s(0, `STORE 1 +FLAGS (\Flagged)`, "FLAGS", "FETCH"),
		s(0, `NOOP`, "FLAGS", "FETCH"),
	}})
	return cases
}

// runDiff plays a case against the server at addr and returns its
// normalized transcript, one entry per step.
func runDiff(t *testing.T, addr string, c diffCase) []string {
	sessions := map[int]*rawSession{}
	var out []string
	for _, st := range c.steps {
		s := sessions[st.sess]
		if s == nil {
			s = dialRaw(t, addr, false)
			sessions[st.sess] = s
		}
		if st.hangup {
			out = append(out, st.cmd+" → "+hangupAnswer(s, st.cmd))
			continue
		}
		norm := normalizeAnswer(s.try(st.cmd), st)
		out = append(out, strings.SplitN(st.cmd, "\r\n", 2)[0]+" → "+strings.Join(norm, " | "))
	}
	return out
}

// hangupAnswer sends cmd and reports whether the server refused it (BAD or
// BYE) and hung up.
func hangupAnswer(s *rawSession, cmd string) string {
	io.WriteString(s.c, "h "+cmd+"\r\n")
	// Generous: the point is that the answer comes and the connection
	// ends, not how fast (go-imap took 30 s, then said SERVERBUG).
	s.c.SetReadDeadline(time.Now().Add(25 * time.Second))
	got, err := io.ReadAll(s.r)
	text := string(got)
	refused := strings.Contains(text, "* BYE") || strings.HasPrefix(text, "h BAD") || strings.HasPrefix(text, "h NO")
	closed := err == nil // EOF
	return fmt.Sprintf("refused=%v closed=%v", refused, closed)
}

// normalizeAnswer turns an answer into what the comparison looks at.
func normalizeAnswer(answer string, st diffStep) []string {
	var out []string
	for _, r := range splitResponses(answer) {
		if !strings.HasPrefix(r, "* ") {
			if strings.HasPrefix(r, "+") {
				continue
			}
			f := strings.Fields(r)
			if len(f) > 1 {
				status := f[1] // the tagged status
				if st.code && len(f) > 2 && strings.HasPrefix(f[2], "[") {
					status += " " + strings.Trim(f[2], "[]")
				}
				out = append(out, status)
			}
			continue
		}
		name := responseName(r)
		kept := false
		for _, k := range st.keep {
			kept = kept || k == name
		}
		if !kept || !strings.Contains(r, st.must) {
			continue
		}
		switch name {
		case "ID":
			r = "* ID"
		case "FLAGS":
			r = "* FLAGS " + keywordsOf(r)
		case "EXPUNGE":
			// Which order a server expunges several in is its own.
			r = "* EXPUNGE"
		}
		// A string may be quoted or an atom, a literal8 a literal; the
		// quota root is named as the server likes.
		r = strings.ReplaceAll(r, `"User quota"`, `""`)
		r = strings.ReplaceAll(strings.ReplaceAll(r, "~{", "{"), `"`, "")
		out = append(out, sortFlagLists(r))
	}
	return out
}

// splitResponses cuts an answer into its responses, literals included.
func splitResponses(answer string) []string {
	var out []string
	start := 0
	for i := 0; i < len(answer); {
		j := strings.Index(answer[i:], "\r\n")
		if j < 0 {
			break
		}
		line := answer[i : i+j]
		i += j + 2
		if k := strings.LastIndexByte(line, '{'); k >= 0 && strings.HasSuffix(line, "}") {
			if n, err := strconv.Atoi(strings.TrimSuffix(line[k+1:len(line)-1], "+")); err == nil {
				i += n
				continue
			}
		}
		out = append(out, answer[start:i-2])
		start = i
	}
	return out
}

// responseName is "FETCH" for "* 3 FETCH (…)", "LIST" for "* LIST …".
func responseName(r string) string {
	f := strings.Fields(r)
	if len(f) < 2 {
		return ""
	}
	if _, err := strconv.Atoi(f[1]); err == nil && len(f) > 2 {
		return f[2]
	}
	return f[1]
}

// keywordsOf lists, sorted, the keywords of a FLAGS response that are not
// ones Nanhu always announces.
func keywordsOf(r string) string {
	var kw []string
	for _, f := range strings.Fields(strings.Trim(strings.TrimPrefix(r, "* FLAGS "), "()")) {
		switch f {
		case "$Forwarded", "$Junk", "$MDNSent", "$NotJunk":
			continue
		}
		if !strings.HasPrefix(f, `\`) {
			kw = append(kw, f)
		}
	}
	sort.Strings(kw)
	return strings.Join(kw, " ")
}

// sortFlagLists sorts the flags inside each "FLAGS (…)" of r.
func sortFlagLists(r string) string {
	var b strings.Builder
	for {
		i := strings.Index(r, "FLAGS (")
		if i < 0 {
			b.WriteString(r)
			return b.String()
		}
		j := strings.IndexByte(r[i:], ')')
		if j < 0 {
			b.WriteString(r)
			return b.String()
		}
		flags := strings.Fields(r[i+len("FLAGS (") : i+j])
		sort.Strings(flags)
		b.WriteString(r[:i] + "FLAGS (" + strings.Join(flags, " ") + ")")
		r = r[i+j+1:]
	}
}

// TestDifferentialDovecot runs every case against Nanhu and Dovecot and
// compares the normalized transcripts step by step.
func TestDifferentialDovecot(t *testing.T) {
	dovecot := dovecotIMAP(t)
	e := newEnv(t, map[string]int64{"lina": 100 << 10}, nil)
	for _, c := range diffCases() {
		t.Run(c.name, func(t *testing.T) {
			want := runDiff(t, dovecot, c)
			got := runDiff(t, e.addr, c)
			for i, st := range c.steps {
				if st.nanhu != "" {
					if got[i] != st.nanhu {
						t.Errorf("step %d: nanhu %q, want %q", i+1, got[i], st.nanhu)
					}
					t.Logf("step %d differs from Dovecot on purpose; Dovecot: %.120q", i+1, want[i])
					continue
				}
				if got[i] != want[i] {
					t.Errorf("step %d differs:\nnanhu   %q\ndovecot %q", i+1, got[i], want[i])
				}
			}
			if t.Failed() {
				t.Logf("nanhu:\n%s\ndovecot:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}
