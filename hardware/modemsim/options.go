package modemsim

import (
	"log/slog"
	"time"
)

// Codec is the PDU coding the simulator needs, the network side of it:
// it decodes what the client submits and encodes what arrives. Every hex
// string is a whole PDU as it appears on the AT line, SMSC field first.
type Codec interface {
	// DecodeSubmit decodes an SMS-SUBMIT.
	DecodeSubmit(pdu string) (Submit, error)
	// EncodeDeliver encodes text from a sender as one SMS-DELIVER, or as
	// several with concatenation headers when it does not fit one.
	EncodeDeliver(from, text string, at time.Time) ([]string, error)
	// DecodeDeliver decodes an SMS-DELIVER (text mode shows them so).
	DecodeDeliver(pdu string) (Deliver, error)
	// EncodeStatusReport encodes an SMS-STATUS-REPORT for the message
	// with reference ref to recipient, submitted and done at the times
	// given, with TP-ST status (0 delivered).
	EncodeStatusReport(ref byte, recipient string, submitted, done time.Time, status byte) (string, error)
}

// Concat is the concatenation header of one part; Total 0 means the SMS
// stands alone.
type Concat struct {
	Ref   uint16
	Total int
	Seq   int
}

// Submit is a decoded SMS-SUBMIT.
type Submit struct {
	To   string
	Text string
	// MR is the TP-MR the client put in; the modem answers with its own.
	MR byte
	// StatusReport is TP-SRR: a status report is requested.
	StatusReport bool
	Concat       Concat
}

// Deliver is a decoded SMS-DELIVER.
type Deliver struct {
	From   string
	Text   string
	At     time.Time
	Concat Concat
}

// Options configures a Sim. The zero value of a field means its default
// from NewOptions, except Codec, which is required, and SendLatency and
// RSSIInterval, whose zero is taken as it is.
type Options struct {
	// Link is where the symbolic link to the pty's slave is made, the path
	// clients open.
	Link string
	// Number is the SIM's own number (AT+CNUM).
	Number string
	// SendLatency is how long the network takes to accept a submitted SMS.
	SendLatency time.Duration
	// ReportDelay is how long after the network accepted an SMS its status
	// report arrives, when one was requested.
	ReportDelay time.Duration
	// Codec encodes and decodes PDUs.
	Codec Codec

	Manufacturer string // AT+CGMI
	Model        string // AT+CGMM
	Revision     string // AT+CGMR
	IMEI         string // AT+CGSN
	IMSI         string // AT+CIMI
	Operator     string // AT+COPS?
	SMSC         string // AT+CSCA? until set
	PIN          string // what AT+CPIN= wants after a sim-pin fault
	// Signal is the RSSI of AT+CSQ and ^RSSI, 0–31.
	Signal int
	// TextOnly makes a modem that knows no PDU mode: it starts in text
	// mode and answers AT+CMGF=0 with ERROR.
	TextOnly bool

	// SMSlots and MESlots are the places in the SIM (SM) and modem (ME)
	// memories.
	SMSlots, MESlots int

	// RSSIInterval, when positive, is how often a ^RSSI: line is emitted
	// unasked (while AT^CURC is 1), as Huawei sticks do.
	RSSIInterval time.Duration
	// VanishFor and SlowSend are the defaults of the vanish and slow-send
	// faults' durations.
	VanishFor, SlowSend time.Duration

	// Logger gets every command line at debug level and the faults at info.
	Logger *slog.Logger
}

// NewOptions returns the defaults: a Huawei E173 on China Mobile with
// a 30-place SIM and a 100-place modem memory.
func NewOptions() Options {
	return Options{
		Number:       "+8613800000001",
		SendLatency:  200 * time.Millisecond,
		ReportDelay:  time.Second,
		Manufacturer: "huawei",
		Model:        "E173",
		Revision:     "11.126.85.00.209",
		IMEI:         "353143040123458",
		IMSI:         "460001357924680",
		Operator:     "CHINA MOBILE",
		SMSC:         "+8613800573500",
		PIN:          "1234",
		Signal:       21,
		SMSlots:      30,
		MESlots:      100,
		VanishFor:    time.Second,
		SlowSend:     70 * time.Second,
	}
}

// withDefaults fills the zero fields of o from NewOptions.
func (o Options) withDefaults() Options {
	d := NewOptions()
	str := func(v *string, def string) {
		if *v == "" {
			*v = def
		}
	}
	str(&o.Number, d.Number)
	str(&o.Manufacturer, d.Manufacturer)
	str(&o.Model, d.Model)
	str(&o.Revision, d.Revision)
	str(&o.IMEI, d.IMEI)
	str(&o.IMSI, d.IMSI)
	str(&o.Operator, d.Operator)
	str(&o.SMSC, d.SMSC)
	str(&o.PIN, d.PIN)
	if o.SendLatency < 0 {
		o.SendLatency = 0
	}
	if o.ReportDelay <= 0 {
		o.ReportDelay = d.ReportDelay
	}
	if o.Signal <= 0 || o.Signal > 31 {
		o.Signal = d.Signal
	}
	if o.SMSlots <= 0 {
		o.SMSlots = d.SMSlots
	}
	if o.MESlots <= 0 {
		o.MESlots = d.MESlots
	}
	if o.VanishFor <= 0 {
		o.VanishFor = d.VanishFor
	}
	if o.SlowSend <= 0 {
		o.SlowSend = d.SlowSend
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}
