package pdu

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// The vectors of research/sms.md, from standards and captures.
const (
	vecDeliver7    = "07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37"
	vecSubmitExt   = "0891683108100005F011000D91683108000000F00000FF14C8329BFD06DDDF723619B4416D781BDF2605"
	vecSubmitUCS2  = "0891683108100005F011000D91683108000000F00008FF046D4B8BD5"
	vecDeliverUCS2 = "0891683108100005F0040D91683109000000F0000852112181214323044F60597D"
	// The capture's UDL says 72 octets but 62 follow: 28 of the 33
	// characters it announces. vecConcat2Fixed has UDL 0x3E.
	vecConcat2      = "0891683108100005F051000D91683108000000F00008FF48050003EE0202901A77E5FF1A653F5E9C901A77E5FF1A653F5E9C901A77E5FF1A653F5E9C901A77E5FF1A653F5E9C901A77E5FF1A653F5E9C901A77E5FF1A"
	vecConcat2Fixed = "0891683108100005F051000D91683108000000F00008FF3E050003EE0202901A77E5FF1A653F5E9C901A77E5FF1A653F5E9C901A77E5FF1A653F5E9C901A77E5FF1A653F5E9C901A77E5FF1A653F5E9C901A77E5FF1A"
	vecReport       = "079124603050020006E80C91666666666666909070618422809090706184628000"
	vecReportPI     = "07911614786007F006060B911634092142F4019071011000040190710110450400060000"
	vecAlpha        = "07914487200030230406D04F59040000601191806243009F4F990E947DD741EEF71D840EDBCBA0FCBB2E0751CB783A28E8CED3D3ED3268068381AA4B10BD8CA7CF412650AC2904BDCD2072981E06D1DFA0FABC0CA2A3D373509B8E7681A4E576B92D2ECB41F43788FE86B7EA7010280603BDE5A0F65B5E0689CBE6B7BC0C8ADD6232980D447F83CE653A28FFAECB416679B90C0AB3D9EF7BD83D2E83DC653C1DD4A6A301"
)

func at(t *testing.T, s string) time.Time {
	t.Helper()
	ts, err := time.Parse("2006-01-02 15:04:05 -07:00", s)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func sameTime(a, b time.Time) bool {
	_, oa := a.Zone()
	_, ob := b.Zone()
	return a.Equal(b) && oa == ob
}

func TestDecodeDeliverVectors(t *testing.T) {
	tests := []struct {
		name, hex        string
		smsc, from       string
		fromType         byte
		ts               string
		enc              Encoding
		text, textPrefix string
	}{
		{"7-bit", vecDeliver7, "+27381000015", "27838890001", 0xC8, "1999-03-29 15:16:59 +02:00", GSM7, "hellohello", ""},
		{"UCS2", vecDeliverUCS2, "+8613800100500", "+8613900000000", 0x91, "2025-11-12 18:12:34 +08:00", UCS2, "你好", ""},
		{"alphanumeric", vecAlpha, "+447802000332", "O2", 0xD0, "2006-11-19 08:26:34 +00:00", GSM7, "", "O2: You now have your Text Anytime 300 UK texts & 1MB of data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := DecodeDeliver(tt.hex)
			if err != nil {
				t.Fatal(err)
			}
			if d.SMSC != tt.smsc || d.From != tt.from || d.FromType != tt.fromType || d.Encoding != tt.enc {
				t.Errorf("got SMSC %q from %q type %02X enc %v", d.SMSC, d.From, d.FromType, d.Encoding)
			}
			if !sameTime(d.Timestamp, at(t, tt.ts)) {
				t.Errorf("timestamp %v, want %s", d.Timestamp, tt.ts)
			}
			if tt.text != "" && d.Text != tt.text {
				t.Errorf("text %q, want %q", d.Text, tt.text)
			}
			if !strings.HasPrefix(d.Text, tt.textPrefix) {
				t.Errorf("text %q, want prefix %q", d.Text, tt.textPrefix)
			}
			if d.Concat != nil {
				t.Errorf("unexpected concat %+v", d.Concat)
			}
			v, err := DecodeMT(tt.hex)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := v.(Deliver); !ok {
				t.Errorf("DecodeMT gave %T", v)
			}
		})
	}
}

func TestAlphanumericVectorLength(t *testing.T) {
	d, err := DecodeDeliver(vecAlpha)
	if err != nil {
		t.Fatal(err)
	}
	if n := len([]rune(d.Text)); n != 159 {
		t.Errorf("text has %d characters, want 159: %q", n, d.Text)
	}
	if !strings.HasSuffix(d.Text, "to get your free allowance next mth") {
		t.Errorf("text ends %q", d.Text[len(d.Text)-40:])
	}
}

func TestDecodeSubmitVectors(t *testing.T) {
	tests := []struct {
		name, hex string
		text      string
		enc       Encoding
		tpduLen   int
	}{
		{"extension chars", vecSubmitExt, "Hello world {[]}", GSM7, 33},
		{"UCS2", vecSubmitUCS2, "测试", UCS2, 19},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := DecodeSubmit(tt.hex)
			if err != nil {
				t.Fatal(err)
			}
			if s.SMSC != "+8613800100500" || s.To != "+8613800000000" || s.ToType != TypeInternational {
				t.Errorf("SMSC %q to %q type %02X", s.SMSC, s.To, s.ToType)
			}
			if s.Text != tt.text || s.Encoding != tt.enc {
				t.Errorf("text %q enc %v, want %q %v", s.Text, s.Encoding, tt.text, tt.enc)
			}
			if s.Validity != maxValidity {
				t.Errorf("validity %v, want 63 weeks (VP FF)", s.Validity)
			}
			// Encoding the same message gives the same bytes.
			pdus, err := EncodeSubmit(s.To, s.Text, SubmitOptions{SMSC: s.SMSC, Validity: s.Validity})
			if err != nil {
				t.Fatal(err)
			}
			if len(pdus) != 1 || pdus[0].Hex != tt.hex || pdus[0].TPDULen != tt.tpduLen {
				t.Errorf("EncodeSubmit = %+v, want %s (%d)", pdus, tt.hex, tt.tpduLen)
			}
		})
	}
}

func TestConcatVector(t *testing.T) {
	_, err := DecodeSubmit(vecConcat2)
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "TP-UDL 72") {
		t.Fatalf("truncated capture: err = %v, want a TP-UDL error", err)
	}
	s, err := DecodeSubmit(vecConcat2Fixed)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Repeat("通知：政府", 5) + "通知："
	if s.Text != want {
		t.Errorf("text %q, want %q", s.Text, want)
	}
	if s.Concat == nil || *s.Concat != (Concat{Ref: 0xEE, Total: 2, Seq: 2}) {
		t.Errorf("concat %+v", s.Concat)
	}
	if string(s.UDH) != "\x00\x03\xEE\x02\x02" {
		t.Errorf("UDH % X", s.UDH)
	}
	// Re-encoding the decoded part gives the same PDU.
	p, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if p.Hex != vecConcat2Fixed {
		t.Errorf("re-encoded\n%s, want\n%s", p.Hex, vecConcat2Fixed)
	}
}

func TestStatusReportVectors(t *testing.T) {
	tests := []struct {
		name, hex       string
		smsc, recipient string
		mr              byte
		scts, dt        string
		pi              byte
	}{
		{"plain", vecReport, "+420603052000", "+666666666666", 232, "2009-09-07 16:48:22 +02:00", "2009-09-07 16:48:26 +02:00", 0},
		{"with TP-PI", vecReportPI, "+61418706700", "+61439012244", 6, "2010-09-17 10:01:00 +10:00", "2010-09-17 10:01:54 +10:00", 0x06},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := DecodeStatusReport(tt.hex)
			if err != nil {
				t.Fatal(err)
			}
			if r.SMSC != tt.smsc || r.Recipient != tt.recipient || r.MessageRef != tt.mr || r.Status != 0 || r.PI != tt.pi {
				t.Errorf("got %+v", r)
			}
			if !sameTime(r.SCTS, at(t, tt.scts)) || !sameTime(r.Discharge, at(t, tt.dt)) {
				t.Errorf("SCTS %v DT %v", r.SCTS, r.Discharge)
			}
			if !r.Delivered() || r.Permanent() || r.Pending() {
				t.Errorf("status 00: Delivered %v Permanent %v Pending %v", r.Delivered(), r.Permanent(), r.Pending())
			}
			p, err := EncodeStatusReport(r)
			if err != nil {
				t.Fatal(err)
			}
			if p.Hex != tt.hex {
				t.Errorf("re-encoded\n%s, want\n%s", p.Hex, tt.hex)
			}
			v, err := DecodeMT(tt.hex)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := v.(StatusReport); !ok {
				t.Errorf("DecodeMT gave %T", v)
			}
		})
	}
}

func TestStatusClasses(t *testing.T) {
	tests := []struct {
		st                            byte
		delivered, pending, permanent bool
	}{
		{0x00, true, false, false},
		{0x02, true, false, false},
		{0x1F, true, false, false},
		{0x20, false, true, false},
		{0x30, false, true, false},
		{0x3F, false, true, false},
		{0x40, false, false, true},
		{0x41, false, false, true},
		{0x60, false, false, true},
		{0x7F, false, false, true},
		{0x80, false, false, true},
	}
	for _, tt := range tests {
		r := StatusReport{Status: tt.st}
		if r.Delivered() != tt.delivered || r.Pending() != tt.pending || r.Permanent() != tt.permanent {
			t.Errorf("ST %02X: delivered %v pending %v permanent %v", tt.st, r.Delivered(), r.Pending(), r.Permanent())
		}
	}
}

func TestEncodeDeliverVector(t *testing.T) {
	pdus, err := EncodeDeliver(Deliver{
		SMSC: "+8613800100500", From: "+8613900000000",
		Timestamp: at(t, "2025-11-12 18:12:34 +08:00"), Text: "你好",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pdus) != 1 || pdus[0].Hex != vecDeliverUCS2 {
		t.Errorf("got %+v, want %s", pdus, vecDeliverUCS2)
	}
	pdus, err = EncodeDeliver(Deliver{
		SMSC: "+27381000015", From: "27838890001", FromType: 0xC8,
		Timestamp: at(t, "1999-03-29 15:16:59 +02:00"), Text: "hellohello",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pdus) != 1 || pdus[0].Hex != vecDeliver7 {
		t.Errorf("got %+v, want %s", pdus, vecDeliver7)
	}
}
