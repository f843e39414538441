package smtpd

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-smtp"

	"nanhu/mailserver/accounts"
	"nanhu/mailserver/mailauth"
)

// badAddress reports why addr cannot be an address: it holds a NUL or
// another control character (C0, DEL, C1) or is not UTF-8. "" means it may
// be one.
func badAddress(addr string) string {
	if !utf8.ValidString(addr) {
		return "is not valid UTF-8"
	}
	for _, r := range addr {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return "contains a control character"
		}
	}
	return ""
}

// domainOf is addr's domain, lowercase, without a final dot (which names
// the same domain).
func domainOf(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return ""
	}
	return strings.TrimRight(strings.ToLower(addr[at+1:]), ".")
}

// internal reports whether the client is one of the configured internal
// networks (the extranet's other mail systems).
func (s *session) internal() bool {
	for _, p := range s.srv.opts.InternalNetworks {
		if p.Contains(s.ip) {
			return true
		}
	}
	return false
}

func (s *session) isLocal(addr string) bool {
	d := domainOf(addr)
	return d != "" && s.srv.dir.IsLocalDomain(s.ctx, d)
}

// checkMX applies the sender rules of the MX to a message that arrived
// on it: it returns the message without forged Authentication-Results of
// ours, the header to put before it (our Authentication-Results), whether
// it goes to Junk, or the refusal.
func (s *session) checkMX(body []byte) (out []byte, prefix string, junk bool, err error) {
	host := s.srv.opts.Hostname
	if s.srv.opts.Checker != nil {
		host = s.srv.opts.Checker.Hostname()
	}
	out, n := mailauth.StripOurs(body, host)
	if n > 0 {
		s.srv.log.Info("smtp removed forged Authentication-Results", "remote", s.ip, "from", s.from, "count", n)
	}
	if s.internal() {
		return out, "", false, nil
	}
	fields, _ := mailauth.SplitHeader(body)
	fromAddrs, _ := mailauth.FromAddresses(fields)
	localSender := ""
	if s.from != "" && s.isLocal(s.from) {
		localSender = s.from
	}
	for _, a := range fromAddrs {
		if localSender == "" && s.isLocal(a) {
			localSender = a
		}
	}
	var res mailauth.Result
	if c := s.srv.opts.Checker; c != nil {
		res = c.Check(s.ctx, mailauth.Message{IP: s.ip, Helo: s.conn.Hostname(), MailFrom: s.from, Raw: body})
		prefix = res.Header(host)
		m := s.srv.metrics.authResults
		m.WithLabelValues("spf", string(res.SPF)).Inc()
		m.WithLabelValues("dmarc", string(res.DMARC)).Inc()
		if len(res.DKIM) == 0 {
			m.WithLabelValues("dkim", string(mailauth.None)).Inc()
		}
		for _, sig := range res.DKIM {
			m.WithLabelValues("dkim", string(sig.Value)).Inc()
		}
	}
	if localSender != "" && !res.OurSignature() {
		s.srv.log.Warn("smtp refused a local sender from outside", "remote", s.ip, "mail_from", s.from, "from", fromAddrs)
		return nil, "", false, s.refuse("local-sender", smtpErr(550, smtp.EnhancedCode{5, 7, 1},
			fmt.Sprintf("<%s> is an address of this server: mail from it must come through submission with a password", sanitize(localSender))))
	}
	if res.DMARC == mailauth.Fail {
		s.srv.log.Warn("smtp DMARC failure", "remote", s.ip, "mail_from", s.from, "from_domain", res.DMARCDomain,
			"policy", res.Policy, "spf", res.SPF, "dkim", len(res.DKIM))
		switch res.Policy {
		case mailauth.PolicyReject:
			return nil, "", false, s.refuse("dmarc", smtpErr(550, smtp.EnhancedCode{5, 7, 1},
				fmt.Sprintf("The domain %s asks that mail failing its DMARC check be refused, and this message fails it (SPF %s, no aligned DKIM signature)", sanitize(res.DMARCDomain), res.SPF)))
		case mailauth.PolicyQuarantine:
			junk = true
		}
	}
	return out, prefix, junk, nil
}

// checkSubmission applies the From rules of submission: every From
// address must be the account's or one it may send as, a Sender header
// must be its own; it returns the header fields to add (a From when there
// is none, a Sender when sending as another), or the refusal.
func (s *session) checkSubmission(body []byte) (prefix string, err error) {
	fields, _ := mailauth.SplitHeader(body)
	var from, sender []mailauth.Field
	for _, f := range fields {
		switch {
		case strings.EqualFold(f.Name, "From"):
			from = append(from, f)
		case strings.EqualFold(f.Name, "Sender"):
			sender = append(sender, f)
		}
	}
	refuse := func(msg string) error {
		s.srv.log.Warn("smtp refused a From header", "user", s.login, "remote", s.ip, "reason", msg)
		return s.refuse("from-header", smtpErr(553, smtp.EnhancedCode{5, 7, 1}, msg))
	}
	if len(from) > 1 || len(sender) > 1 {
		return "", refuse("The message has more than one From or Sender header; it may have one of each")
	}
	var addrs []string
	if len(from) == 0 {
		// RFC 6409 lets the submission server complete the message: the
		// envelope sender is already known to be allowed.
		prefix = "From: <" + s.from + ">\r\n"
		addrs = []string{strings.ToLower(s.from)}
	} else {
		addrs, _ = mailauth.FromAddresses(from)
		if len(addrs) == 0 {
			return "", refuse("The From header holds no address: write it as 名字 <address>")
		}
		// An address written as the display name ("zhangwei@nanhu.local"
		// <lina@nanhu.local>) is what many clients show: it must be
		// allowed too.
		addrs = append(addrs, mailauth.NameAddresses(from)...)
	}
	asOther := len(addrs) > 1
	for _, a := range addrs {
		kind, err := s.srv.opts.SendAs.May(s.ctx, s.srv.dir, s.login, a)
		if err != nil {
			s.srv.log.Error("smtp send-as", "user", s.login, "address", a, "err", err)
			return "", smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "Temporary directory failure, try again later")
		}
		if kind == accounts.NotAllowed {
			return "", refuse(fmt.Sprintf("You (%s) may not send as %s: put one of your own addresses in From, or a shared mailbox or list you are allowed to send as", s.login, sanitize(a)))
		}
		if kind != accounts.Own {
			asOther = true
		}
	}
	if len(sender) == 1 {
		list, _ := mailauth.FromAddresses([]mailauth.Field{{Name: "From", Raw: sender[0].Raw}})
		if len(list) != 1 {
			return "", refuse("The Sender header must be one of your own addresses")
		}
		kind, err := s.srv.opts.SendAs.May(s.ctx, s.srv.dir, s.login, list[0])
		if err != nil {
			return "", smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "Temporary directory failure, try again later")
		}
		if kind != accounts.Own {
			return "", refuse("The Sender header must be one of your own addresses")
		}
		return prefix, nil
	}
	if asOther {
		h, err := s.senderField()
		if err != nil {
			s.srv.log.Error("smtp sender field", "user", s.login, "err", err)
			return "", smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "Temporary directory failure, try again later")
		}
		prefix += h
	}
	return prefix, nil
}

// senderField is the Sender header naming the signed-in person (RFC 5322
// §3.6.2), with their name when the directory knows it.
func (s *session) senderField() (string, error) {
	own, err := s.srv.dir.SenderAddresses(s.ctx, s.login)
	if err != nil {
		return "", err
	}
	if len(own) == 0 {
		return "", errors.New("the account has no address")
	}
	a := mail.Address{Address: own[0]}
	if sd, ok := s.srv.dir.(accounts.SenderDirectory); ok {
		if name, err := sd.DisplayName(s.ctx, s.login); err == nil {
			a.Name = name
		}
	}
	return "Sender: " + a.String() + "\r\n", nil
}
