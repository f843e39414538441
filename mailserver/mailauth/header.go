package mailauth

import (
	"bytes"
	"strings"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-msgauth/authres"
)

// Field is one header field as it arrived: Raw holds the name, the colon,
// the value and every continuation line with their line ends.
type Field struct {
	Name string // as written, without the colon
	Raw  []byte
}

// Value is the field's value, unfolded, without the name, the colon and
// the line ends.
func (f Field) Value() string {
	_, v, _ := bytes.Cut(f.Raw, []byte(":"))
	v = bytes.ReplaceAll(v, []byte("\r\n"), nil)
	v = bytes.ReplaceAll(v, []byte("\n"), nil)
	return strings.TrimSpace(string(v))
}

// SplitHeader splits raw's header into its fields and returns them with
// the offset where the body starts (after the empty line; len(raw) when
// there is none). It accepts CRLF and bare LF line ends. A line before the
// empty one that is neither a field nor a continuation (no colon) is kept
// as a field of its own with an empty name, so that joining every Raw
// with the body gives raw back byte for byte.
func SplitHeader(raw []byte) ([]Field, int) {
	var fields []Field
	i := 0
	for i < len(raw) {
		end := bytes.IndexByte(raw[i:], '\n')
		next := len(raw)
		if end >= 0 {
			next = i + end + 1
		}
		line := raw[i:next]
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			return fields, next
		}
		if (line[0] == ' ' || line[0] == '\t') && len(fields) > 0 {
			f := &fields[len(fields)-1]
			f.Raw = raw[i-len(f.Raw) : next]
			i = next
			continue
		}
		name := ""
		if colon := bytes.IndexByte(line, ':'); colon > 0 {
			name = strings.TrimRight(string(line[:colon]), " \t")
			if strings.ContainsAny(name, " \t\r\n") {
				name = ""
			}
		}
		fields = append(fields, Field{Name: name, Raw: raw[i:next]})
		i = next
	}
	return fields, len(raw)
}

// FromAddresses returns the addresses of every From field, lowercased.
// strict is false when a field could not be parsed as RFC 5322 addresses
// and the addresses were picked from its text instead: anything that
// looks like local@domain counts, so that a malformed field cannot hide a
// forged address from the checks.
func FromAddresses(fields []Field) (addrs []string, strict bool) {
	strict = true
	for _, f := range fields {
		if !strings.EqualFold(f.Name, "From") {
			continue
		}
		v := f.Value()
		list, err := mail.ParseAddressList(v)
		if err == nil && len(list) > 0 {
			for _, a := range list {
				addrs = append(addrs, strings.ToLower(a.Address))
			}
			continue
		}
		strict = false
		addrs = append(addrs, scanAddresses(v)...)
	}
	return addrs, strict
}

// NameAddresses returns the addresses written inside the display names
// of the From fields (phrases like "zhangwei@nanhu.local" <x@example.org>),
// lowercased; fields that do not parse give none (FromAddresses already
// scanned their whole text).
func NameAddresses(fields []Field) []string {
	var out []string
	for _, f := range fields {
		if !strings.EqualFold(f.Name, "From") {
			continue
		}
		list, err := mail.ParseAddressList(f.Value())
		if err != nil {
			continue
		}
		for _, a := range list {
			out = append(out, scanAddresses(a.Name)...)
		}
	}
	return out
}

// scanAddresses finds every local@domain in s, whatever surrounds it,
// after removing comments and the white space the obsolete syntax allows
// around '@' and '.' (RFC 5322 §4.4).
func scanAddresses(s string) []string {
	var out []string
	s = stripComments(s)
	for _, sep := range []string{"@", "."} {
		for strings.Contains(s, " "+sep) || strings.Contains(s, sep+" ") || strings.Contains(s, "\t"+sep) || strings.Contains(s, sep+"\t") {
			s = strings.NewReplacer(" "+sep, sep, sep+" ", sep, "\t"+sep, sep, sep+"\t", sep).Replace(s)
		}
	}
	isAddr := func(r byte) bool {
		return r > ' ' && r != 0x7f && !strings.ContainsRune("<>()[],;:\"\\", rune(r))
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '@' {
			continue
		}
		lo := i
		for lo > 0 && isAddr(s[lo-1]) && s[lo-1] != '@' {
			lo--
		}
		hi := i + 1
		for hi < len(s) && isAddr(s[hi]) && s[hi] != '@' {
			hi++
		}
		if lo < i && hi > i+1 {
			out = append(out, strings.ToLower(strings.TrimRight(s[lo:hi], ".")))
		}
	}
	return out
}

// stripComments removes RFC 5322 comments (nested, with quoted pairs)
// outside quoted strings.
func stripComments(s string) string {
	var b strings.Builder
	depth, quoted := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && (depth > 0 || quoted):
			if depth == 0 && i+1 < len(s) {
				b.WriteByte(c)
				b.WriteByte(s[i+1])
			}
			i++
		case quoted:
			b.WriteByte(c)
			if c == '"' {
				quoted = false
			}
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth > 0:
		default:
			if c == '"' {
				quoted = true
			}
			b.WriteByte(c)
		}
	}
	return b.String()
}

// FromDomains is the distinct domains of FromAddresses, in order.
func FromDomains(fields []Field) []string {
	addrs, _ := FromAddresses(fields)
	var out []string
	seen := map[string]bool{}
	for _, a := range addrs {
		d := domainOf(a)
		if d != "" && !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// authservID is the authserv-id an Authentication-Results value starts
// with (RFC 8601 §2.2), comments and white space skipped.
func authservID(v string) string {
	v = strings.TrimLeft(v, " \t")
	for strings.HasPrefix(v, "(") {
		depth := 0
		i := 0
		for ; i < len(v); i++ {
			if v[i] == '\\' {
				i++
				continue
			}
			if v[i] == '(' {
				depth++
			} else if v[i] == ')' {
				depth--
				if depth == 0 {
					break
				}
			}
		}
		if i >= len(v) {
			return ""
		}
		v = strings.TrimLeft(v[i+1:], " \t")
	}
	end := strings.IndexAny(v, "; \t(")
	if end >= 0 {
		v = v[:end]
	}
	return strings.Trim(v, `"`)
}

// StripOurs returns raw without the Authentication-Results fields whose
// authserv-id is hostname (RFC 8601 §5: a forged one must not reach the
// reader's client as ours), and how many it removed. raw is returned
// unchanged, not copied, when there is none.
func StripOurs(raw []byte, hostname string) ([]byte, int) {
	fields, _ := SplitHeader(raw)
	n := 0
	for _, f := range fields {
		if isOurs(f, hostname) {
			n++
		}
	}
	if n == 0 {
		return raw, 0
	}
	out := make([]byte, 0, len(raw))
	hdrEnd := 0
	for _, f := range fields {
		hdrEnd += len(f.Raw)
		if !isOurs(f, hostname) {
			out = append(out, f.Raw...)
		}
	}
	// The empty line and the body, as they were.
	return append(out, raw[hdrEnd:]...), n
}

func isOurs(f Field, hostname string) bool {
	return strings.EqualFold(f.Name, "Authentication-Results") && strings.EqualFold(authservID(f.Value()), hostname)
}

// Header is the Authentication-Results field of r, folded one method a
// line, ending in CRLF.
func (r Result) Header(hostname string) string {
	var b strings.Builder
	b.WriteString("Authentication-Results: ")
	b.WriteString(hostname)
	add := func(res authres.Result) {
		s := authres.Format("x", []authres.Result{res})
		b.WriteString(";\r\n\t")
		b.WriteString(strings.TrimSpace(strings.TrimPrefix(s, "x; ")))
	}
	spfRes := &authres.SPFResult{Value: authres.ResultValue(r.SPF)}
	if r.MailFrom != "" {
		spfRes.From = clean(r.MailFrom)
	} else {
		spfRes.Helo = clean(r.Helo)
	}
	add(spfRes)
	if len(r.DKIM) == 0 {
		add(&authres.DKIMResult{Value: authres.ResultNone})
	}
	for _, s := range r.DKIM {
		add(&authres.DKIMResult{Value: authres.ResultValue(s.Value), Domain: clean(s.Domain)})
	}
	add(&authres.DMARCResult{Value: authres.ResultValue(r.DMARC), From: clean(r.DMARCDomain)})
	b.WriteString("\r\n")
	return b.String()
}
