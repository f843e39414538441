package at

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrPortClosed is wrapped by every error of a Conn whose port is gone.
var ErrPortClosed = errors.New("at: port closed")

// Kind is what kind of failure an Error is.
type Kind int

const (
	Plain   Kind = iota // "ERROR"
	CMS                 // "+CMS ERROR: <n>" (TS 27.005 §3.2.5, and network causes)
	CME                 // "+CME ERROR: <n>" (TS 27.007 §9.2)
	Timeout             // no prompt or no final result in time
	Other               // another final result: NO CARRIER, BUSY, …
)

func (k Kind) String() string {
	switch k {
	case Plain:
		return "ERROR"
	case CMS:
		return "+CMS ERROR"
	case CME:
		return "+CME ERROR"
	case Timeout:
		return "timeout"
	}
	return "result"
}

// Error is a command that failed.
type Error struct {
	Kind    Kind
	Code    int    // for CMS and CME; -1 when the modem gave a text it did not map
	Command string // the command line, without CR
	Text    string // the final result line, or what timed out
	// PDUSent is set on a timeout after the PDU and Ctrl-Z were written:
	// the network may have the message.
	PDUSent bool
	// Err is the cause of a timeout that the context's end brought.
	Err error
}

func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "at: %s: ", e.Command)
	switch e.Kind {
	case CMS, CME:
		fmt.Fprintf(&b, "%s: %d", e.Kind, e.Code)
		if d := e.Description(); d != "" {
			fmt.Fprintf(&b, " (%s)", d)
		} else if e.Code < 0 {
			fmt.Fprintf(&b, " (%s)", e.Text)
		}
	case Timeout:
		b.WriteString(e.Text)
	default:
		b.WriteString(e.Text)
	}
	return b.String()
}

// Description is the standard's name for the code, "" when unknown.
func (e *Error) Description() string {
	switch e.Kind {
	case CMS:
		return cmsText[e.Code]
	case CME:
		return cmeText[e.Code]
	}
	return ""
}

// Retryable reports whether the same command may succeed later or on
// another modem: timeouts, congestion and network trouble, a busy SIM, and
// faults of the modem rather than of the message. The rest (an unassigned
// or barred number, a rejected or malformed message, a plain ERROR) would
// fail again.
func (e *Error) Retryable() bool {
	switch e.Kind {
	case Timeout:
		return true
	case CMS:
		return cmsRetryable[e.Code]
	case CME:
		return cmeRetryable[e.Code]
	}
	return false
}

// Retryable reports whether err is worth another try: an *Error that says
// so, or a port that closed (another modem, or this one reopened, may do).
func Retryable(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Retryable()
	}
	return errors.Is(err, ErrPortClosed)
}

var cmsRetryable = map[int]bool{
	// Network causes (TS 24.011 annex E): temporary.
	27: true, // destination out of order
	38: true, // network out of order
	41: true, // temporary failure
	42: true, // congestion
	47: true, // resources unavailable
	// The modem or its SIM, not the message.
	300: true, 310: true, 311: true, 312: true, 313: true, 314: true, 315: true, 316: true,
	320: true, 322: true, 330: true, 331: true, 332: true,
	500: true, // unknown error: Huawei sticks give it for passing trouble
	512: true, // vendor: MM establishment failure, weak signal
	513: true, // vendor: lower layer failure
	514: true, // vendor: congestion
	515: true, // vendor: initialisation in progress
}

var cmeRetryable = map[int]bool{
	14:  true, // SIM busy
	30:  true, // no network service
	31:  true, // network timeout
	100: true, // unknown
}

var cmsText = map[int]string{
	1: "unassigned number", 8: "operator determined barring", 10: "call barred",
	21: "short message transfer rejected", 27: "destination out of service",
	28: "unidentified subscriber", 29: "facility rejected", 30: "unknown subscriber",
	38: "network out of order", 41: "temporary failure", 42: "congestion",
	47: "resources unavailable", 50: "requested facility not subscribed",
	69: "requested facility not implemented", 81: "invalid short message transfer reference value",
	95: "invalid message", 96: "invalid mandatory information", 97: "message type non-existent",
	98: "message not compatible with short message protocol state", 99: "information element non-existent",
	111: "protocol error", 127: "interworking",
	300: "ME failure", 301: "SMS service of ME reserved", 302: "operation not allowed",
	303: "operation not supported", 304: "invalid PDU mode parameter", 305: "invalid text mode parameter",
	310: "SIM not inserted", 311: "SIM PIN required", 312: "PH-SIM PIN required",
	313: "SIM failure", 314: "SIM busy", 315: "SIM wrong", 316: "SIM PUK required",
	320: "memory failure", 321: "invalid memory index", 322: "memory full",
	330: "SMSC address unknown", 331: "no network service", 332: "network timeout",
	340: "no +CNMA acknowledgement expected", 500: "unknown error",
	512: "MM establishment failure", 513: "lower layer failure", 514: "congestion",
	515: "please wait, initialisation in progress",
}

var cmeText = map[int]string{
	0: "phone failure", 1: "no connection to phone", 3: "operation not allowed",
	4: "operation not supported", 5: "PH-SIM PIN required", 10: "SIM not inserted",
	11: "SIM PIN required", 12: "SIM PUK required", 13: "SIM failure", 14: "SIM busy",
	15: "SIM wrong", 16: "incorrect password", 17: "SIM PIN2 required", 18: "SIM PUK2 required",
	20: "memory full", 21: "invalid index", 22: "not found", 23: "memory failure",
	24: "text string too long", 25: "invalid characters in text string",
	26: "dial string too long", 27: "invalid characters in dial string",
	30: "no network service", 31: "network timeout", 32: "network not allowed, emergency calls only",
	100: "unknown",
}

// errorCode reads the code of "+CMS ERROR: <n>" / "+CME ERROR: <n>"; a
// text (AT+CMEE=2) is mapped back through the table when it matches.
func errorCode(arg string, table map[int]string) int {
	arg = strings.TrimSpace(arg)
	if n, err := strconv.Atoi(arg); err == nil {
		return n
	}
	for code, text := range table {
		if strings.EqualFold(text, arg) {
			return code
		}
	}
	return -1
}
