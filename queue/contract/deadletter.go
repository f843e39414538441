package contract

import (
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"
)

// DeadLetterVersion is the version of DeadLetter this build writes and
// reads.
const DeadLetterVersion = 1

// DeadLetter is the message on every "<topic>.dead" topic (version 1): a
// message a consumer gave up on, with the reason. The original body is
// kept byte for byte: in Body when it is valid UTF-8, else in BodyBase64.
//
//	{"v":1,"topic":"oa.todo","channel":"routing","reason":"oa.todo: malformed message: …",
//	 "cause":"malformed","attempts":1,"message_id":"0a1b…","failed_at":"2026-11-25T09:30:00+08:00",
//	 "body":"{not json"}
type DeadLetter struct {
	V       int    `json:"v"`
	Topic   string `json:"topic"`   // the topic the message came from
	Channel string `json:"channel"` // the channel that gave up
	// Reason is the last error, as logged.
	Reason string `json:"reason"`
	// Cause sorts reasons: "malformed", "version", "invalid" (never
	// retried), "permanent" (the handler said so), "failed" (the
	// handler failed Attempts times).
	Cause    string    `json:"cause"`
	Attempts int       `json:"attempts"`
	MsgID    string    `json:"message_id"` // NSQ message id, hex
	EventID  string    `json:"event_id,omitempty"`
	FailedAt time.Time `json:"failed_at"`
	Body     string    `json:"body,omitempty"`
	// BodyBase64 holds a body that is not valid UTF-8.
	BodyBase64 []byte `json:"body_base64,omitempty"`
}

// SetBody stores body in Body or BodyBase64.
func (d *DeadLetter) SetBody(body []byte) {
	if utf8.Valid(body) {
		d.Body, d.BodyBase64 = string(body), nil
	} else {
		d.Body, d.BodyBase64 = "", append([]byte(nil), body...)
	}
}

// Original returns the original body.
func (d DeadLetter) Original() []byte {
	if d.BodyBase64 != nil {
		return d.BodyBase64
	}
	return []byte(d.Body)
}

// DecodeDeadLetter reads a dead-letter topic's message.
func DecodeDeadLetter(body []byte) (DeadLetter, error) {
	var d DeadLetter
	if err := json.Unmarshal(body, &d); err != nil {
		return d, fmt.Errorf("dead letter: %w: %v", ErrMalformed, err)
	}
	if d.V != DeadLetterVersion {
		return d, fmt.Errorf("dead letter: %w: version %d (this build reads version %d)", ErrVersion, d.V, DeadLetterVersion)
	}
	if d.Topic == "" {
		return d, fmt.Errorf("dead letter: %w: no topic", ErrInvalid)
	}
	return d, nil
}
