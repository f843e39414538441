package pdu

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

// joinSubmits decodes EncodeSubmit's parts and checks their headers.
func joinSubmits(t *testing.T, pdus []PDU, to string, o SubmitOptions) (string, Encoding) {
	t.Helper()
	var sb strings.Builder
	var enc Encoding
	for i, p := range pdus {
		if got := len(p.Hex)/2 - smscLen(t, p.Hex); got != p.TPDULen {
			t.Errorf("part %d: TPDULen %d, TPDU is %d octets", i+1, p.TPDULen, got)
		}
		s, err := DecodeSubmit(p.Hex)
		if err != nil {
			t.Fatalf("part %d: %v", i+1, err)
		}
		if s.To != to || s.SMSC != o.SMSC || s.StatusReport != o.StatusReport || s.RejectDuplicates != o.RejectDuplicates {
			t.Errorf("part %d: to %q smsc %q srr %v rd %v", i+1, s.To, s.SMSC, s.StatusReport, s.RejectDuplicates)
		}
		if len(pdus) == 1 {
			if s.Concat != nil {
				t.Errorf("single part has concat %+v", s.Concat)
			}
		} else {
			want := Concat{Ref: o.ConcatRef, Total: len(pdus), Seq: i + 1, Ref16: o.Ref16}
			if s.Concat == nil || *s.Concat != want {
				t.Errorf("part %d: concat %+v, want %+v", i+1, s.Concat, want)
			}
		}
		enc = s.Encoding
		sb.WriteString(s.Text)
	}
	return sb.String(), enc
}

func smscLen(t *testing.T, h string) int {
	t.Helper()
	b, err := parseHex(h)
	if err != nil {
		t.Fatal(err)
	}
	return 1 + int(b[0])
}

func TestSubmitRoundTrip(t *testing.T) {
	long7 := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 9)
	longExt := strings.Repeat("{€}[|]~^\\", 40)
	longZH := strings.Repeat("区政府办公室通知：明天上午九点在三楼会议室召开全体会议，请准时参加。", 5)
	emoji := strings.Repeat("𠀀😀会议", 30)
	tests := []struct {
		name  string
		to    string
		text  string
		o     SubmitOptions
		enc   Encoding
		parts int
	}{
		{"GSM7", "+8613800000000", "Hello, Nanhu! @£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¡ÄÖÑÜ§¿äöñüà\r\n", SubmitOptions{}, GSM7, 1},
		{"extension", "13800000000", "Hello world {[]} ~ ^ \\ | € \f", SubmitOptions{SMSC: "+8613800100500"}, GSM7, 1},
		{"UCS2", "+8613800000000", "测试短信：您有一份待办公文", SubmitOptions{StatusReport: true, Validity: 24 * time.Hour}, UCS2, 1},
		{"surrogates", "+8613800000000", "𠀀😀 emoji", SubmitOptions{}, UCS2, 1},
		{"forced UCS2", "+8613800000000", "plain", SubmitOptions{ForceUCS2: true}, UCS2, 1},
		{"empty", "+8613800000000", "", SubmitOptions{}, GSM7, 1},
		{"concat 8-bit GSM7", "+8613800000000", long7, SubmitOptions{ConcatRef: 0xEE, StatusReport: true}, GSM7, 3},
		{"concat 16-bit GSM7", "+8613800000000", long7, SubmitOptions{ConcatRef: 0xBEEF, Ref16: true}, GSM7, 3},
		{"concat extension", "+8613800000000", longExt, SubmitOptions{ConcatRef: 7}, GSM7, 5},
		{"concat 8-bit UCS2", "+8613800000000", longZH, SubmitOptions{ConcatRef: 1, RejectDuplicates: true}, UCS2, 3},
		{"concat 16-bit UCS2", "+8613800000000", longZH, SubmitOptions{ConcatRef: 300, Ref16: true}, UCS2, 3},
		{"concat surrogates", "+8613800000000", emoji, SubmitOptions{ConcatRef: 9}, UCS2, 3},
		{"national digits", "010123456789", "hi", SubmitOptions{}, GSM7, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pdus, err := EncodeSubmit(tt.to, tt.text, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			if len(pdus) != tt.parts {
				t.Errorf("%d parts, want %d", len(pdus), tt.parts)
			}
			got, enc := joinSubmits(t, pdus, tt.to, tt.o)
			if got != tt.text || enc != tt.enc {
				t.Errorf("round trip gave %q (%v), want %q (%v)", got, enc, tt.text, tt.enc)
			}
		})
	}
}

func TestDeliverRoundTrip(t *testing.T) {
	ts := time.Date(2026, 3, 1, 9, 30, 15, 0, time.FixedZone("", 8*3600))
	tests := []struct {
		name string
		d    Deliver
	}{
		{"GSM7", Deliver{From: "+8613900000000", Timestamp: ts, Text: "DONE 1024"}},
		{"alphanumeric", Deliver{From: "Nanhu", Timestamp: ts, Text: "Your code is 4711"}},
		{"alphanumeric 11", Deliver{From: "NanhuGov123", Timestamp: ts, Text: "x"}},
		{"UCS2 SMSC", Deliver{SMSC: "+8613800571500", From: "+8613900000000", Timestamp: ts, Text: "同意，请办理。"}},
		{"surrogates", Deliver{From: "10086", Timestamp: ts, Text: "𠀀😀"}},
		{"binary", Deliver{From: "+8613900000000", Timestamp: ts, Encoding: Binary8, Data: []byte{0, 1, 2, 0xFF}}},
		{"flags", Deliver{From: "+8613900000000", Timestamp: ts, Text: "x", MoreToSend: true, StatusReportIndication: true, ReplyPath: true, PID: 0x40}},
		{"negative zone", Deliver{From: "+15550001111", Timestamp: time.Date(1985, 12, 31, 23, 59, 59, 0, time.FixedZone("", -(3*3600+30*60))), Text: "NL"}},
		{"zone -00:15", Deliver{From: "+15550001111", Timestamp: time.Date(2079, 1, 1, 0, 0, 0, 0, time.FixedZone("", -15*60)), Text: "edge"}},
		{"concat part", Deliver{From: "+8613900000000", Timestamp: ts, Text: "第二部分", Concat: &Concat{Ref: 0x1234, Total: 3, Seq: 2, Ref16: true}}},
		{"UDH kept", Deliver{From: "+8613900000000", Timestamp: ts, Text: "port", UDH: []byte{0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pdus, err := EncodeDeliver(tt.d)
			if err != nil {
				t.Fatal(err)
			}
			if len(pdus) != 1 {
				t.Fatalf("%d parts", len(pdus))
			}
			got, err := DecodeDeliver(pdus[0].Hex)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.d
			if got.From != want.From || got.SMSC != want.SMSC || got.Text != want.Text ||
				!sameTime(got.Timestamp, want.Timestamp) || string(got.Data) != string(dataOf(want)) ||
				got.MoreToSend != want.MoreToSend || got.StatusReportIndication != want.StatusReportIndication ||
				got.ReplyPath != want.ReplyPath || got.PID != want.PID {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
			if (got.Concat == nil) != (want.Concat == nil) || got.Concat != nil && *got.Concat != *want.Concat {
				t.Errorf("concat %+v, want %+v", got.Concat, want.Concat)
			}
			if want.UDH != nil && string(got.UDH) != string(want.UDH) {
				t.Errorf("UDH % X, want % X", got.UDH, want.UDH)
			}
		})
	}
}

// dataOf is what Data holds after decoding d.
func dataOf(d Deliver) []byte {
	if d.Encoding == Binary8 {
		return d.Data
	}
	if !isGSM7(d.Text) {
		var b []byte
		for _, u := range utf16.Encode([]rune(d.Text)) {
			b = append(b, byte(u>>8), byte(u))
		}
		return b
	}
	return nil
}

func TestEncodeDeliverSplits(t *testing.T) {
	ts := time.Date(2026, 3, 1, 9, 30, 15, 0, time.UTC)
	text := strings.Repeat("南湖区人民政府", 30) // 210 units: 4 parts of 67
	pdus, err := EncodeDeliver(Deliver{From: "+8613900000000", Timestamp: ts, Text: text, Concat: &Concat{Ref: 0x42}})
	if err != nil {
		t.Fatal(err)
	}
	if len(pdus) != 4 {
		t.Fatalf("%d parts, want 4", len(pdus))
	}
	r := NewReassembler()
	for i := len(pdus) - 1; i >= 0; i-- { // backwards
		d, err := DecodeDeliver(pdus[i].Hex)
		if err != nil {
			t.Fatal(err)
		}
		if d.Concat == nil || d.Concat.Ref != 0x42 || d.Concat.Total != 4 || d.Concat.Seq != i+1 {
			t.Fatalf("part %d concat %+v", i+1, d.Concat)
		}
		if m, ok := r.Add(d); ok != (i == 0) {
			t.Fatalf("part %d: complete %v", i+1, ok)
		} else if ok && m.Text != text {
			t.Errorf("joined %q", m.Text)
		}
	}
	data := make([]byte, 300)
	for i := range data {
		data[i] = byte(i)
	}
	pdus, err = EncodeDeliver(Deliver{From: "+8613900000000", Timestamp: ts, Encoding: Binary8, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	if len(pdus) != 3 { // 134 + 134 + 32
		t.Fatalf("binary: %d parts, want 3", len(pdus))
	}
	for _, p := range pdus {
		d, _ := DecodeDeliver(p.Hex)
		if m, ok := r.Add(d); ok && string(m.Data) != string(data) {
			t.Errorf("binary joined % X", m.Data)
		}
	}
}

func TestValidity(t *testing.T) {
	tests := []struct {
		d    time.Duration
		vp   byte
		back time.Duration
	}{
		{time.Second, 0, 5 * time.Minute},
		{5 * time.Minute, 0, 5 * time.Minute},
		{time.Hour, 11, time.Hour},
		{12 * time.Hour, 143, 12 * time.Hour},
		{12*time.Hour + time.Minute, 144, 12*time.Hour + 30*time.Minute},
		{24 * time.Hour, 167, 24 * time.Hour},
		{25 * time.Hour, 168, 48 * time.Hour},
		{3 * 24 * time.Hour, 169, 3 * 24 * time.Hour},
		{30 * 24 * time.Hour, 196, 30 * 24 * time.Hour},
		{31 * 24 * time.Hour, 197, 5 * 7 * 24 * time.Hour},
		{maxValidity, 255, maxValidity},
		{100 * maxValidity, 255, maxValidity},
	}
	for _, tt := range tests {
		vp := encodeValidity(tt.d)
		if vp != tt.vp || decodeValidity(vp) != tt.back {
			t.Errorf("%v: VP %d (%v), want %d (%v)", tt.d, vp, decodeValidity(vp), tt.vp, tt.back)
		}
	}
	pdus, err := EncodeSubmit("+8613800000000", "x", SubmitOptions{Validity: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := DecodeSubmit(pdus[0].Hex)
	if s.Validity != 2*time.Hour {
		t.Errorf("validity %v", s.Validity)
	}
	abs := time.Date(2026, 12, 1, 0, 0, 0, 0, time.FixedZone("", 8*3600))
	p, err := Submit{To: "+8613800000000", Text: "x", ValidUntil: abs}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if s, err = DecodeSubmit(p.Hex); err != nil || !sameTime(s.ValidUntil, abs) {
		t.Errorf("absolute VP %v, %v", s.ValidUntil, err)
	}
}

func TestTimestampYears(t *testing.T) {
	for _, y := range []int{1980, 1999, 2000, 2026, 2079} {
		ts := time.Date(y, 2, 28, 1, 2, 3, 0, time.UTC)
		b, err := encodeTimestamp(ts)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeTimestamp(&reader{b: b}, "t")
		if err != nil || !got.Equal(ts) {
			t.Errorf("%d: got %v, %v", y, got, err)
		}
	}
	for _, y := range []int{1979, 2080} {
		if _, err := encodeTimestamp(time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)); err == nil {
			t.Errorf("year %d encoded", y)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, hex, want string
	}{
		{"empty", "", "empty"},
		{"odd", "0891683", "odd number"},
		{"not hex", "zz", "not hex"},
		{"SMSC only", "00", "no TPDU"},
		{"SMSC too long", "0C91", "SMSC length"},
		{"SMSC cut", "0891683108", "SMSC address"},
		{"no address", "0004", "TP-OA length"},
		{"address too long", "00041691", "exceeds 20"},
		{"address cut", "00040D916831", "TP-OA needs"},
		{"no SCTS", "00040D91683109000000F00008", "TP-SCTS"},
		{"bad SCTS digits", "00040D91683109000000F00008AA112181214323044F60597D", "not two decimal"},
		{"bad SCTS date", "00040D91683109000000F0000852412181214323044F60597D", "not a time"},
		{"UDL beyond data", "00040D91683109000000F0000852112181214323084F60597D", "TP-UDL 8 needs 8"},
		{"UDL too big", "00040D91683109000000F0000852112181214323A14F60597D", "exceeds 140"},
		{"septets too many", "00040D91683109000000F0000052112181214323A14F60597D", "exceeds 160"},
		{"UCS2 odd", "00040D91683109000000F0000852112181214323034F6059", "odd number of octets"},
		{"UDH beyond UD", "00440D91683109000000F00008521121812143230409000301", "header length"},
		{"UDH IE overrun", "00440D91683109000000F00008521121812143230403000501", "claims 5"},
		{"UDH concat length", "00440D91683109000000F0000852112181214323040300010100", "want 3"},
		{"UDH septets over UDL", "00440D91683109000000F000005211218121432302050003010101", "header"},
		{"wrong type", "0001000D91683108000000F00000", "not an SMS-DELIVER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeDeliver(tt.hex)
			if err == nil || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want ErrMalformed with %q", err, tt.want)
			}
		})
	}
	if _, err := DecodeMT("00030000"); err == nil {
		t.Error("reserved MTI decoded")
	}
	if _, err := DecodeStatusReport("0006E80C916666666666669090706184228090907061846280"); err == nil {
		t.Error("report without TP-ST decoded")
	}
	if _, err := DecodeSubmit(vecDeliverUCS2); err == nil {
		t.Error("DecodeSubmit took a DELIVER")
	}
}

func TestEncodeErrors(t *testing.T) {
	if _, err := EncodeSubmit("not a number", "x", SubmitOptions{}); err == nil {
		t.Error("alphanumeric recipient accepted")
	}
	if _, err := EncodeSubmit("+861380000000000000000", "x", SubmitOptions{}); err == nil {
		t.Error("21 digits accepted")
	}
	if _, err := EncodeSubmit("+8613800000000", strings.Repeat("x", 161), SubmitOptions{ConcatRef: 256}); err == nil {
		t.Error("8-bit reference 256 accepted")
	}
	if _, err := EncodeSubmit("+8613800000000", strings.Repeat("测", 67*255+1), SubmitOptions{}); err == nil {
		t.Error("256 parts accepted")
	}
	if _, err := EncodeSubmit("+8613800000000", "x", SubmitOptions{SMSC: "+86xyz"}); err == nil {
		t.Error("bad SMSC accepted")
	}
	if _, err := (Submit{To: "+8613800000000", Text: strings.Repeat("x", 161)}).Encode(); err == nil {
		t.Error("161 septets in one part accepted")
	}
	if _, err := (Deliver{From: "+86139", Text: "x", Timestamp: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}).Encode(); err == nil {
		t.Error("year 2100 accepted")
	}
	if _, err := (Deliver{From: "ThisIsTooLongAName", Text: "x"}).Encode(); err == nil {
		t.Error("12-character alphanumeric originator accepted")
	}
	if _, err := (Deliver{From: "+86139", Text: "测", DCS: 0x00}).Encode(); err != nil {
		t.Errorf("zero DCS should derive UCS2: %v", err)
	}
	if _, err := (Deliver{From: "+86139", Text: "测", DCS: 0x10}).Encode(); err == nil {
		t.Error("GSM7 DCS with a Chinese text accepted")
	}
}

func TestEnsureSMSC(t *testing.T) {
	tpdu := vecDeliverUCS2[18:]
	if got := EnsureSMSC(tpdu, len(tpdu)/2); got != "00"+tpdu {
		t.Errorf("got %s", got)
	}
	if got := EnsureSMSC(vecDeliverUCS2, len(tpdu)/2); got != vecDeliverUCS2 {
		t.Errorf("got %s", got)
	}
}
