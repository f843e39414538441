package mailauth

import (
	"bytes"
	"context"
	"net/netip"
	"strings"
	"testing"
)

// FuzzStripOurs: whatever the header, StripOurs removes whole fields and
// nothing else, and no field claiming our name is left.
func FuzzStripOurs(f *testing.F) {
	f.Add([]byte("Authentication-Results: mail.nanhu.local; spf=pass\r\nSubject: x\r\n\r\nbody"))
	f.Add([]byte("authentication-results: (c (nested)) MAIL.NANHU.LOCAL\r\n\t;dkim=pass\nX: y\n\n"))
	f.Add([]byte("Authentication-Results:\r\n \r\nno colon line\r\n\r\n"))
	f.Add([]byte("\r\n\r\nAuthentication-Results: mail.nanhu.local"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		fields, body := SplitHeader(raw)
		var joined []byte
		for _, fl := range fields {
			joined = append(joined, fl.Raw...)
		}
		if body < len(joined) || body > len(raw) || !bytes.HasPrefix(raw, joined) {
			t.Fatalf("fields do not cover the header: body at %d, %d bytes of fields", body, len(joined))
		}
		out, n := StripOurs(raw, "mail.nanhu.local")
		if n == 0 && !bytes.Equal(out, raw) {
			t.Fatal("changed a message with nothing to strip")
		}
		if !bytes.HasSuffix(out, raw[body:]) {
			t.Fatal("the body changed")
		}
		left, _ := SplitHeader(out)
		for _, fl := range left {
			if isOurs(fl, "mail.nanhu.local") {
				t.Fatalf("a field claiming our name is left: %q", fl.Raw)
			}
		}
	})
}

// FuzzFromAddresses: every address the strict parse finds is one a
// reader would see; a From that names our domain is never missed.
func FuzzFromAddresses(f *testing.F) {
	f.Add("张伟 <zhangwei@nanhu.local>")
	f.Add("\"a@b\" <<zhangwei@nanhu.local")
	f.Add("(c)zhangwei(c)@(c)nanhu.local")
	f.Add("=?GB2312?B?1cXOsA==?= <zhangwei@nanhu.local>, x@y")
	f.Fuzz(func(t *testing.T, from string) {
		if strings.ContainsAny(from, "\r\n") {
			return
		}
		fields, _ := SplitHeader([]byte("From: " + from + "\r\n\r\n"))
		addrs, _ := FromAddresses(fields)
		for _, a := range NameAddresses(fields) {
			if !strings.Contains(strings.ToLower(from), strings.TrimSuffix(a, ".")) && !strings.ContainsAny(from, "=\\\"()") {
				t.Fatalf("From %q: %q is not in the display name's text", from, a)
			}
		}
		if strings.Contains(from, "<zhangwei@nanhu.local>") && !strings.ContainsAny(from, "\"()\\") {
			found := false
			for _, a := range addrs {
				if a == "zhangwei@nanhu.local" {
					found = true
				}
			}
			if !found {
				t.Fatalf("From %q: %q misses zhangwei@nanhu.local", from, addrs)
			}
		}
	})
}

// FuzzCheck runs every check on arbitrary messages: it never panics and
// always writes a header that reads back as ours.
func FuzzCheck(f *testing.F) {
	f.Add([]byte("DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=sel; h=from; bh=x; b=y\r\nFrom: a@example.org\r\n\r\nbody"), "a@example.org", "helo")
	f.Add([]byte("From: <>\r\n\r\n"), "", "[127.0.0.1]")
	f.Add([]byte("DKIM-Signature: \r\nFrom: zhangwei@nanhu.local\r\n"), "x@nanhu.local", "")
	c := New(Options{Hostname: "mail.nanhu.local", LocalDomains: []string{"nanhu.local"}, Resolver: Static{TXT: map[string][]string{
		"example.org": {"v=spf1 include:%{d}.x a mx ptr exists:%{i}.e -all"}, "_dmarc.example.org": {"v=DMARC1; p=reject; pct=50"},
		"sel._domainkey.example.org": {"v=DKIM1; p=bad"},
	}}})
	f.Fuzz(func(t *testing.T, raw []byte, mailFrom, helo string) {
		r := c.Check(context.Background(), Message{IP: netip.MustParseAddr("192.0.2.1"), Helo: helo, MailFrom: mailFrom, Raw: raw})
		h := r.Header("mail.nanhu.local")
		fields, _ := SplitHeader([]byte(h + "\r\n"))
		if len(fields) != 1 || !isOurs(fields[0], "mail.nanhu.local") {
			t.Fatalf("header does not read back as one field of ours: %q", h)
		}
		unfolded := strings.ReplaceAll(strings.TrimSuffix(h, "\r\n"), "\r\n\t", " ")
		if strings.ContainsAny(unfolded, "\r\n\x00") {
			t.Fatalf("a control character inside the header: %q", h)
		}
	})
}
