package smtpd

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/emersion/go-smtp"

	"nanhu/mailserver/accounts"
	"nanhu/mailserver/store"
)

// session is one SMTP conversation (from EHLO to QUIT).
type session struct {
	srv      *Server
	ctx      context.Context
	conn     *smtp.Conn
	tracked  *trackedConn
	mode     mode
	listener string
	ip       netip.Addr
	login    string // after AUTH

	// the transaction in progress
	from     string
	utf8     bool
	size     int64
	local    map[string]bool // logins
	localRcp []string        // the local addresses as given, for Received
	caseRcp  []string        // the case addresses (Options.Cases), handed to the queue
	remote   []string
}

func (s *Server) newSession(c *smtp.Conn, m mode, listener string) (smtp.Session, error) {
	tc := trackedOf(c.Conn())
	sess := &session{srv: s, ctx: s.ctx, conn: c, tracked: tc, mode: m, listener: listener, local: map[string]bool{}}
	if tc != nil {
		sess.ip = tc.ip
		tc.setOut(c.Conn()) // after STARTTLS: the TLS connection
	} else {
		sess.ip = remoteIP(c.Conn())
	}
	return sess, nil
}

func smtpErr(code int, enh smtp.EnhancedCode, msg string) *smtp.SMTPError {
	return &smtp.SMTPError{Code: code, EnhancedCode: enh, Message: msg}
}

func (s *session) refuse(reason string, err *smtp.SMTPError) error {
	s.srv.metrics.refused.WithLabelValues(s.listener, reason).Inc()
	return err
}

func (s *session) setInTx(v bool) {
	if s.tracked != nil {
		s.tracked.inTx.Store(v)
	}
}

// Mail starts a transaction.
func (s *session) Mail(from string, opts *smtp.MailOptions) error {
	if s.srv.draining.Load() {
		return smtpErr(421, smtp.EnhancedCode{4, 3, 2}, "Service shutting down, try again later")
	}
	if s.mode == modeSubmission && s.login == "" {
		return s.refuse("auth-required", smtpErr(530, smtp.EnhancedCode{5, 7, 0}, "Authentication required"))
	}
	if opts != nil && opts.Size > s.srv.opts.MaxMessageBytes {
		return s.refuse("size", smtpErr(552, smtp.EnhancedCode{5, 3, 4}, fmt.Sprintf("Message too big: the limit is %d bytes", s.srv.opts.MaxMessageBytes)))
	}
	if why := badAddress(from); why != "" {
		return s.refuse("address-syntax", smtpErr(501, smtp.EnhancedCode{5, 1, 3}, "The sender address "+why))
	}
	if s.mode == modeSubmission {
		if from == "" {
			return s.refuse("sender", smtpErr(553, smtp.EnhancedCode{5, 7, 1}, "Submission needs a sender address"))
		}
		kind, err := s.srv.opts.SendAs.May(s.ctx, s.srv.dir, s.login, from)
		if err != nil {
			s.srv.log.Error("smtp sender addresses", "user", s.login, "err", err)
			return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "Temporary directory failure, try again later")
		}
		if kind == accounts.NotAllowed {
			return s.refuse("sender", smtpErr(553, smtp.EnhancedCode{5, 7, 1},
				fmt.Sprintf("Sender address <%s> does not belong to %s, who may not send as it", from, s.login)))
		}
	}
	if !s.srv.limits.Message(s.ip) {
		s.srv.log.Warn("smtp message rate limit", "remote", s.ip, "listener", s.listener)
		return s.refuse("message-rate", smtpErr(451, smtp.EnhancedCode{4, 7, 0}, "Too many messages from your address in the last minute, try again later"))
	}
	s.resetTx()
	s.from = from
	if opts != nil {
		s.utf8 = opts.UTF8
		s.size = opts.Size
	}
	s.setInTx(true)
	return nil
}

// Rcpt adds a recipient: a local one after looking it up and checking the
// quota, a remote one only for an authenticated client.
func (s *session) Rcpt(to string, opts *smtp.RcptOptions) error {
	if why := badAddress(to); why != "" {
		return s.refuse("address-syntax", smtpErr(501, smtp.EnhancedCode{5, 1, 3}, "The recipient address "+why))
	}
	at := strings.LastIndexByte(to, '@')
	if at <= 0 || at == len(to)-1 {
		return s.refuse("syntax", smtpErr(501, smtp.EnhancedCode{5, 1, 3}, "Recipient must be a full address"))
	}
	domain := strings.ToLower(to[at+1:])
	if c := s.srv.opts.Cases; c != nil && c.IsCaseAddress(to) {
		s.caseRcp = append(s.caseRcp, to)
		return nil
	}
	if !s.srv.dir.IsLocalDomain(s.ctx, domain) {
		if s.login == "" {
			return s.refuse("relay", smtpErr(554, smtp.EnhancedCode{5, 7, 1}, "Relaying denied: authenticate to send to other domains"))
		}
		if s.srv.out == nil {
			return s.refuse("relay", smtpErr(550, smtp.EnhancedCode{5, 7, 1}, "This server does not send mail to other domains"))
		}
		s.remote = append(s.remote, to)
		return nil
	}
	logins, err := s.srv.dir.Resolve(s.ctx, to)
	if errors.Is(err, accounts.ErrUnknownRecipient) {
		return s.refuse("unknown-recipient", smtpErr(550, smtp.EnhancedCode{5, 1, 1}, fmt.Sprintf("No such user here: <%s>", to)))
	}
	if err != nil {
		s.srv.log.Error("smtp resolve", "rcpt", to, "err", err)
		return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "Temporary directory failure, try again later")
	}
	if len(logins) == 0 {
		return s.refuse("unknown-recipient", smtpErr(550, smtp.EnhancedCode{5, 1, 1}, fmt.Sprintf("No active recipient behind <%s>", to)))
	}
	if len(logins) == 1 {
		// A person's own mailbox: refuse now when it is full. (A list
		// delivers to every member with room; see Data.)
		if err := s.checkQuota(logins[0]); err != nil {
			return err
		}
	}
	for _, l := range logins {
		s.local[l] = true
	}
	s.localRcp = append(s.localRcp, to)
	return nil
}

func (s *session) checkQuota(login string) error {
	quota, err := s.srv.dir.Quota(s.ctx, login)
	if err != nil || quota <= 0 {
		return nil
	}
	used, _, err := s.srv.store.Usage(s.ctx, login)
	if err != nil {
		return nil
	}
	if used >= quota || (s.size > 0 && used+s.size > quota) {
		return s.refuse("quota", smtpErr(452, smtp.EnhancedCode{4, 2, 2}, "Mailbox full: the recipient is over quota"))
	}
	return nil
}

// Data reads the message and commits it: local copies into the store,
// remote ones into the outbound queue. The 250 follows only when both have
// reached the disk.
func (s *session) Data(r io.Reader) error {
	defer s.setInTx(false)
	body, err := io.ReadAll(r)
	if err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			return s.refuse("size", se)
		}
		if errors.Is(err, smtp.ErrTooLongLine) {
			return s.refuse("line-length", smtpErr(500, smtp.EnhancedCode{5, 6, 0}, fmt.Sprintf("Message has a line longer than %d bytes", MaxLineLength)))
		}
		return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "Error reading the message")
	}
	var prefix string
	junk := false
	switch s.mode {
	case modeMX:
		body, prefix, junk, err = s.checkMX(body)
	case modeSubmission:
		prefix, err = s.checkSubmission(body)
	}
	if err != nil {
		return err
	}
	id := newID()
	rcptFor := ""
	if all := append(append(append([]string(nil), s.localRcp...), s.remote...), s.caseRcp...); len(all) == 1 {
		rcptFor = all[0]
	}
	var raw bytes.Buffer
	raw.Grow(len(body) + len(prefix) + 300)
	raw.WriteString(s.received(id, rcptFor))
	raw.WriteString(prefix)
	raw.Write(body)
	msg := raw.Bytes()

	// Citizens' letters first: their hand-off may fail and be retried
	// before any local copy exists.
	for _, rc := range s.caseRcp {
		if junk || s.from == "" {
			// Failed the sender checks, or a bounce: no citizen wrote it.
			s.srv.log.Warn("smtp mail to a case address kept from the cases", "id", id, "rcpt", rc, "from", s.from, "junk", junk)
			continue
		}
		if err := s.srv.opts.Cases.HandOff(s.ctx, s.from, rc, msg); err != nil {
			s.srv.log.Error("smtp case hand-off failed", "id", id, "rcpt", rc, "err", err)
			return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "The letter could not be registered, try again later")
		}
	}
	if len(s.local) > 0 {
		if err := s.deliverLocal(id, msg, junk); err != nil {
			return err
		}
	}
	if len(s.remote) > 0 {
		if _, err := s.srv.out.Enqueue(s.ctx, s.from, s.remote, msg); err != nil {
			s.srv.log.Error("smtp queueing failed", "id", id, "err", err)
			if len(s.local) > 0 {
				// The local copies are in; a retry would duplicate them.
				// Better to report the remote failure than to lose it:
				// go-smtp has no per-recipient DATA reply outside LMTP.
				s.srv.log.Error("remote recipients not queued after local delivery", "id", id, "rcpts", s.remote)
			}
			return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "Queueing for remote delivery failed, try again later")
		}
	}
	s.srv.metrics.accepted.WithLabelValues(s.listener).Inc()
	s.srv.log.Info("smtp accepted", "id", id, "listener", s.listener, "remote", s.ip, "user", s.login,
		"from", s.from, "local", len(s.local), "remote_rcpts", len(s.remote), "cases", len(s.caseRcp), "size", len(msg), "junk", junk)
	s.resetTx()
	return nil
}

// deliverLocal commits msg into the local recipients' INBOX, or into
// their Junk when junk is set (a shared mailbox has no Junk: its INBOX).
func (s *session) deliverLocal(id string, msg []byte, junk bool) error {
	var rcpts []store.Recipient
	for login := range s.local {
		r := store.Recipient{Owner: login}
		if junk && !strings.HasPrefix(login, "#") {
			if err := s.srv.store.EnsureStandard(s.ctx, login); err != nil {
				s.srv.log.Error("smtp junk folder", "id", id, "owner", login, "err", err)
				return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "Local delivery failed, try again later")
			}
			r.Mailbox = "Junk"
		}
		rcpts = append(rcpts, r)
	}
	if _, err := s.srv.store.Deliver(s.ctx, store.Delivery{Recipients: rcpts, Raw: msg}); err != nil {
		s.srv.log.Error("smtp delivery failed", "id", id, "err", err)
		return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "Local delivery failed, try again later")
	}
	return nil
}

// received builds our Received header (RFC 5321 §4.4, with the protocol
// names of RFC 3848).
func (s *session) received(id, rcpt string) string {
	proto := "ESMTP"
	if s.utf8 {
		proto = "UTF8SMTP"
	}
	state, isTLS := s.conn.TLSConnectionState()
	if isTLS {
		proto += "S"
	}
	if s.login != "" {
		proto += "A"
	}
	helo := s.conn.Hostname()
	if helo == "" {
		helo = "unknown"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Received: from %s ([%s])\r\n\tby %s (Nanhu) with %s id %s", sanitize(helo), s.ip, s.srv.opts.Hostname, proto, id)
	if rcpt != "" {
		fmt.Fprintf(&b, "\r\n\tfor <%s>", sanitize(rcpt))
	}
	if isTLS {
		fmt.Fprintf(&b, "\r\n\t(%s %s)", tls.VersionName(state.Version), tls.CipherSuiteName(state.CipherSuite))
	}
	fmt.Fprintf(&b, ";\r\n\t%s\r\n", s.srv.opts.Now().Format("Mon, 02 Jan 2006 15:04:05 -0700"))
	return b.String()
}

// sanitize keeps client-supplied text from breaking the header.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '(' || r == ')' || r == ';' {
			return '_'
		}
		return r
	}, s)
}

func (s *session) resetTx() {
	s.from, s.utf8, s.size = "", false, 0
	s.local = map[string]bool{}
	s.localRcp, s.remote, s.caseRcp = nil, nil, nil
}

// Reset aborts the transaction (RSET, or a new EHLO).
func (s *session) Reset() {
	s.resetTx()
	s.setInTx(false)
}

// Logout ends the session.
func (s *session) Logout() error {
	s.setInTx(false)
	if s.tracked != nil {
		// STARTTLS ends the session once the TLS connection is up.
		s.tracked.setOut(s.conn.Conn())
	}
	return nil
}

func normalizeUser(u string) string { return strings.ToLower(strings.TrimSpace(u)) }
