package smtpd

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"nanhu/mailserver/accounts"
	"nanhu/mailserver/mailauth"
)

// dkimKey is an ed25519 key with the TXT record that publishes it.
type dkimKey struct {
	priv   ed25519.PrivateKey
	record string
}

func newDKIMKey(t testing.TB) dkimKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return dkimKey{priv, "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)}
}

func (k dkimKey) sign(t *testing.T, domain, selector, msg string) string {
	t.Helper()
	var out bytes.Buffer
	if err := dkim.Sign(&out, strings.NewReader(msg), &dkim.SignOptions{Domain: domain, Selector: selector, Signer: k.priv}); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// checkerFor returns a Checker that knows our key and answers DNS from dns.
func checkerFor(ours dkimKey, dns mailauth.Resolver) *mailauth.Checker {
	return mailauth.New(mailauth.Options{Hostname: "mail.nanhu.local", LocalDomains: []string{"nanhu.local"},
		OwnKeys: []mailauth.Key{{Domain: "nanhu.local", Selector: "nanhu", Record: ours.record}}, Resolver: dns})
}

// send runs one transaction and returns the first refusal, or nil.
func send(addr, from, to, msg string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("client.example"); err != nil {
		return err
	}
	return c.SendMail(from, []string{to}, strings.NewReader(msg))
}

func wantRefusal(t *testing.T, err error, code int, enh string) {
	t.Helper()
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != code || se.EnhancedCode != parseEnh(enh) {
		t.Fatalf("got %v, want %d %s", err, code, enh)
	}
}

// lastMessage is the newest message in login's mailbox, or nil.
func lastMessage(t *testing.T, e *env, login, mailbox string) []byte {
	t.Helper()
	msgs, err := e.st.Messages(context.Background(), login, mailbox)
	if err != nil || len(msgs) == 0 {
		return nil
	}
	raw, err := e.st.Raw(context.Background(), login, mailbox, msgs[len(msgs)-1].UID)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestMXLocalSenders(t *testing.T) {
	ours, forged := newDKIMKey(t), newDKIMKey(t)
	dns := mailauth.Static{TXT: map[string][]string{"nanhu._domainkey.nanhu.local": {forged.record}}}
	e := newEnv(t, func(o *Options) { o.Checker = checkerFor(ours, dns) })
	inside := newEnv(t, func(o *Options) {
		o.Checker = checkerFor(ours, dns)
		o.InternalNetworks = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	})
	msg := func(from string) string {
		return "From: " + from + "\r\nTo: lina@nanhu.local\r\nSubject: 通知\r\nMessage-ID: <x@y>\r\n\r\n请于今天下午开会。\r\n"
	}
	tests := []struct {
		name     string
		env      *env
		mailFrom string
		raw      string
		ok       bool
	}{
		{"local envelope sender", e, "zhangwei@nanhu.local", msg("citizen@example.org"), false},
		{"local From header", e, "citizen@example.org", msg("张伟 <zhangwei@nanhu.local>"), false},
		{"local From in capitals", e, "", msg("ZHANGWEI@NANHU.LOCAL"), false},
		{"local From with a final dot", e, "citizen@example.org", msg("zhangwei@nanhu.local."), false},
		{"local envelope with a final dot", e, "zhangwei@nanhu.local.", msg("citizen@example.org"), false},
		{"a second From header", e, "citizen@example.org", "From: citizen@example.org\r\nFrom: zhangwei@nanhu.local\r\n\r\nx\r\n", false},
		{"an unreadable From", e, "citizen@example.org", msg("\"区长 <zhangwei@nanhu.local>"), false},
		{"signed with a key of our domain that is not ours", e, "zhangwei@nanhu.local",
			forged.sign(t, "nanhu.local", "nanhu", msg("zhangwei@nanhu.local")), false},
		{"signed by us", e, "zhangwei@nanhu.local", ours.sign(t, "nanhu.local", "nanhu", msg("zhangwei@nanhu.local")), true},
		{"our signature, then changed", e, "zhangwei@nanhu.local",
			strings.Replace(ours.sign(t, "nanhu.local", "nanhu", msg("zhangwei@nanhu.local")), "开会", "转账", 1), false},
		{"from an internal network", inside, "zhangwei@nanhu.local", msg("zhangwei@nanhu.local"), true},
		{"another domain", e, "citizen@example.org", msg("citizen@example.org"), true},
		{"the null sender", e, "", msg("MAILER-DAEMON@mx.example.org"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := send(tt.env.mx, tt.mailFrom, "lina@nanhu.local", tt.raw)
			if !tt.ok {
				wantRefusal(t, err, 550, "5.7.1")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestMXAuthenticationResults(t *testing.T) {
	ours := newDKIMKey(t)
	remote := newDKIMKey(t)
	dns := mailauth.Static{TXT: map[string][]string{
		"example.org":                    {"v=spf1 ip4:127.0.0.0/8 -all"},
		"_dmarc.example.org":             {"v=DMARC1; p=reject"},
		"reject.example":                 {"v=spf1 -all"},
		"_dmarc.reject.example":          {"v=DMARC1; p=reject"},
		"quarantine.example":             {"v=spf1 -all"},
		"_dmarc.quarantine.example":      {"v=DMARC1; p=quarantine"},
		"sel._domainkey.reject.example":  {remote.record},
		"monitor.example":                {"v=spf1 -all"},
		"_dmarc.monitor.example":         {"v=DMARC1; p=none"},
		"sel._domainkey.monitor.example": {remote.record},
		"nodmarc.example":                {"v=spf1 -all"},
		"sel._domainkey.nodmarc.example": {remote.record},
	}}
	e := newEnv(t, func(o *Options) { o.Checker = checkerFor(ours, dns) })
	offline := newEnv(t, func(o *Options) { o.Checker = checkerFor(ours, mailauth.Static{Fail: true}) })
	msg := func(from, subject string) string {
		return "Authentication-Results: mail.nanhu.local; dmarc=pass header.from=" + domainOf(from) + "\r\n" +
			"Authentication-Results: mx.example.org; spf=pass\r\n" +
			"From: " + from + "\r\nTo: lina@nanhu.local\r\nSubject: " + subject + "\r\n\r\nbody\r\n"
	}
	tests := []struct {
		name, mailFrom, raw string
		env                 *env
		code                int    // 0: accepted
		mailbox             string // where it lands
		header              string // our Authentication-Results, without its name
	}{
		{name: "SPF pass", env: e, mailFrom: "a@example.org", raw: msg("a@example.org", "spf"), mailbox: "INBOX",
			header: "mail.nanhu.local;\r\n\tspf=pass smtp.mailfrom=a@example.org;\r\n\tdkim=none;\r\n\tdmarc=pass header.from=example.org\r\n"},
		{name: "DMARC p=reject", env: e, mailFrom: "a@reject.example", raw: msg("a@reject.example", "reject"), code: 550},
		{name: "DMARC p=reject passed by DKIM", env: e, mailFrom: "a@reject.example", raw: remote.sign(t, "reject.example", "sel", msg("a@reject.example", "dkim")), mailbox: "INBOX",
			header: "mail.nanhu.local;\r\n\tspf=fail smtp.mailfrom=a@reject.example;\r\n\tdkim=pass header.d=reject.example;\r\n\tdmarc=pass header.from=reject.example\r\n"},
		{name: "DMARC p=quarantine", env: e, mailFrom: "a@quarantine.example", raw: msg("a@quarantine.example", "quarantine"), mailbox: "Junk",
			header: "mail.nanhu.local;\r\n\tspf=fail smtp.mailfrom=a@quarantine.example;\r\n\tdkim=none;\r\n\tdmarc=fail header.from=quarantine.example\r\n"},
		{name: "DMARC p=none", env: e, mailFrom: "a@monitor.example", raw: msg("a@monitor.example", "monitor"), mailbox: "INBOX"},
		{name: "no DMARC record", env: e, mailFrom: "a@nodmarc.example", raw: msg("a@nodmarc.example", "nodmarc"), mailbox: "INBOX"},
		{name: "DNS answers nothing", env: offline, mailFrom: "a@reject.example", raw: msg("a@reject.example", "offline"), mailbox: "INBOX",
			header: "mail.nanhu.local;\r\n\tspf=temperror smtp.mailfrom=a@reject.example;\r\n\tdkim=none;\r\n\tdmarc=temperror header.from=reject.example\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := send(tt.env.mx, tt.mailFrom, "lina@nanhu.local", tt.raw)
			if tt.code != 0 {
				wantRefusal(t, err, tt.code, "5.7.1")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			raw := lastMessage(t, tt.env, "lina", tt.mailbox)
			if !bytes.Contains(raw, []byte("Subject: "+subjectOfMsg(tt.raw))) {
				t.Fatalf("not in %s: %q", tt.mailbox, raw)
			}
			fields, _ := mailauth.SplitHeader(raw)
			var ours []string
			others := 0
			for _, f := range fields {
				if strings.EqualFold(f.Name, "Authentication-Results") {
					if strings.HasPrefix(f.Value(), "mail.nanhu.local") {
						ours = append(ours, string(f.Raw))
					} else {
						others++
					}
				}
			}
			if len(ours) != 1 || others != 1 {
				t.Fatalf("%d Authentication-Results of ours (want 1, the forged one removed), %d others (want 1):\n%s", len(ours), others, raw)
			}
			if tt.header != "" && ours[0] != "Authentication-Results: "+tt.header {
				t.Errorf("got\n%q, want\n%q", ours[0], tt.header)
			}
			if fields[0].Name != "Received" || fields[1].Name != "Authentication-Results" {
				t.Errorf("our Received and Authentication-Results are not first: %s, %s", fields[0].Name, fields[1].Name)
			}
		})
	}
}

func subjectOfMsg(raw string) string {
	_, rest, _ := strings.Cut(raw, "Subject: ")
	s, _, _ := strings.Cut(rest, "\r\n")
	return s
}

func TestSubmissionFrom(t *testing.T) {
	policy := accounts.SendAs{SharedMembers: true, ListMembers: true, Grants: map[string][]string{"xinfang@nanhu.local": {"lina"}}}
	e := newEnv(t, func(o *Options) { o.SendAs = policy })
	strict := newEnv(t, nil) // nobody may send as anyone else
	msg := func(header string) string {
		return header + "To: zhangwei@nanhu.local\r\nSubject: 会议\r\n\r\n明天开会。\r\n"
	}
	tests := []struct {
		name, mailFrom, raw string
		env                 *env
		code                int    // 0: accepted
		sender              string // the Sender header it must arrive with, "" for none
		from                string // the From header it must arrive with, "" for as sent
	}{
		{name: "own address", env: e, mailFrom: "lina@nanhu.local", raw: msg("From: 李娜 <lina@nanhu.local>\r\n")},
		{name: "another person's address", env: e, mailFrom: "lina@nanhu.local", raw: msg("From: 张伟 <zhangwei@nanhu.local>\r\n"), code: 553},
		{name: "a remote address", env: e, mailFrom: "lina@nanhu.local", raw: msg("From: lina@example.com\r\n"), code: 553},
		{name: "another person's address among own", env: e, mailFrom: "lina@nanhu.local", raw: msg("From: lina@nanhu.local, zhangwei@nanhu.local\r\n"), code: 553},
		{name: "two From headers", env: e, mailFrom: "lina@nanhu.local", raw: msg("From: lina@nanhu.local\r\nFrom: zhangwei@nanhu.local\r\n"), code: 553},
		{name: "an unreadable From naming another", env: e, mailFrom: "lina@nanhu.local", raw: msg("From: \"区长 <zhangwei@nanhu.local>\r\n"), code: 553},
		{name: "another's address as the display name", env: e, mailFrom: "lina@nanhu.local", raw: msg("From: \"zhangwei@nanhu.local\" <lina@nanhu.local>\r\n"), code: 553},
		{name: "a local domain with a final dot", env: e, mailFrom: "lina@nanhu.local", raw: msg("From: zhangwei@nanhu.local.\r\n"), code: 553},
		{name: "a forged Sender", env: e, mailFrom: "lina@nanhu.local", raw: msg("From: lina@nanhu.local\r\nSender: zhangwei@nanhu.local\r\n"), code: 553},
		{name: "shared mailbox", env: e, mailFrom: "lina@nanhu.local", raw: msg("From: 区政府办公室 <bangongshi@nanhu.local>\r\n"),
			sender: "Sender: =?utf-8?q?=E6=9D=8E=E5=A8=9C?= <lina@nanhu.local>\r\n"},
		{name: "shared mailbox as envelope too", env: e, mailFrom: "bangongshi@nanhu.local", raw: msg("From: bangongshi@nanhu.local\r\n"),
			sender: "Sender: =?utf-8?q?=E6=9D=8E=E5=A8=9C?= <lina@nanhu.local>\r\n"},
		{name: "shared mailbox with own Sender", env: e, mailFrom: "lina@nanhu.local", raw: msg("Sender: lina@nanhu.local\r\nFrom: bangongshi@nanhu.local\r\n")},
		{name: "shared mailbox where the config allows none", env: strict, mailFrom: "lina@nanhu.local", raw: msg("From: bangongshi@nanhu.local\r\n"), code: 553},
		{name: "shared mailbox as envelope where the config allows none", env: strict, mailFrom: "bangongshi@nanhu.local", raw: msg("From: lina@nanhu.local\r\n"), code: 553},
		{name: "a list one is on", env: e, mailFrom: "lina@nanhu.local", raw: msg("From: bgs@nanhu.local\r\n"),
			sender: "Sender: =?utf-8?q?=E6=9D=8E=E5=A8=9C?= <lina@nanhu.local>\r\n"},
		{name: "granted", env: e, mailFrom: "lina@nanhu.local", raw: msg("From: xinfang@nanhu.local\r\n"),
			sender: "Sender: =?utf-8?q?=E6=9D=8E=E5=A8=9C?= <lina@nanhu.local>\r\n"},
		{name: "no From: the envelope's", env: e, mailFrom: "lina@nanhu.local", raw: msg(""), from: "From: <lina@nanhu.local>\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dialSubmission(t, tt.env)
			if err := c.Auth(sasl.NewPlainClient("", "lina", "secret")); err != nil {
				t.Fatal(err)
			}
			err := c.SendMail(tt.mailFrom, []string{"zhangwei@nanhu.local"}, strings.NewReader(tt.raw))
			if tt.code != 0 {
				wantRefusal(t, err, tt.code, "5.7.1")
				if se := (*smtp.SMTPError)(nil); errors.As(err, &se) && len(strings.Fields(se.Message)) < 5 {
					t.Errorf("the refusal does not say why in a sentence: %q", se.Message)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			raw := string(lastMessage(t, tt.env, "zhangwei", "INBOX"))
			_, afterReceived, _ := strings.Cut(raw, ";\r\n\t")
			_, afterReceived, _ = strings.Cut(afterReceived, "\r\n")
			want := tt.sender + tt.from + tt.raw
			if afterReceived != want {
				t.Errorf("stored behind the Received header:\n%q, want\n%q", afterReceived, want)
			}
		})
	}
}

func TestControlCharactersInAddresses(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		name, addr string
		listener   string
	}{
		{"NUL in MAIL FROM", "MAIL FROM:<a\x00b@example.org>", "mx"},
		{"DEL in MAIL FROM", "MAIL FROM:<a\x7fb@example.org>", "mx"},
		{"C1 control in MAIL FROM", "MAIL FROM:<a\u0085b@example.org> SMTPUTF8", "mx"},
		{"NUL in RCPT TO", "RCPT TO:<li\x00na@nanhu.local>", "mx"},
		{"escape in RCPT TO", "RCPT TO:<lina\x1b@nanhu.local>", "mx"},
		{"NUL in MAIL FROM on submission", "MAIL FROM:<lina\x00@nanhu.local>", "sub"},
		{"NUL in RCPT TO on submission", "RCPT TO:<zhangwei@nanhu.local\x00>", "sub"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var conn net.Conn
			var err error
			if tt.listener == "mx" {
				conn, err = net.Dial("tcp", e.mx)
			} else {
				conn, err = tlsDial(e)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			r := bufio.NewReader(conn)
			cmd := func(line string) string {
				if line != "" {
					conn.Write([]byte(line + "\r\n"))
				}
				var last string
				for {
					l, err := r.ReadString('\n')
					if err != nil {
						t.Fatalf("after %q: %v", line, err)
					}
					if len(l) < 4 || l[3] != '-' {
						return last + l
					}
					last += l
				}
			}
			if tt.listener == "mx" {
				cmd("")
			}
			cmd("EHLO client.example")
			if tt.listener == "sub" {
				if got := cmd("AUTH PLAIN " + base64.StdEncoding.EncodeToString([]byte("\x00lina\x00secret"))); !strings.HasPrefix(got, "235") {
					t.Fatalf("AUTH: %q", got)
				}
			}
			if strings.HasPrefix(tt.addr, "RCPT") {
				from := "MAIL FROM:<a@example.org>"
				if tt.listener == "sub" {
					from = "MAIL FROM:<lina@nanhu.local>"
				}
				if got := cmd(from); !strings.HasPrefix(got, "250") {
					t.Fatalf("MAIL: %q", got)
				}
			}
			if got := cmd(tt.addr); !strings.HasPrefix(got, "501 5.1.3 ") {
				t.Errorf("%q answered %q, want 501 5.1.3", tt.addr, got)
			}
			// The conversation goes on. (A tab or a space already ends
			// the address in go-smtp's parser: 501 5.5.2.)
			if got := cmd("NOOP"); !strings.HasPrefix(got, "250") {
				t.Errorf("NOOP after the refusal: %q", got)
			}
		})
	}
}

// tlsDial opens a submission connection and does STARTTLS by hand, so
// that the test can write raw bytes behind it.
func tlsDial(e *env) (net.Conn, error) {
	conn, err := net.Dial("tcp", e.sub)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	expect := func(prefix string) error {
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return err
			}
			if len(l) >= 4 && l[3] == '-' {
				continue
			}
			if !strings.HasPrefix(l, prefix) {
				return errors.New("unexpected answer " + l)
			}
			return nil
		}
	}
	steps := []struct{ send, want string }{{"", "220"}, {"EHLO x\r\n", "250"}, {"STARTTLS\r\n", "220"}}
	for _, st := range steps {
		conn.Write([]byte(st.send))
		if err := expect(st.want); err != nil {
			conn.Close()
			return nil, err
		}
	}
	tc := tls.Client(conn, e.clientTLS)
	if err := tc.Handshake(); err != nil {
		conn.Close()
		return nil, err
	}
	return tc, nil
}
