package contract

import "time"

// OAActionVersion is the version of OAAction this build writes and reads.
const OAActionVersion = 1

// Sources of an OAAction.
const (
	SourceSMS = "sms" // a reply to a notification SMS; SourceRef is the sms.inbound event id
)

// OAAction is the message on oa.action (version 1): an action on a to-do
// asked for from outside the workbench. oa/ carries it out only if the
// to-do still waits for Login and its flow allows Action, and records it
// in the audit trail with its source.
//
//	{"v":1,"id":"01JD…","todo_id":"todo-8812","login":"zhangwei","action":"approve",
//	 "source":"sms","source_ref":"01JD…"}
type OAAction struct {
	V      int    `json:"v"`
	ID     string `json:"id"`
	TodoID string `json:"todo_id"`
	// Login is the official on whose behalf the action is taken: for
	// an SMS reply, the owner of the registered mobile it came from.
	Login string `json:"login"`
	// Action is one of the to-do's Actions, e.g. "approve".
	Action string `json:"action"`
	// Source is where the request came from: "sms".
	Source string `json:"source"`
	// SourceRef points at the request in its source, e.g. the id of the
	// sms.inbound event.
	SourceRef string `json:"source_ref"`
	// Comment is free text that came with it (批示 text), optional.
	Comment string `json:"comment,omitempty"`
	// At is when it was asked for; optional.
	At time.Time `json:"at,omitzero"`
}

// Topic returns "oa.action".
func (OAAction) Topic() string { return TopicOAAction }

// Version returns OAActionVersion.
func (OAAction) Version() int { return OAActionVersion }

// EventID returns a.ID.
func (a OAAction) EventID() string { return a.ID }

// Validate checks the rules of version 1.
func (a OAAction) Validate() error {
	const t = TopicOAAction
	if err := checkVersion(t, a.V, OAActionVersion); err != nil {
		return err
	}
	if err := checkID(t, "id", a.ID); err != nil {
		return err
	}
	if err := checkID(t, "todo_id", a.TodoID); err != nil {
		return err
	}
	if err := checkLogin(t, "login", a.Login); err != nil {
		return err
	}
	if err := checkToken(t, "action", a.Action); err != nil {
		return err
	}
	if err := checkToken(t, "source", a.Source); err != nil {
		return err
	}
	if err := checkID(t, "source_ref", a.SourceRef); err != nil {
		return err
	}
	return checkText(t, "comment", a.Comment, 1000, false, true)
}
