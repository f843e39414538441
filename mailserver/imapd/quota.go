package imapd

import (
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-imap/v2"
)

// QUOTA (RFC 9208): go-imap v2 has no server side for it, so the guard
// hands GETQUOTAROOT, GETQUOTA and SETQUOTA to the session here. A user's
// own mailboxes share one quota root, "", whose STORAGE limit is the quota
// the directory sets and APPEND and COPY enforce; shared mailboxes have
// none.

// quotaCaps are announced after login.
var quotaCaps = []string{"QUOTA", "QUOTA=RES-STORAGE"}

// quotaCommand answers one quota command with its whole answer, tagged
// line included.
func (s *session) quotaCommand(tag, name, args string) string {
	toks, err := tokenize(args)
	if err != nil {
		return tag + " BAD [CLIENTBUG] " + err.Error() + "\r\n"
	}
	utf8 := s.conn.EnabledCaps().Has(imap.CapUTF8Accept) || s.conn.EnabledCaps().Has(imap.CapIMAP4rev2)
	switch name {
	case "SETQUOTA":
		return tag + " NO [NOPERM] Quotas are set by the administrator\r\n"
	case "GETQUOTA":
		if len(toks) != 1 || toks[0].paren() {
			return tag + " BAD [CLIENTBUG] GETQUOTA takes a quota root\r\n"
		}
		if toks[0].text != "" {
			return tag + " NO [NONEXISTENT] No such quota root; your mailboxes' root is \"\"\r\n"
		}
		line, err := s.quotaLine()
		if err != nil {
			return tag + " NO [UNAVAILABLE] " + err.Error() + "\r\n"
		}
		if line == "" {
			return tag + " NO [NONEXISTENT] Your mailboxes have no quota\r\n"
		}
		return line + tag + " OK GETQUOTA completed\r\n"
	case "GETQUOTAROOT":
		if len(toks) != 1 || toks[0].paren() {
			return tag + " BAD [CLIENTBUG] GETQUOTAROOT takes a mailbox name\r\n"
		}
		box := toks[0].text
		decoded := box
		if !strings.EqualFold(box, "INBOX") {
			if decoded, err = decodeMUTF7(box); err != nil {
				return tag + " NO [CANNOT] Mailbox name is not valid modified UTF-7: " + err.Error() + "\r\n"
			}
		}
		mb, err := s.mailboxByName(decoded)
		if err != nil {
			var ie *imap.Error
			if errors.As(err, &ie) {
				return fmt.Sprintf("%s NO [%s] %s\r\n", tag, ie.Code, ie.Text)
			}
			return tag + " NO No such mailbox\r\n"
		}
		echo := string(appendString(nil, box, utf8))
		if mb.Owner != s.login {
			return "* QUOTAROOT " + echo + "\r\n" + tag + " OK GETQUOTAROOT completed\r\n"
		}
		line, err := s.quotaLine()
		if err != nil {
			return tag + " NO [UNAVAILABLE] " + err.Error() + "\r\n"
		}
		if line == "" {
			return "* QUOTAROOT " + echo + "\r\n" + tag + " OK GETQUOTAROOT completed\r\n"
		}
		return "* QUOTAROOT " + echo + " \"\"\r\n" + line + tag + " OK GETQUOTAROOT completed\r\n"
	}
	return tag + " BAD Unknown command\r\n"
}

// quotaLine is the QUOTA response of the user's root, or "" without a
// quota. RFC 9208 counts STORAGE in units of 1024 octets.
func (s *session) quotaLine() (string, error) {
	limit, err := s.srv.dir.Quota(s.ctx, s.login)
	if err != nil {
		s.srv.log.Error("imap quota: directory", "user", s.login, "err", err)
		return "", errors.New("Temporary directory failure, try again later")
	}
	if limit <= 0 {
		return "", nil
	}
	used, _, err := s.srv.store.Usage(s.ctx, s.login)
	if err != nil {
		s.srv.log.Error("imap quota: usage", "user", s.login, "err", err)
		return "", errors.New("Temporary failure reading your usage, try again later")
	}
	return fmt.Sprintf("* QUOTA \"\" (STORAGE %d %d)\r\n", (used+1023)/1024, limit/1024), nil
}
