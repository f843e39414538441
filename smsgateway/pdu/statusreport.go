package pdu

import (
	"fmt"
	"time"
)

// StatusReport is one SMS-STATUS-REPORT TPDU (TS 23.040 §9.2.2.3) with its
// SMSC field: the network's word on a message sent with TP-SRR.
type StatusReport struct {
	SMSC          string
	MessageRef    byte   // TP-MR of the SMS-SUBMIT it reports on (+CMGS: <mr>)
	Recipient     string // TP-RA
	RecipientType byte   // type of address; 0 on encode picks it from Recipient
	SCTS          time.Time
	Discharge     time.Time // TP-DT: delivered, or the last attempt
	Status        byte      // TP-ST
	MoreToSend    bool      // TP-MMS
	Qualifier     bool      // TP-SRQ: the report is on an SMS-COMMAND
	// PI is TP-PI, 0 when absent. On encode, its bits add an empty PID,
	// DCS and user data.
	PI byte
}

// TP-ST classes.

// Delivered reports that the transaction completed (0x00–0x1F): the
// message reached the recipient, or was forwarded or replaced.
func (s StatusReport) Delivered() bool { return s.Status < 0x20 }

// Pending reports a temporary error while the SMSC keeps trying
// (0x20–0x3F): a later report will follow.
func (s StatusReport) Pending() bool { return s.Status >= 0x20 && s.Status < 0x40 }

// Permanent reports that the SMSC has given up (0x40–0x7F: a permanent
// error, or a temporary one it no longer retries). Reserved values from
// 0x80 count as failures too.
func (s StatusReport) Permanent() bool { return s.Status >= 0x40 }

// EncodeStatusReport encodes r.
func EncodeStatusReport(r StatusReport) (PDU, error) {
	smsc, err := encodeSMSC(r.SMSC)
	if err != nil {
		return PDU{}, err
	}
	if r.Recipient == "" {
		return PDU{}, fmt.Errorf("pdu: status report without a recipient")
	}
	ra, err := encodeAddress(r.Recipient, r.RecipientType)
	if err != nil {
		return PDU{}, err
	}
	scts, err := encodeTimestamp(r.SCTS)
	if err != nil {
		return PDU{}, fmt.Errorf("pdu: TP-SCTS: %w", err)
	}
	dt, err := encodeTimestamp(r.Discharge)
	if err != nil {
		return PDU{}, fmt.Errorf("pdu: TP-DT: %w", err)
	}
	fo := byte(mtiStatusReport)
	if !r.MoreToSend {
		fo |= 0x04
	}
	if r.Qualifier {
		fo |= 0x20
	}
	tpdu := append([]byte{fo, r.MessageRef}, ra...)
	tpdu = append(tpdu, scts...)
	tpdu = append(tpdu, dt...)
	tpdu = append(tpdu, r.Status)
	if pi := r.PI & 0x07; pi != 0 {
		tpdu = append(tpdu, pi)
		for bit := byte(1); bit <= 4; bit <<= 1 {
			if pi&bit != 0 {
				tpdu = append(tpdu, 0) // PID 00, DCS 00, UDL 0
			}
		}
	}
	return toPDU(smsc, tpdu), nil
}

// DecodeStatusReport decodes an SMS-STATUS-REPORT PDU in hex, SMSC field
// first, as +CDS and AT+CMGR give it. The fields after TP-ST (TP-PI and
// what it announces) are optional; when they are cut short or odd the
// report is still returned, since its status is what matters.
func DecodeStatusReport(hexPDU string) (StatusReport, error) {
	var s StatusReport
	smsc, r, err := splitSMSC(hexPDU)
	if err != nil {
		return s, err
	}
	s.SMSC = smsc
	fo, _ := r.byte("first octet")
	if fo&0x03 != mtiStatusReport {
		return s, malformed("not an SMS-STATUS-REPORT: TP-MTI %d", fo&0x03)
	}
	s.MoreToSend = fo&0x04 == 0
	s.Qualifier = fo&0x20 != 0
	if s.MessageRef, err = r.byte("TP-MR"); err != nil {
		return s, err
	}
	if s.Recipient, s.RecipientType, err = decodeAddress(r, "TP-RA"); err != nil {
		return s, err
	}
	if s.SCTS, err = decodeTimestamp(r, "TP-SCTS"); err != nil {
		return s, err
	}
	if s.Discharge, err = decodeTimestamp(r, "TP-DT"); err != nil {
		return s, err
	}
	if s.Status, err = r.byte("TP-ST"); err != nil {
		return s, err
	}
	if pi, err := r.byte("TP-PI"); err == nil {
		s.PI = pi
	}
	return s, nil
}
