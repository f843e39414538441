package imapd

import (
	"strings"
	"unicode/utf16"

	"github.com/emersion/go-imap/v2"

	"nanhu/mailserver/accounts"
	"nanhu/mailserver/store"
)

// SharedPrefix is the shared namespace (RFC 2342): a department's shared
// mailbox appears as 公共邮箱/<department> (its INBOX) with the folders its
// members make below it.
const SharedPrefix = "公共邮箱/"

// mailbox is a client's mailbox name resolved to the store.
type mailbox struct {
	owner, name string
	shared      *accounts.Shared // nil for the user's own mailboxes
}

// resolveName maps a client's name to the store. Names under the shared
// prefix reach only the shared mailboxes the directory grants this user;
// everything else is the user's own.
func (s *session) resolveName(name string) (mailbox, error) {
	if rest, ok := strings.CutPrefix(name, SharedPrefix); ok {
		dept, sub, _ := strings.Cut(rest, "/")
		for i := range s.shared {
			sh := &s.shared[i]
			if sh.Name == dept {
				box := "INBOX"
				if sub != "" {
					box = sub
				}
				return mailbox{owner: sh.Owner, name: box, shared: sh}, nil
			}
		}
		return mailbox{}, imapErr(imap.ResponseCodeNonExistent, "No such shared mailbox")
	}
	if strings.TrimSuffix(name, "/") == strings.TrimSuffix(SharedPrefix, "/") {
		return mailbox{}, imapErr(imap.ResponseCodeNonExistent, "The shared namespace itself holds no messages")
	}
	return mailbox{owner: s.login, name: name}, nil
}

// clientName is the name a client sees for a store mailbox.
func clientName(sh *accounts.Shared, name string) string {
	if sh == nil {
		return name
	}
	if store.CanonicalName(name) == "INBOX" {
		return SharedPrefix + sh.Name
	}
	return SharedPrefix + sh.Name + "/" + name
}

// encodeMUTF7 writes name in IMAP's modified UTF-7 (RFC 3501 §5.1.3), for
// the NAMESPACE prefix of a client that has not enabled UTF8=ACCEPT.
func encodeMUTF7(name string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,"
	var b strings.Builder
	var run []rune
	flush := func() {
		if len(run) == 0 {
			return
		}
		units := utf16.Encode(run)
		buf := make([]byte, 0, len(units)*2)
		for _, u := range units {
			buf = append(buf, byte(u>>8), byte(u))
		}
		b.WriteByte('&')
		var acc, bits uint
		for _, c := range buf {
			acc = acc<<8 | uint(c)
			bits += 8
			for bits >= 6 {
				bits -= 6
				b.WriteByte(alphabet[(acc>>bits)&0x3f])
			}
		}
		if bits > 0 {
			b.WriteByte(alphabet[(acc<<(6-bits))&0x3f])
		}
		b.WriteByte('-')
		run = run[:0]
	}
	for _, r := range name {
		switch {
		case r == '&':
			flush()
			b.WriteString("&-")
		case r >= 0x20 && r <= 0x7e:
			flush()
			b.WriteRune(r)
		default:
			run = append(run, r)
		}
	}
	flush()
	return b.String()
}
