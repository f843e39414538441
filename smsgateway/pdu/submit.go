package pdu

import (
	"fmt"
	"time"
)

// Submit is one SMS-SUBMIT TPDU (TS 23.040 §9.2.2.2) with its SMSC field:
// a part of a message from the phone to the network.
type Submit struct {
	SMSC       string // "" for the SIM's service centre (field "00")
	MessageRef byte   // TP-MR; modems usually put their own
	To         string // "+8613800000000" when international
	ToType     byte   // type of address; 0 on encode picks it from To
	Text       string // for GSM7 and UCS2
	// Encoding of the user data. On encode, GSM7 (the zero value) means
	// "GSM7 when the text allows, else UCS2"; UCS2 forces UCS2.
	Encoding         Encoding
	StatusReport     bool          // TP-SRR
	Validity         time.Duration // relative TP-VP; 0 = none
	ValidUntil       time.Time     // absolute TP-VP, when Validity is 0
	Concat           *Concat       // from or for the user data header
	RejectDuplicates bool          // TP-RD
	ReplyPath        bool          // TP-RP
	PID              byte          // TP-PID
	DCS              byte          // TP-DCS as received; 0 on encode derives it from Encoding
	UDH              []byte        // header elements without UDHL (concatenation included on decode)
	Data             []byte        // Binary8 data; UTF-16BE octets of a UCS2 text on decode
}

// SubmitOptions are the settings EncodeSubmit applies to every part.
type SubmitOptions struct {
	SMSC             string        // "" sends "00": the SIM's service centre
	StatusReport     bool          // ask for a status report (TP-SRR)
	Validity         time.Duration // relative validity; 0 = none (the SMSC's default)
	Ref16            bool          // 16-bit concatenation reference (parts of 152 septets / 66 units)
	ConcatRef        uint16        // concatenation reference; at most 255 without Ref16
	ForceUCS2        bool          // UCS2 even when GSM7 would do
	RejectDuplicates bool          // TP-RD
}

// EncodeSubmit encodes text to a phone number as SMS-SUBMIT PDUs, one per
// part, split as Split does; parts carry a concatenation header when there
// is more than one. to is "+" and digits for an international number,
// digits alone otherwise.
func EncodeSubmit(to, text string, o SubmitOptions) ([]PDU, error) {
	if !isDialable(to) {
		return nil, fmt.Errorf("pdu: recipient %q is not a phone number", to)
	}
	if !o.Ref16 && o.ConcatRef > 0xFF {
		return nil, fmt.Errorf("pdu: concatenation reference %d needs Ref16", o.ConcatRef)
	}
	ie := concatIE8
	if o.Ref16 {
		ie = concatIE16
	}
	parts, enc := splitText(text, o.ForceUCS2, 0, ie)
	if len(parts) > 255 {
		return nil, fmt.Errorf("pdu: text needs %d parts, at most 255 can be joined", len(parts))
	}
	out := make([]PDU, 0, len(parts))
	for i, p := range parts {
		s := Submit{
			SMSC: o.SMSC, To: to, Text: p, Encoding: enc,
			StatusReport: o.StatusReport, Validity: o.Validity, RejectDuplicates: o.RejectDuplicates,
		}
		if len(parts) > 1 {
			s.Concat = &Concat{Ref: o.ConcatRef, Total: len(parts), Seq: i + 1, Ref16: o.Ref16}
		}
		pdu, err := s.Encode()
		if err != nil {
			return nil, fmt.Errorf("pdu: part %d of %d: %w", i+1, len(parts), err)
		}
		out = append(out, pdu)
	}
	return out, nil
}

// Encode encodes s as one PDU; the text must fit one part.
func (s Submit) Encode() (PDU, error) {
	smsc, err := encodeSMSC(s.SMSC)
	if err != nil {
		return PDU{}, err
	}
	enc, dcs, err := chooseEncoding(s.Encoding, s.DCS, s.Text)
	if err != nil {
		return PDU{}, err
	}
	udh, err := buildUDH(s.Concat, s.UDH)
	if err != nil {
		return PDU{}, err
	}
	da, err := encodeAddress(s.To, s.ToType)
	if err != nil {
		return PDU{}, err
	}
	fo := byte(mtiSubmit)
	var vp []byte
	switch {
	case s.Validity > 0:
		fo |= 0x10 // VPF relative
		vp = []byte{encodeValidity(s.Validity)}
	case !s.ValidUntil.IsZero():
		fo |= 0x18 // VPF absolute
		if vp, err = encodeTimestamp(s.ValidUntil); err != nil {
			return PDU{}, err
		}
	}
	if s.RejectDuplicates {
		fo |= 0x04
	}
	if s.StatusReport {
		fo |= 0x20
	}
	if len(udh) > 0 {
		fo |= 0x40
	}
	if s.ReplyPath {
		fo |= 0x80
	}
	udl, ud, err := encodeUD(enc, udh, s.Text, s.Data)
	if err != nil {
		return PDU{}, err
	}
	tpdu := append([]byte{fo, s.MessageRef}, da...)
	tpdu = append(tpdu, s.PID, dcs)
	tpdu = append(tpdu, vp...)
	tpdu = append(append(tpdu, udl), ud...)
	return toPDU(smsc, tpdu), nil
}

// chooseEncoding settles the alphabet and TP-DCS for an encode: GSM7 falls
// back to UCS2 when the text needs it; a DCS the caller set must agree.
func chooseEncoding(enc Encoding, dcs byte, text string) (Encoding, byte, error) {
	if enc == GSM7 && !isGSM7(text) {
		if dcs != 0 {
			return 0, 0, fmt.Errorf("pdu: TP-DCS %02X is GSM 7-bit but the text needs UCS2", dcs)
		}
		enc = UCS2
	}
	if enc > UCS2 {
		return 0, 0, fmt.Errorf("pdu: unknown encoding %v", enc)
	}
	if dcs == 0 {
		return enc, enc.dcs(), nil
	}
	if encodingOf(dcs) != enc {
		return 0, 0, fmt.Errorf("pdu: TP-DCS %02X does not mean %v", dcs, enc)
	}
	return enc, dcs, nil
}

// DecodeSubmit decodes an SMS-SUBMIT PDU in hex, SMSC field first, as it
// appears on the AT line after the "> " prompt of AT+CMGS.
func DecodeSubmit(hexPDU string) (Submit, error) {
	var s Submit
	smsc, r, err := splitSMSC(hexPDU)
	if err != nil {
		return s, err
	}
	s.SMSC = smsc
	fo, _ := r.byte("first octet")
	if fo&0x03 != mtiSubmit {
		return s, malformed("not an SMS-SUBMIT: TP-MTI %d", fo&0x03)
	}
	s.RejectDuplicates = fo&0x04 != 0
	s.StatusReport = fo&0x20 != 0
	s.ReplyPath = fo&0x80 != 0
	if s.MessageRef, err = r.byte("TP-MR"); err != nil {
		return s, err
	}
	if s.To, s.ToType, err = decodeAddress(r, "TP-DA"); err != nil {
		return s, err
	}
	if s.PID, err = r.byte("TP-PID"); err != nil {
		return s, err
	}
	if s.DCS, err = r.byte("TP-DCS"); err != nil {
		return s, err
	}
	s.Encoding = encodingOf(s.DCS)
	switch (fo >> 3) & 0x03 {
	case 2: // relative
		vp, err := r.byte("TP-VP")
		if err != nil {
			return s, err
		}
		s.Validity = decodeValidity(vp)
	case 3: // absolute
		if s.ValidUntil, err = decodeTimestamp(r, "TP-VP"); err != nil {
			return s, err
		}
	case 1: // enhanced: seven octets, of which two formats are durations
		vp, err := r.bytes(7, "TP-VP")
		if err != nil {
			return s, err
		}
		switch vp[0] & 0x07 {
		case 1:
			s.Validity = decodeValidity(vp[1])
		case 2:
			s.Validity = time.Duration(vp[1]) * time.Second
		}
	}
	u, err := decodeUD(r, s.Encoding, fo&0x40 != 0)
	if err != nil {
		return s, err
	}
	s.Text, s.Data, s.UDH, s.Concat = u.text, u.data, u.udh, u.concat
	return s, nil
}
