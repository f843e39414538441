package mailauth

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"net/netip"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
)

type testKey struct {
	priv   ed25519.PrivateKey
	record string
}

func newKey(t testing.TB) testKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return testKey{priv, "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)}
}

func sign(t testing.TB, k testKey, domain, selector, msg string) string {
	t.Helper()
	var out bytes.Buffer
	err := dkim.Sign(&out, strings.NewReader(msg), &dkim.SignOptions{
		Domain: domain, Selector: selector, Signer: k.priv,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func message(from string) string {
	return "From: " + from + "\r\nTo: lina@nanhu.local\r\nSubject: test\r\n\r\nbody\r\n"
}

func TestCheck(t *testing.T) {
	remote := newKey(t)
	ours := newKey(t)
	other := newKey(t)
	dns := Static{
		TXT: map[string][]string{
			"example.org":                   {"v=spf1 ip4:192.0.2.0/24 -all"},
			"_dmarc.example.org":            {"v=DMARC1; p=reject"},
			"sel._domainkey.example.org":    {remote.record},
			"quarantine.example":            {"v=spf1 -all"},
			"_dmarc.quarantine.example":     {"v=DMARC1; p=quarantine"},
			"relaxed.example":               {"v=spf1 +all"},
			"_dmarc.relaxed.example":        {"v=DMARC1; p=reject; sp=quarantine"},
			"nopolicy.example":              {"v=spf1 ~all"},
			"_dmarc.monitor.example":        {"v=DMARC1; p=none"},
			"monitor.example":               {"v=spf1 -all"},
			"nanhu._domainkey.nanhu.local":  {other.record}, // a forged key in DNS: never used
			"_dmarc.nanhu.local":            {"v=DMARC1; p=reject"},
			"mail.example.org":              {"v=spf1 ip4:192.0.2.7 -all"},
			"sel._domainkey.mail.strict.ex": {remote.record},
			"_dmarc.strict.ex":              {"v=DMARC1; p=reject; adkim=s"},
		},
	}
	c := New(Options{Hostname: "mail.nanhu.local", LocalDomains: []string{"nanhu.local"},
		OwnKeys: []Key{{Domain: "nanhu.local", Selector: "nanhu", Record: ours.record}}, Resolver: dns})
	in := netip.MustParseAddr("192.0.2.7")
	out := netip.MustParseAddr("198.51.100.1")
	tests := []struct {
		name              string
		ip                netip.Addr
		mailFrom, helo    string
		raw               string
		spf, dmarc        Value
		policy            Policy
		ourSig            bool
		dkim              Value // of the first signature; "" for none
		header            string
		resolver          Resolver
		wantDMARCDomainIs string
	}{
		{name: "SPF pass aligned", ip: in, mailFrom: "a@example.org", raw: message("a@example.org"),
			spf: Pass, dmarc: Pass, policy: PolicyNone,
			header: "spf=pass smtp.mailfrom=a@example.org;\r\n\tdkim=none;\r\n\tdmarc=pass header.from=example.org"},
		{name: "SPF fail, p=reject", ip: out, mailFrom: "a@example.org", raw: message("a@example.org"),
			spf: Fail, dmarc: Fail, policy: PolicyReject},
		{name: "DKIM pass saves an SPF fail", ip: out, mailFrom: "a@example.org", raw: sign(t, remote, "example.org", "sel", message("a@example.org")),
			spf: Fail, dmarc: Pass, policy: PolicyNone, dkim: Pass},
		{name: "a tampered signature fails", ip: out, mailFrom: "a@example.org",
			raw: strings.Replace(sign(t, remote, "example.org", "sel", message("a@example.org")), "body", "bodY", 1),
			spf: Fail, dmarc: Fail, policy: PolicyReject, dkim: Fail},
		{name: "SPF pass for another domain is not aligned", ip: out, mailFrom: "x@relaxed.example", raw: message("a@example.org"),
			spf: Pass, dmarc: Fail, policy: PolicyReject},
		{name: "relaxed alignment of a subdomain", ip: in, mailFrom: "b@mail.example.org", raw: message("a@example.org"),
			spf: Pass, dmarc: Pass, policy: PolicyNone},
		{name: "strict DKIM alignment refuses a subdomain", ip: out, mailFrom: "", helo: "nohelo.example",
			raw: sign(t, remote, "mail.strict.ex", "sel", message("a@strict.ex")), spf: None, dmarc: Fail, policy: PolicyReject, dkim: Pass},
		{name: "quarantine", ip: out, mailFrom: "a@quarantine.example", raw: message("a@quarantine.example"),
			spf: Fail, dmarc: Fail, policy: PolicyQuarantine},
		{name: "sp= for a subdomain", ip: out, mailFrom: "a@sub.relaxed.example", raw: message("a@sub.relaxed.example"),
			spf: None, dmarc: Fail, policy: PolicyQuarantine},
		{name: "p=none only reports", ip: out, mailFrom: "a@monitor.example", raw: message("a@monitor.example"),
			spf: Fail, dmarc: Fail, policy: PolicyNone},
		{name: "no DMARC record", ip: out, mailFrom: "a@nopolicy.example", raw: message("a@nopolicy.example"),
			spf: SoftFail, dmarc: None, policy: PolicyNone},
		{name: "null sender checks HELO", ip: in, mailFrom: "", helo: "mail.example.org", raw: message("MAILER-DAEMON@mail.example.org"),
			spf: Pass, dmarc: Pass, policy: PolicyNone,
			header: "spf=pass smtp.helo=mail.example.org;\r\n\tdkim=none;\r\n\tdmarc=pass header.from=mail.example.org"},
		{name: "our own signature", ip: out, mailFrom: "zhangwei@nanhu.local", raw: sign(t, ours, "nanhu.local", "nanhu", message("zhangwei@nanhu.local")),
			spf: None, dmarc: Pass, policy: PolicyNone, ourSig: true, dkim: Pass},
		{name: "a key of our domain from DNS is never used", ip: out, mailFrom: "zhangwei@nanhu.local", raw: sign(t, other, "nanhu.local", "nanhu", message("zhangwei@nanhu.local")),
			spf: None, dmarc: Fail, policy: PolicyReject, dkim: Fail},
		{name: "offline: nothing answers", ip: out, mailFrom: "a@example.org", raw: sign(t, remote, "example.org", "sel", message("a@example.org")),
			resolver: Static{}, spf: None, dmarc: None, policy: PolicyNone, dkim: PermError},
		{name: "DNS unreachable", ip: out, mailFrom: "a@example.org", raw: message("a@example.org"),
			resolver: Static{Fail: true}, spf: TempError, dmarc: TempError, policy: PolicyNone,
			header: "spf=temperror smtp.mailfrom=a@example.org;\r\n\tdkim=none;\r\n\tdmarc=temperror header.from=example.org"},
		{name: "two From domains: the failing one counts", ip: in, mailFrom: "a@example.org", raw: message("a@example.org, b@quarantine.example"),
			spf: Pass, dmarc: Fail, policy: PolicyQuarantine},
		{name: "no From", ip: in, mailFrom: "a@example.org", raw: "Subject: x\r\n\r\nbody\r\n",
			spf: Pass, dmarc: None, policy: PolicyNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc := c
			if tt.resolver != nil {
				o := c.opts
				o.Resolver = tt.resolver
				cc = New(o)
			}
			r := cc.Check(context.Background(), Message{IP: tt.ip, Helo: tt.helo, MailFrom: tt.mailFrom, Raw: []byte(tt.raw)})
			if r.SPF != tt.spf || r.DMARC != tt.dmarc || r.Policy != tt.policy || r.OurSignature() != tt.ourSig {
				t.Errorf("spf=%s dmarc=%s policy=%s ours=%v, want spf=%s dmarc=%s policy=%s ours=%v (%s; %s; dkim %s)",
					r.SPF, r.DMARC, r.Policy, r.OurSignature(), tt.spf, tt.dmarc, tt.policy, tt.ourSig, r.SPFReason, r.DMARCReason, dkimValue(r.DKIM))
			}
			gotDKIM := Value("")
			if len(r.DKIM) > 0 {
				gotDKIM = r.DKIM[0].Value
			}
			if gotDKIM != tt.dkim {
				t.Errorf("dkim %q, want %q (%v)", gotDKIM, tt.dkim, r.DKIM)
			}
			h := r.Header("mail.nanhu.local")
			if tt.header != "" && h != "Authentication-Results: mail.nanhu.local;\r\n\t"+tt.header+"\r\n" {
				t.Errorf("header:\n%q, want\n%q", h, tt.header)
			}
			if id := authservID(strings.TrimPrefix(strings.TrimSuffix(h, "\r\n"), "Authentication-Results:")); id != "mail.nanhu.local" {
				t.Errorf("our header's authserv-id reads %q", id)
			}
		})
	}
}

func TestStripOurs(t *testing.T) {
	tests := []struct {
		name, in, want string
		n              int
	}{
		{"ours removed, others kept",
			"Authentication-Results: mail.nanhu.local; dmarc=pass\r\nAuthentication-Results: mx.example.org; spf=fail\r\nSubject: x\r\n\r\nbody\r\nAuthentication-Results: mail.nanhu.local; in the body\r\n",
			"Authentication-Results: mx.example.org; spf=fail\r\nSubject: x\r\n\r\nbody\r\nAuthentication-Results: mail.nanhu.local; in the body\r\n", 1},
		{"folded, other case, with a comment",
			"Subject: x\r\nauthentication-results: (forged)\r\n MAIL.NANHU.LOCAL;\r\n\tdkim=pass\r\nTo: y\r\n\r\n",
			"Subject: x\r\nTo: y\r\n\r\n", 1},
		{"bare LF", "AUTHENTICATION-RESULTS:mail.nanhu.local;spf=pass\nSubject: x\n\nbody\n", "Subject: x\n\nbody\n", 1},
		{"a version after the id", "Authentication-Results: mail.nanhu.local 1; spf=pass\r\n\r\n", "\r\n", 1},
		{"a longer name is not ours", "Authentication-Results: mail.nanhu.local.evil.example; spf=pass\r\n\r\n", "Authentication-Results: mail.nanhu.local.evil.example; spf=pass\r\n\r\n", 0},
		{"no body", "Authentication-Results: mail.nanhu.local; spf=pass\r\nSubject: x\r\n", "Subject: x\r\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, n := StripOurs([]byte(tt.in), "mail.nanhu.local")
			if string(got) != tt.want || n != tt.n {
				t.Errorf("got %q (%d), want %q (%d)", got, n, tt.want, tt.n)
			}
		})
	}
}

func TestFromAddresses(t *testing.T) {
	tests := []struct {
		from   string
		want   string
		strict bool
	}{
		{"张伟 <ZhangWei@Nanhu.Local>", "zhangwei@nanhu.local", true},
		{"=?UTF-8?B?5byg5Lyf?= <zhangwei@nanhu.local>, lina@nanhu.local", "zhangwei@nanhu.local lina@nanhu.local", true},
		{"<user-from (comment)@ (comment) domain.org>", "user-from@domain.org", false},
		{"\"x\" <a@example.org", "a@example.org", false},
		{"broken <<zhangwei@nanhu.local>>", "zhangwei@nanhu.local", false},
		{"\xb7\xa2\xce\xc4 <zhangwei@nanhu.local>", "zhangwei@nanhu.local", false},
	}
	for _, tt := range tests {
		fields, _ := SplitHeader([]byte("From: " + tt.from + "\r\n\r\n"))
		got, strict := FromAddresses(fields)
		if strings.Join(got, " ") != tt.want || strict != tt.strict {
			t.Errorf("From: %s → %q strict=%v, want %q strict=%v", tt.from, got, strict, tt.want, tt.strict)
		}
	}
	// Every From field counts.
	fields, _ := SplitHeader([]byte("From: a@example.org\r\nSubject: x\r\nfrom: zhangwei@nanhu.local\r\n\r\n"))
	if got := FromDomains(fields); strings.Join(got, " ") != "example.org nanhu.local" {
		t.Errorf("two From fields: %q", got)
	}
}
