package contract

import "strings"

// NotifyMailVersion is the version of NotifyMail this build writes and
// reads.
const NotifyMailVersion = 1

// NotifyMail is the message on notify.mail (version 1): a notification
// mail for a local user, put straight into their INBOX by the mail server
// (no SMTP hop); or, with ToAddress instead of ToLogin, for someone
// outside (a citizen about their case), sent through the mail server's
// outbound queue.
//
//	{"v":1,"id":"01JD…","to_login":"zhangwei","subject":"【待办】关于加强电子政务建设的通知",
//	 "body":"您有1件待办……","idempotency_key":"todo-8812/created/mail","reason":"todo.created"}
type NotifyMail struct {
	V  int    `json:"v"`
	ID string `json:"id"`
	// ToLogin is the local user whose INBOX gets the mail.
	ToLogin string `json:"to_login,omitempty"`
	// ToAddress is an outside address the mail is sent to, when ToLogin
	// is empty: exactly one of the two is set.
	ToAddress string `json:"to_address,omitempty"`
	// Subject is one line of UTF-8; the mail server encodes it (RFC 2047).
	Subject string `json:"subject"`
	// Body is plain UTF-8 text, at most 256 Ki characters.
	Body string `json:"body"`
	// From is the display name of the sender, e.g. 南湖办公系统;
	// optional.
	From string `json:"from,omitempty"`
	// IdempotencyKey names the mail: two messages with the same key are
	// one mail. Optional; the event id serves when it is empty.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
	// Reason says why it is sent, as on NotifySMS; optional.
	Reason string `json:"reason,omitempty"`
	// TodoID is the to-do the mail is about, if any.
	TodoID string `json:"todo_id,omitempty"`
}

// Topic returns "notify.mail".
func (NotifyMail) Topic() string { return TopicNotifyMail }

// Version returns NotifyMailVersion.
func (NotifyMail) Version() int { return NotifyMailVersion }

// EventID returns m.ID.
func (m NotifyMail) EventID() string { return m.ID }

// Validate checks the rules of version 1.
func (m NotifyMail) Validate() error {
	const t = TopicNotifyMail
	if err := checkVersion(t, m.V, NotifyMailVersion); err != nil {
		return err
	}
	if err := checkID(t, "id", m.ID); err != nil {
		return err
	}
	switch {
	case m.ToLogin != "" && m.ToAddress != "":
		return invalid(t, "to_login and to_address are both set; one of them names the recipient")
	case m.ToAddress != "":
		if at := strings.LastIndexByte(m.ToAddress, '@'); at <= 0 || at == len(m.ToAddress)-1 || len(m.ToAddress) > 254 ||
			strings.ContainsAny(m.ToAddress, " \t\r\n<>,;\"") {
			return invalid(t, "to_address %q is not a mail address", m.ToAddress)
		}
	default:
		if err := checkLogin(t, "to_login", m.ToLogin); err != nil {
			return err
		}
	}
	if err := checkText(t, "subject", m.Subject, 500, true, false); err != nil {
		return err
	}
	if err := checkText(t, "body", m.Body, 256*1024, false, true); err != nil {
		return err
	}
	if err := checkText(t, "from", m.From, 64, false, false); err != nil {
		return err
	}
	if m.IdempotencyKey != "" {
		if err := checkID(t, "idempotency_key", m.IdempotencyKey); err != nil {
			return err
		}
	}
	if err := checkText(t, "reason", m.Reason, 64, false, false); err != nil {
		return err
	}
	if m.TodoID != "" {
		return checkID(t, "todo_id", m.TodoID)
	}
	return nil
}
