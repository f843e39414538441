package contract

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Event is implemented by every message type of this package (with value
// receivers, so the zero value answers Topic and Version).
type Event interface {
	// Topic is the NSQ topic the type is published on.
	Topic() string
	// Version is the schema version this build writes and reads.
	Version() int
	// EventID is the event's id, the key consumers deduplicate on.
	EventID() string
	// Validate reports the first rule the event breaks, wrapping
	// ErrInvalid.
	Validate() error
}

// Errors of Decode and Validate, for errors.Is. A message that fails with
// any of them will never succeed, so the queue dead-letters it at once.
var (
	// ErrMalformed: the body is not JSON of the type's shape.
	ErrMalformed = errors.New("malformed message")
	// ErrVersion: "v" is missing or names a version this build does
	// not read.
	ErrVersion = errors.New("unknown message version")
	// ErrInvalid: the message breaks a rule of its type.
	ErrInvalid = errors.New("invalid message")
)

// Decode reads body as a T, checks its "v" and validates it.
func Decode[T Event](body []byte) (T, error) {
	// The common case in one pass: a body of this version that follows
	// the rules (Validate checks "v" first). Anything else is read again
	// step by step, to say exactly what is wrong with it.
	var fast T
	if json.Unmarshal(body, &fast) == nil && fast.Validate() == nil {
		return fast, nil
	}
	var ev T
	topic := ev.Topic()
	var head struct {
		V *int `json:"v"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return ev, fmt.Errorf("%s: %w: %v", topic, ErrMalformed, err)
	}
	if head.V == nil {
		return ev, fmt.Errorf("%s: %w: no \"v\" field (this build reads version %d)", topic, ErrVersion, ev.Version())
	}
	if *head.V != ev.Version() {
		return ev, fmt.Errorf("%s: %w: version %d (this build reads version %d)", topic, ErrVersion, *head.V, ev.Version())
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		var zero T
		return zero, fmt.Errorf("%s: %w: %v", topic, ErrMalformed, err)
	}
	if err := ev.Validate(); err != nil {
		return ev, err
	}
	return ev, nil
}

// Encode validates ev and returns its JSON body.
func Encode(ev Event) ([]byte, error) {
	if err := ev.Validate(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep 〔〕, <, > readable in nsq_tail
	if err := enc.Encode(ev); err != nil {
		return nil, fmt.Errorf("%s: encode: %w", ev.Topic(), err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// NewID returns a new event id: 26 characters of Crockford base32, a
// 48-bit millisecond timestamp then 80 random bits, so ids sort by time.
func NewID() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixMilli())<<16)
	if _, err := rand.Read(b[6:]); err != nil {
		panic(err) // crypto/rand never fails on a supported platform
	}
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	var out [26]byte
	// 128 bits as 26 five-bit groups, the first group holding 3 bits.
	hi, lo := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	for i := 25; i >= 0; i-- {
		out[i] = alphabet[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}

// invalid wraps ErrInvalid with the topic and a sentence.
func invalid(topic, format string, args ...any) error {
	return fmt.Errorf("%s: %w: %s", topic, ErrInvalid, fmt.Sprintf(format, args...))
}

// checkVersion is the first rule of every type.
func checkVersion(topic string, got, want int) error {
	if got != want {
		return fmt.Errorf("%s: %w: v is %d, this build writes version %d", topic, ErrVersion, got, want)
	}
	return nil
}

// checkID: an event or record id is 1 to 128 printable ASCII characters
// without spaces.
func checkID(topic, field, id string) error {
	if id == "" {
		return invalid(topic, "%s is empty", field)
	}
	if len(id) > 128 {
		return invalid(topic, "%s is longer than 128 bytes", field)
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return invalid(topic, "%s %q may contain only printable ASCII without spaces", field, id)
		}
	}
	return nil
}

// checkLogin follows the directory's rule: 1 to 64 of a-z 0-9 . _ -.
func checkLogin(topic, field, login string) error {
	if login == "" || len(login) > 64 {
		return invalid(topic, "%s must be 1 to 64 characters long", field)
	}
	for i := 0; i < len(login); i++ {
		c := login[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return invalid(topic, "%s %q may contain only lowercase letters, digits, '.', '_' and '-'", field, login)
		}
	}
	return nil
}

// checkText: valid UTF-8, at most max runes, and (unless multiline) no
// control characters. required says whether empty is refused.
func checkText(topic, field, s string, max int, required, multiline bool) error {
	if s == "" {
		if required {
			return invalid(topic, "%s is empty", field)
		}
		return nil
	}
	if !utf8.ValidString(s) {
		return invalid(topic, "%s is not valid UTF-8", field)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return invalid(topic, "%s has %d characters, at most %d are allowed", field, n, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')) {
			return invalid(topic, "%s contains the control character %U", field, r)
		}
	}
	if strings.TrimSpace(s) == "" && required {
		return invalid(topic, "%s is blank", field)
	}
	return nil
}

var (
	e164Re  = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	tokenRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
)

// checkE164: "+" and 7 to 15 digits, e.g. +8613800138000.
func checkE164(topic, field, s string) error {
	if !e164Re.MatchString(s) {
		return invalid(topic, "%s %q is not an E.164 number such as +8613800138000", field, s)
	}
	return nil
}

// checkToken: an action or source name, a-z then up to 31 of a-z 0-9 _.
func checkToken(topic, field, s string) error {
	if !tokenRe.MatchString(s) {
		return invalid(topic, "%s %q must be a lowercase word such as \"approve\"", field, s)
	}
	return nil
}

// DecodeTopic reads body as the message type of topic.
func DecodeTopic(topic string, body []byte) (Event, error) {
	switch topic {
	case TopicTodo:
		return Decode[TodoEvent](body)
	case TopicNotifySMS:
		return Decode[NotifySMS](body)
	case TopicNotifyMail:
		return Decode[NotifyMail](body)
	case TopicSMSInbound:
		return Decode[SMSInbound](body)
	case TopicSMSStatus:
		return Decode[SMSStatus](body)
	case TopicOAAction:
		return Decode[OAAction](body)
	case TopicPortalCase:
		return Decode[PortalCase](body)
	case TopicOACase:
		return Decode[OACase](body)
	case TopicMailCase:
		return Decode[MailCase](body)
	}
	return nil, fmt.Errorf("%w: unknown topic %q", ErrMalformed, topic)
}
