package contract

import "time"

// Versions of the SMS messages this build writes and reads.
const (
	NotifySMSVersion  = 1
	SMSInboundVersion = 1
	SMSStatusVersion  = 1
)

// NotifySMS is the message on notify.sms (version 1): an SMS for one of
// the gateways to send.
//
//	{"v":1,"id":"01JD…","to":"+8613800138000",
//	 "text":"【南湖】您有1件待办：关于加强电子政务建设的通知（秀政发〔2004〕12号），请于11月26日前处理。回复1同意 2退回",
//	 "login":"zhangwei","idempotency_key":"todo-8812/created","reason":"todo.created"}
//
// The gateway sends one SMS per IdempotencyKey, however often the message
// is delivered: a key it has already accepted is answered from its own
// records (S6).
type NotifySMS struct {
	V  int    `json:"v"`
	ID string `json:"id"`
	// To is the recipient's mobile in E.164 form, e.g. +8613800138000.
	To string `json:"to"`
	// Text is the whole message; the gateway splits it into parts
	// (70 UCS2 characters fit in one SMS). At most 1,000 characters.
	Text string `json:"text"`
	// Login is the official the SMS is for, when it is for one.
	Login string `json:"login,omitempty"`
	// IdempotencyKey names the SMS for the gateway's "sent once" rule;
	// two messages with the same key are one SMS.
	IdempotencyKey string `json:"idempotency_key"`
	// Reason says why it is sent, for logs and statistics, e.g.
	// todo.created, todo.digest, todo.overdue, todo.escalated,
	// reply.confirm, reply.help.
	Reason string `json:"reason"`
	// TodoID is the to-do the SMS is about, if any.
	TodoID string `json:"todo_id,omitempty"`
}

// Topic returns "notify.sms".
func (NotifySMS) Topic() string { return TopicNotifySMS }

// Version returns NotifySMSVersion.
func (NotifySMS) Version() int { return NotifySMSVersion }

// EventID returns m.ID.
func (m NotifySMS) EventID() string { return m.ID }

// Validate checks the rules of version 1.
func (m NotifySMS) Validate() error {
	const t = TopicNotifySMS
	if err := checkVersion(t, m.V, NotifySMSVersion); err != nil {
		return err
	}
	if err := checkID(t, "id", m.ID); err != nil {
		return err
	}
	if err := checkE164(t, "to", m.To); err != nil {
		return err
	}
	if err := checkText(t, "text", m.Text, 1000, true, true); err != nil {
		return err
	}
	if m.Login != "" {
		if err := checkLogin(t, "login", m.Login); err != nil {
			return err
		}
	}
	if err := checkID(t, "idempotency_key", m.IdempotencyKey); err != nil {
		return err
	}
	if err := checkText(t, "reason", m.Reason, 64, true, false); err != nil {
		return err
	}
	if m.TodoID != "" {
		return checkID(t, "todo_id", m.TodoID)
	}
	return nil
}

// SMSInbound is the message on sms.inbound (version 1): an SMS a modem
// received, reassembled from its parts.
//
//	{"v":1,"id":"01JD…","from":"+8613800138000","text":"1",
//	 "received":"2026-11-25T09:41:07+08:00","modem":"modem0"}
type SMSInbound struct {
	V  int    `json:"v"`
	ID string `json:"id"`
	// From is the originator as the network gave it: an E.164 number
	// (+8613800138000), a national or short number (10086), or an
	// alphanumeric sender.
	From string `json:"from"`
	Text string `json:"text"`
	// Received is the time the service centre stamped on it.
	Received time.Time `json:"received"`
	// Modem names the modem that took it.
	Modem string `json:"modem"`
}

// Topic returns "sms.inbound".
func (SMSInbound) Topic() string { return TopicSMSInbound }

// Version returns SMSInboundVersion.
func (SMSInbound) Version() int { return SMSInboundVersion }

// EventID returns m.ID.
func (m SMSInbound) EventID() string { return m.ID }

// Validate checks the rules of version 1. Text may be empty (an empty SMS
// is still a message someone sent).
func (m SMSInbound) Validate() error {
	const t = TopicSMSInbound
	if err := checkVersion(t, m.V, SMSInboundVersion); err != nil {
		return err
	}
	if err := checkID(t, "id", m.ID); err != nil {
		return err
	}
	if err := checkText(t, "from", m.From, 32, true, false); err != nil {
		return err
	}
	if err := checkText(t, "text", m.Text, 10000, false, true); err != nil {
		return err
	}
	if m.Received.IsZero() {
		return invalid(t, "received is missing")
	}
	return checkText(t, "modem", m.Modem, 64, true, false)
}

// SMSState is where a sent SMS stands (S5).
type SMSState string

// The states of an SMS, in order; delivered and failed are final.
const (
	SMSQueued    SMSState = "queued"
	SMSSending   SMSState = "sending"
	SMSSent      SMSState = "sent"
	SMSDelivered SMSState = "delivered"
	SMSFailed    SMSState = "failed"
)

// SMSStatus is the message on sms.status (version 1): an SMS asked for on
// notify.sms changed state.
//
//	{"v":1,"id":"01JD…","sms_id":"42","idempotency_key":"todo-8812/created",
//	 "state":"delivered","to":"+8613800138000"}
type SMSStatus struct {
	V  int    `json:"v"`
	ID string `json:"id"`
	// SMSID is the gateway's id of the SMS.
	SMSID string `json:"sms_id"`
	// IdempotencyKey is the key of the NotifySMS it answers.
	IdempotencyKey string   `json:"idempotency_key"`
	State          SMSState `json:"state"`
	To             string   `json:"to"`
	// Error says why, on "failed" (e.g. "+CMS ERROR: 38").
	Error string `json:"error,omitempty"`
	// At is when the state was reached; optional.
	At time.Time `json:"at,omitzero"`
	// Modem names the modem that carried it, once one did.
	Modem string `json:"modem,omitempty"`
	// Gateway names the gateway process that holds the SMS (optional):
	// the gateways of a cluster learn from it which notify.sms events
	// another one has taken on.
	Gateway string `json:"gateway,omitempty"`
}

// Topic returns "sms.status".
func (SMSStatus) Topic() string { return TopicSMSStatus }

// Version returns SMSStatusVersion.
func (SMSStatus) Version() int { return SMSStatusVersion }

// EventID returns m.ID.
func (m SMSStatus) EventID() string { return m.ID }

// Validate checks the rules of version 1.
func (m SMSStatus) Validate() error {
	const t = TopicSMSStatus
	if err := checkVersion(t, m.V, SMSStatusVersion); err != nil {
		return err
	}
	if err := checkID(t, "id", m.ID); err != nil {
		return err
	}
	if err := checkID(t, "sms_id", m.SMSID); err != nil {
		return err
	}
	if err := checkID(t, "idempotency_key", m.IdempotencyKey); err != nil {
		return err
	}
	switch m.State {
	case SMSQueued, SMSSending, SMSSent, SMSDelivered, SMSFailed:
	default:
		return invalid(t, "state %q is not one of queued, sending, sent, delivered, failed", m.State)
	}
	if err := checkE164(t, "to", m.To); err != nil {
		return err
	}
	if err := checkText(t, "error", m.Error, 500, false, false); err != nil {
		return err
	}
	if err := checkText(t, "modem", m.Modem, 64, false, false); err != nil {
		return err
	}
	return checkText(t, "gateway", m.Gateway, 64, false, false)
}
