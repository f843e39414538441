package pdu

import (
	"fmt"
	"sync/atomic"
	"time"
)

// Deliver is one SMS-DELIVER TPDU (TS 23.040 §9.2.2.1) with its SMSC
// field: a part of a message from the network to the phone.
type Deliver struct {
	SMSC      string
	From      string    // "+8613900000000", digits, or alphanumeric ("O2")
	FromType  byte      // type of address; 0 on encode picks it from From
	Timestamp time.Time // TP-SCTS, in the zone it was written with; zero on encode means now
	Text      string    // for GSM7 and UCS2
	// Encoding of the user data. On encode, GSM7 (the zero value) means
	// "GSM7 when the text allows, else UCS2"; UCS2 forces UCS2.
	Encoding               Encoding
	Concat                 *Concat
	MoreToSend             bool // TP-MMS: more messages are waiting at the SMSC
	StatusReportIndication bool // TP-SRI: the sender asked for a status report
	ReplyPath              bool // TP-RP
	PID                    byte // TP-PID
	DCS                    byte // TP-DCS as received; 0 on encode derives it from Encoding
	UDH                    []byte
	Data                   []byte // Binary8 data; UTF-16BE octets of a UCS2 text on decode
}

// deliverRef numbers the concatenated messages EncodeDeliver splits when
// the caller chose no reference.
var deliverRef atomic.Uint32

func init() { deliverRef.Store(uint32(time.Now().UnixNano())) }

// EncodeDeliver encodes d as SMS-DELIVER PDUs, splitting a text (or data)
// that does not fit one SMS as EncodeSubmit does. A d.Concat with a text
// that fits is encoded as that one part; with a longer text its Ref and
// Ref16 are used for the parts. Without d.Concat a reference is chosen.
func EncodeDeliver(d Deliver) ([]PDU, error) {
	extra, err := buildUDH(nil, stripConcat(d.UDH))
	if err != nil {
		return nil, err
	}
	single := 0
	if len(extra) > 0 {
		single = 1 + len(extra)
	}
	concat := d.Concat
	if concat == nil {
		concat = &Concat{Ref: uint16(deliverRef.Add(1) & 0xFF)}
	}
	ie := concatIE8
	if concat.Ref16 {
		ie = concatIE16
	}
	// A given Concat goes into the single part too.
	hdrExtra, hdrConcat := len(extra), ie
	if d.Concat != nil {
		hdrExtra, hdrConcat = len(extra)+ie, 0
		single = 1 + hdrExtra
	}
	var parts []Deliver
	if d.Encoding == Binary8 {
		if len(d.Data) <= capacity(Binary8, single) {
			return encodeOne(d)
		}
		per := capacity(Binary8, 1+len(extra)+ie)
		for b := d.Data; len(b) > 0; {
			n := min(per, len(b))
			p := d
			p.Data = b[:n]
			parts = append(parts, p)
			b = b[n:]
		}
	} else {
		texts, enc := splitText(d.Text, d.Encoding == UCS2, hdrExtra, hdrConcat)
		if len(texts) == 1 {
			return encodeOne(d)
		}
		for _, t := range texts {
			p := d
			p.Text, p.Encoding = t, enc
			parts = append(parts, p)
		}
	}
	if len(parts) > 255 {
		return nil, fmt.Errorf("pdu: message needs %d parts, at most 255 can be joined", len(parts))
	}
	if d.Timestamp.IsZero() {
		now := time.Now()
		for i := range parts {
			parts[i].Timestamp = now
		}
	}
	out := make([]PDU, 0, len(parts))
	for i, p := range parts {
		p.Concat = &Concat{Ref: concat.Ref, Ref16: concat.Ref16, Total: len(parts), Seq: i + 1}
		p.UDH = extra
		pdu, err := p.Encode()
		if err != nil {
			return nil, fmt.Errorf("pdu: part %d of %d: %w", i+1, len(parts), err)
		}
		out = append(out, pdu)
	}
	return out, nil
}

func encodeOne(d Deliver) ([]PDU, error) {
	p, err := d.Encode()
	if err != nil {
		return nil, err
	}
	return []PDU{p}, nil
}

// stripConcat drops concatenation elements from a header (a malformed
// header is kept whole, for buildUDH to refuse).
func stripConcat(udh []byte) []byte {
	var out []byte
	if err := forEachIE(udh, func(iei byte, d []byte) {
		if iei != ieiConcat8 && iei != ieiConcat16 {
			out = append(append(out, iei, byte(len(d))), d...)
		}
	}); err != nil {
		return udh
	}
	return out
}

// Encode encodes d as one PDU; the text must fit one part.
func (d Deliver) Encode() (PDU, error) {
	smsc, err := encodeSMSC(d.SMSC)
	if err != nil {
		return PDU{}, err
	}
	enc, dcs, err := chooseEncoding(d.Encoding, d.DCS, d.Text)
	if err != nil {
		return PDU{}, err
	}
	udh, err := buildUDH(d.Concat, d.UDH)
	if err != nil {
		return PDU{}, err
	}
	if d.From == "" {
		return PDU{}, fmt.Errorf("pdu: SMS-DELIVER without an originator")
	}
	oa, err := encodeAddress(d.From, d.FromType)
	if err != nil {
		return PDU{}, err
	}
	ts := d.Timestamp
	if ts.IsZero() {
		ts = time.Now()
	}
	scts, err := encodeTimestamp(ts)
	if err != nil {
		return PDU{}, err
	}
	fo := byte(mtiDeliver)
	if !d.MoreToSend {
		fo |= 0x04 // TP-MMS set: no more messages
	}
	if d.StatusReportIndication {
		fo |= 0x20
	}
	if len(udh) > 0 {
		fo |= 0x40
	}
	if d.ReplyPath {
		fo |= 0x80
	}
	udl, ud, err := encodeUD(enc, udh, d.Text, d.Data)
	if err != nil {
		return PDU{}, err
	}
	tpdu := append([]byte{fo}, oa...)
	tpdu = append(tpdu, d.PID, dcs)
	tpdu = append(tpdu, scts...)
	tpdu = append(append(tpdu, udl), ud...)
	return toPDU(smsc, tpdu), nil
}

// DecodeDeliver decodes an SMS-DELIVER PDU in hex, SMSC field first, as
// AT+CMGR, AT+CMGL and +CMT give it.
func DecodeDeliver(hexPDU string) (Deliver, error) {
	var d Deliver
	smsc, r, err := splitSMSC(hexPDU)
	if err != nil {
		return d, err
	}
	d.SMSC = smsc
	fo, _ := r.byte("first octet")
	if fo&0x03 != mtiDeliver {
		return d, malformed("not an SMS-DELIVER: TP-MTI %d", fo&0x03)
	}
	d.MoreToSend = fo&0x04 == 0
	d.StatusReportIndication = fo&0x20 != 0
	d.ReplyPath = fo&0x80 != 0
	if d.From, d.FromType, err = decodeAddress(r, "TP-OA"); err != nil {
		return d, err
	}
	if d.PID, err = r.byte("TP-PID"); err != nil {
		return d, err
	}
	if d.DCS, err = r.byte("TP-DCS"); err != nil {
		return d, err
	}
	d.Encoding = encodingOf(d.DCS)
	if d.Timestamp, err = decodeTimestamp(r, "TP-SCTS"); err != nil {
		return d, err
	}
	u, err := decodeUD(r, d.Encoding, fo&0x40 != 0)
	if err != nil {
		return d, err
	}
	d.Text, d.Data, d.UDH, d.Concat = u.text, u.data, u.udh, u.concat
	return d, nil
}
