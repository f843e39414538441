// Package pdu encodes and decodes SMS in PDU mode (3GPP TS 23.040, with the
// alphabets of TS 23.038), the form a GSM modem exchanges on the AT line
// with AT+CMGS, AT+CMGR, AT+CMGL, +CMT and +CDS.
//
// Both directions are covered, because the gateway encodes SMS-SUBMIT and
// decodes SMS-DELIVER and SMS-STATUS-REPORT, while the modem simulator does
// the reverse:
//
//	gateway:   EncodeSubmit                 DecodeMT (Deliver | StatusReport)
//	simulator: DecodeSubmit                 EncodeDeliver, EncodeStatusReport
//
// Every hex string here is the whole PDU as it appears on the AT line: the
// SMSC field first ("00" when the SIM's service centre is to be used), then
// the TPDU. [PDU.TPDULen] is the octet count AT+CMGS=<n> wants, which
// leaves the SMSC field out.
//
// # Text
//
// A text goes out in the GSM 7-bit default alphabet when every character is
// in it or in its extension table (an extension character costs two septets:
// the escape 0x1B and its code), otherwise in UCS2 (UTF-16BE, so characters
// outside the BMP such as 𠀀 or emoji take a surrogate pair). A text that does
// not fit one SMS (160 septets or 70 UTF-16 units) is split by [Split] into
// parts of 153 septets or 67 units, each carrying a concatenation header; an
// escape pair or a surrogate pair is never cut. With 16-bit references the
// header is one octet longer and the parts hold 152 septets or 66 units.
//
// # Promises
//
// The decoders never panic: odd or non-hex input, fields that run past the
// end, user data lengths beyond the data and malformed user data headers
// come back as errors that wrap [ErrMalformed] and name the field. Two-digit
// years use a fixed pivot: 00–79 are 2000–2079, 80–99 are 1980–1999.
// Time zones are kept exactly, in quarter hours, east or west of UTC.
package pdu
