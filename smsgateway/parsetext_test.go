package smsgateway

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"nanhu/hardware/serial"
	"nanhu/smsgateway/at"
	"nanhu/smsgateway/pdu"
)

const (
	stamp   = `"26/11/25,10:00:00+32"` // 2026-11-25 10:00:00 +08:00
	stamp2  = `"26/11/25,10:00:05+32"`
	hexFrom = "002B0038003600310033003900300030003000300030003000300031" // +8613900000001 in UCS2
	hexSMSC = "002B0038003600310033003800300030003500370033003500300030" // +8613800573500
)

func TestTextParsers(t *testing.T) {
	cases := []struct {
		name  string
		parse func() (textRecord, bool)
		ok    bool
		want  textRecord // compared field by field where set
	}{
		{"+CMGR of an SMS", func() (textRecord, bool) {
			return parseTextCMGR(3, []string{`+CMGR: "REC UNREAD","+8613900000001",,` + stamp, "6D4B8BD5"})
		}, true, textRecord{Kind: textDeliver, Index: 3, Stat: "REC UNREAD", Addr: "+8613900000001", SCTS: "26/11/25,10:00:00+32", Data: "6D4B8BD5", Length: -1}},
		{"+CMGR after AT+CSDH=1", func() (textRecord, bool) {
			return parseTextCMGR(1, []string{`+CMGR: "REC READ","` + hexFrom + `",,` + stamp + `,145,4,0,8,"` + hexSMSC + `",145,4`, "6D4B8BD5"})
		}, true, textRecord{Kind: textDeliver, Index: 1, Stat: "REC READ", Addr: hexFrom, AddrType: 145, SCTS: "26/11/25,10:00:00+32",
			Details: true, FO: 4, DCS: 8, SCA: hexSMSC, SCAType: 145, Length: 4, Data: "6D4B8BD5"}},
		{"+CMGR with a numeric <stat>", func() (textRecord, bool) {
			return parseTextCMGR(2, []string{`+CMGR: 1,"+8613900000001",,` + stamp, "hello"})
		}, true, textRecord{Kind: textDeliver, Index: 2, Stat: "REC READ", Addr: "+8613900000001", Data: "hello", Length: -1, SCTS: "26/11/25,10:00:00+32"}},
		{"+CMGR of a status report", func() (textRecord, bool) {
			return parseTextCMGR(4, []string{`+CMGR: "REC UNREAD",6,17,"+8613800000001",145,` + stamp + `,` + stamp2 + `,0`})
		}, true, textRecord{Kind: textReport, Index: 4, Stat: "REC UNREAD", FO: 6, MR: 17, Addr: "+8613800000001", AddrType: 145,
			SCTS: "26/11/25,10:00:00+32", DT: "26/11/25,10:00:05+32", Length: -1}},
		{"+CMGR of a stored SMS-SUBMIT", func() (textRecord, bool) {
			return parseTextCMGR(5, []string{`+CMGR: "STO UNSENT","+8613800000001",`, "draft"})
		}, true, textRecord{Kind: textSubmit, Index: 5, Stat: "STO UNSENT", Addr: "+8613800000001", Data: "draft", Length: -1}},
		{"+CMGR of an empty SMS", func() (textRecord, bool) {
			return parseTextCMGR(6, []string{`+CMGR: "REC READ","10086",,` + stamp})
		}, true, textRecord{Kind: textDeliver, Index: 6, Addr: "10086", Length: -1}},
		{"an empty place", func() (textRecord, bool) { return parseTextCMGR(7, nil) }, false, textRecord{}},
		{"a <stat> that is none", func() (textRecord, bool) {
			return parseTextCMGR(1, []string{`+CMGR: "REC SOMETHING","+8613900000001",,` + stamp, "x"})
		}, false, textRecord{}},
		{"an SMS without a time stamp", func() (textRecord, bool) {
			return parseTextCMGR(1, []string{`+CMGR: "REC READ","+8613900000001",,`, "x"})
		}, false, textRecord{}},
		{"a report with a bad <st>", func() (textRecord, bool) {
			return parseTextCMGR(1, []string{`+CMGR: "REC READ",6,17,"+8613800000001",145,` + stamp + `,` + stamp2 + `,300`})
		}, false, textRecord{}},
		{"+CMT after AT+CSDH=1", func() (textRecord, bool) {
			return parseTextCMT(`"+8613900000001",,`+stamp+`,145,68,0,8,"+8613800573500",145,12`, "050003EE02016D4B8BD5")
		}, true, textRecord{Kind: textDeliver, Addr: "+8613900000001", AddrType: 145, Details: true, FO: 68, DCS: 8, SCA: "+8613800573500",
			SCAType: 145, Length: 12, Data: "050003EE02016D4B8BD5", SCTS: "26/11/25,10:00:00+32"}},
		{"+CMT with report fields", func() (textRecord, bool) {
			return parseTextCMT(`6,17,"+8613800000001",145,`+stamp+`,`+stamp2+`,0`, "")
		}, false, textRecord{}},
		{"+CDS", func() (textRecord, bool) {
			return parseTextCDS(`6,200,"+8613800000001",145,` + stamp + `,` + stamp2 + `,70`)
		}, true, textRecord{Kind: textReport, FO: 6, MR: 200, Addr: "+8613800000001", AddrType: 145, Status: 70, DT: "26/11/25,10:00:05+32", Length: -1,
			SCTS: "26/11/25,10:00:00+32"}},
		{"+CDS cut short", func() (textRecord, bool) { return parseTextCDS(`6,200,"+8613800000001",145`) }, false, textRecord{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.parse()
			if ok != tc.ok {
				t.Fatalf("ok %v, want %v: %+v", ok, tc.ok, got)
			}
			if !ok {
				return
			}
			w := tc.want
			if got.Kind != w.Kind || got.Index != w.Index || got.Addr != w.Addr || got.AddrType != w.AddrType || got.Data != w.Data ||
				got.Details != w.Details || got.FO != w.FO || got.DCS != w.DCS || got.SCA != w.SCA || got.SCAType != w.SCAType ||
				got.Length != w.Length || got.MR != w.MR || got.Status != w.Status || got.DT != w.DT || (w.SCTS != "" && got.SCTS != w.SCTS) ||
				(w.Stat != "" && got.Stat != w.Stat) {
				t.Errorf("got  %+v\nwant %+v", got, w)
			}
		})
	}
}

func TestTextCMGL(t *testing.T) {
	got := parseTextCMGL([]string{
		`+CMGL: 1,"REC UNREAD","+8613900000001",,` + stamp + `,145,4`, "6D4B8BD5",
		`+CMGL: 2,"REC READ",6,17,"+8613800000001",145,` + stamp + `,` + stamp2 + `,0`,
		`+CMGL: 3,"REC READ","+8613900000002",,` + stamp, // empty SMS: no data line
		`+CMGL: 4,"STO SENT","+8613800000001",,`, "sent before",
		`+CMGL: x,"REC READ","+8613900000002",,` + stamp, "bad index",
		`+CMGL: 5,"REC READ","a, with comma",,` + stamp, "4F60597D",
		"garbage",
	})
	want := []struct {
		index, kind int
		data        string
	}{{1, textDeliver, "6D4B8BD5"}, {2, textReport, ""}, {3, textDeliver, ""}, {4, textSubmit, "sent before"}, {5, textDeliver, "4F60597D"}}
	if len(got) != len(want) {
		t.Fatalf("listed %+v", got)
	}
	for i, w := range want {
		if got[i].Index != w.index || got[i].Kind != w.kind || got[i].Data != w.data {
			t.Errorf("entry %d: %+v, want %+v", i, got[i], w)
		}
	}
	if got[0].Length != 4 || got[0].AddrType != 145 || got[1].MR != 17 || got[4].Addr != "a, with comma" {
		t.Errorf("fields: %+v", got)
	}
}

func TestTextTime(t *testing.T) {
	cases := []struct {
		in   string
		ok   bool
		want string // RFC 3339
	}{
		{"26/11/25,10:00:00+32", true, "2026-11-25T10:00:00+08:00"},
		{"99/03/29,15:16:59-08", true, "1999-03-29T15:16:59-02:00"},
		{"24/02/29,23:59:59+0", true, "2024-02-29T23:59:59Z"},
		{"25/02/29,10:00:00+32", false, ""},
		{"26/13/01,10:00:00+32", false, ""},
		{"26/11/25 10:00:00+32", false, ""},
		{"26/11/25,24:00:00+32", false, ""},
		{"26/11/25,10:00:00+80", false, ""},
		{"26/11/25,10:00:00", false, ""},
		{"+6/11/25,10:00:00+32", false, ""},
		{"", false, ""},
	}
	for _, tc := range cases {
		got, ok := parseTextTime(tc.in)
		if ok != tc.ok || ok && got.Format(time.RFC3339) != tc.want {
			t.Errorf("%q: %v %v, want %s %v", tc.in, got.Format(time.RFC3339), ok, tc.want, tc.ok)
		}
	}
}

func TestPlainGSMAndUCS2(t *testing.T) {
	for s, want := range map[string]bool{
		"Meeting at 9, room 301.": true, "A-Z a-z 0-9 !\"#%&'()*+,-./:;<=>?": true,
		"5$": false, "a@b": false, "snake_case": false, "{x}": false, "two\nlines": false, " padded": false, "测试": false, "": false,
	} {
		if got := plainGSM(s); got != want {
			t.Errorf("plainGSM(%q) = %v", s, got)
		}
	}
	for _, s := range []string{"测试短信", "+8613800000001", "😀 emoji", ""} {
		h := toUCS2Hex(s)
		if got, ok := fromUCS2Hex(h); s != "" && (!ok || got != s) {
			t.Errorf("%q → %s → %q %v", s, h, got, ok)
		}
	}
	if h := toUCS2Hex("测试"); h != "6D4B8BD5" {
		t.Errorf("测试 in UCS2: %s", h)
	}
	for _, s := range []string{"6D4B8BD", "6D4B8BZ5", "", "10086"} {
		if _, ok := fromUCS2Hex(s); ok {
			t.Errorf("%q taken as UCS2 hex", s)
		}
	}
	if got := teAddress("8613900000001", false, 145); got != "+8613900000001" {
		t.Errorf("international number without +: %q", got)
	}
	if got := teAddress("10086", true, 129); got != "10086" {
		t.Errorf("plain number in UCS2: %q", got)
	}
}

// TestTextRebuild: the PDU rebuilt from text-mode fields decodes to what
// the network sent.
func TestTextRebuild(t *testing.T) {
	at8 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.FixedZone("", 8*3600))
	cases := []struct {
		name string
		r    textRecord
		ucs2 bool
		from string
		text string
		dcs  byte
		cat  *pdu.Concat
		err  bool
	}{
		{"UCS2 with details", textRecord{Kind: textDeliver, Addr: hexFrom, AddrType: 145, SCTS: "26/11/25,10:00:00+32", Details: true,
			FO: 4, DCS: 8, SCA: hexSMSC, SCAType: 145, Length: 4, Data: "6D4B8BD5"}, true, "+8613900000001", "测试", 8, nil, false},
		{"UCS2 without details", textRecord{Kind: textDeliver, Addr: hexFrom, SCTS: "26/11/25,10:00:00+32", Data: "6D4B8BD5", Length: -1},
			true, "+8613900000001", "测试", 8, nil, false},
		{"GSM text in UCS2", textRecord{Kind: textDeliver, Addr: "+8613900000001", SCTS: "26/11/25,10:00:00+32", Details: true, FO: 4,
			Data: "004F004B007B007D", Length: 4}, true, "+8613900000001", "OK{}", 0, nil, false},
		{"GSM text in IRA", textRecord{Kind: textDeliver, Addr: "+8613900000001", SCTS: "26/11/25,10:00:00+32", Data: "OK then", Length: -1},
			false, "+8613900000001", "OK then", 0, nil, false},
		{"a UCS2 part (TP-UDHI)", textRecord{Kind: textDeliver, Addr: "+8613900000001", AddrType: 145, SCTS: "26/11/25,10:00:00+32",
			Details: true, FO: 68, DCS: 8, Length: 10, Data: "050003EE02026D4B8BD5"}, false, "+8613900000001", "测试", 8,
			&pdu.Concat{Ref: 0xEE, Total: 2, Seq: 2}, false},
		{"a GSM 7-bit part", textRecord{Kind: textDeliver, Addr: "+8613900000001", AddrType: 145, SCTS: "26/11/25,10:00:00+32",
			Details: true, FO: 68, DCS: 0, Length: 12, Data: "050003070201906536FB0D"}, false, "+8613900000001", "Hello", 0,
			&pdu.Concat{Ref: 7, Total: 2, Seq: 1}, false},
		{"alphanumeric sender", textRecord{Kind: textDeliver, Addr: "004E0061006E00680075", AddrType: 208, SCTS: "26/11/25,10:00:00+32",
			Data: "901A77E5", Length: -1}, true, "Nanhu", "通知", 8, nil, false},
		{"a time stamp that is none", textRecord{Kind: textDeliver, Addr: "+8613900000001", SCTS: "yesterday", Data: "x"}, false, "", "", 0, nil, true},
		{"UCS2 user data that is not hex", textRecord{Kind: textDeliver, Addr: "+8613900000001", SCTS: "26/11/25,10:00:00+32", Details: true,
			FO: 4, DCS: 8, Data: "测试"}, false, "", "", 0, nil, true},
		{"a stored SMS-SUBMIT", textRecord{Kind: textSubmit, Addr: "+8613900000001", Data: "x"}, false, "", "", 0, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, err := tc.r.pdu(tc.ucs2)
			if tc.err {
				if err == nil {
					t.Fatalf("rebuilt %s", h)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			d, err := pdu.DecodeDeliver(h)
			if err != nil {
				t.Fatalf("%s: %v", h, err)
			}
			if d.From != tc.from || d.Text != tc.text || d.DCS != tc.dcs || !d.Timestamp.Equal(at8) ||
				(d.Concat == nil) != (tc.cat == nil) || d.Concat != nil && *d.Concat != *tc.cat {
				t.Errorf("%s decodes to %+v", h, d)
			}
			if again, _ := tc.r.pdu(tc.ucs2); again != h {
				t.Errorf("rebuilt twice: %s, then %s", h, again)
			}
		})
	}
	rep := textRecord{Kind: textReport, FO: 6, MR: 200, Addr: "+8613800000001", AddrType: 145, SCTS: "26/11/25,10:00:00+32",
		DT: "26/11/25,10:00:05+32", Status: 0x46}
	h, err := rep.pdu(false)
	if err != nil {
		t.Fatal(err)
	}
	sr, err := pdu.DecodeStatusReport(h)
	if err != nil || sr.MessageRef != 200 || sr.Recipient != "+8613800000001" || sr.Status != 0x46 || !sr.Permanent() ||
		!sr.Discharge.Equal(at8.Add(5*time.Second)) || sr.MoreToSend {
		t.Errorf("report %s: %+v %v", h, sr, err)
	}
}

// TestSimTextModeRebuild holds the simulator to TS 27.005 with real PDUs:
// each message it stores, read in text mode (AT+CSDH=1, in UCS2 and in
// IRA), rebuilds to the very PDU it shows in PDU mode.
func TestSimTextModeRebuild(t *testing.T) {
	dir := t.TempDir()
	sim := startSim(t, dir, "ttyGSM0", nil)
	port, err := serial.Open(serial.Config{Path: sim.Link()})
	if err != nil {
		t.Fatal(err)
	}
	c := at.New(port, at.Options{CommandTimeout: 3 * time.Second, Logger: quietLogger()})
	defer c.Close()
	reports := make(chan at.URC, 4)
	c.Handle("+CDSI", func(u at.URC) { reports <- u })
	ctx := context.Background()
	cmd := func(line string) []string {
		t.Helper()
		lines, err := c.Command(ctx, line, 0)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		return lines
	}
	cmd("ATE0")
	cmd("AT+CNMI=2,1,0,2,0")
	cmd("AT+CSDH=1")
	// check reads index both ways and compares.
	check := func(what string, index int) {
		t.Helper()
		cmd("AT+CMGF=0")
		s, ok := parseCMGR(index, cmd(fmt.Sprintf("AT+CMGR=%d", index)))
		if !ok {
			t.Fatalf("%s: no PDU at %d", what, index)
		}
		cmd("AT+CMGF=1")
		for _, cs := range []string{"UCS2", "IRA"} {
			cmd(`AT+CSCS="` + cs + `"`)
			lines := cmd(fmt.Sprintf("AT+CMGR=%d", index))
			r, ok := parseTextCMGR(index, lines)
			if !ok {
				t.Fatalf("%s in %s: unreadable %q", what, cs, lines)
			}
			h, err := r.pdu(cs == "UCS2")
			if err != nil || h != s.PDU {
				t.Errorf("%s in %s: %q rebuilds to\n%s (%v), PDU mode shows\n%s", what, cs, lines, h, err, s.PDU)
			}
		}
		cmd(fmt.Sprintf("AT+CMGD=%d", index))
	}
	for _, tc := range []struct{ name, from, text string }{
		{"Chinese", "+8613900000001", "测试短信"},
		{"GSM with extension characters", "+8613900000002", "Fee {5} [ok] ~ 10€"},
		{"Chinese in three parts", "+8613900000003", threePartChinese},
		{"GSM in two parts", "+8613900000004", strings.Repeat("Flood drill tomorrow 9am. ", 7)},
		// Part 2 has 7 septets of header and 16 of text: 23 septets in 21
		// octets, whose last 7 bits could be one more septet; <length>
		// tells.
		{"GSM in two parts, the second of 23 septets", "+8613900000005", strings.Repeat("Drill at 9am. ", 11) + "Thank you, all."},
		{"alphanumeric sender", "Nanhu", "通知"},
		{"national number", "10086", "余额"},
	} {
		res, err := sim.Inbound(tc.from, tc.text)
		if err != nil {
			t.Fatal(err)
		}
		for i, idx := range res.Indexes {
			check(fmt.Sprintf("%s, part %d", tc.name, i+1), idx)
		}
	}
	// A status report.
	cmd("AT+CMGF=0")
	p, err := pdu.EncodeSubmit("+8613800000001", "回执", pdu.SubmitOptions{StatusReport: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SMSCommand(ctx, fmt.Sprintf("AT+CMGS=%d", p[0].TPDULen), p[0].Hex, 0); err != nil {
		t.Fatal(err)
	}
	select {
	case u := <-reports:
		_, idx, _ := parseIndication(u.Params())
		check("status report", idx)
	case <-time.After(10 * time.Second):
		t.Fatal("no status report")
	}
	if st := sim.Status(); st.Storage["SM"].Used != 0 {
		t.Errorf("left in the modem: %+v", st.Storage)
	}
}

// FuzzTextRecords feeds the text-mode readers whatever a confused modem
// may say: they must not panic, what they return must be in range, and a
// PDU rebuilt from it must decode as what it claims to be.
func FuzzTextRecords(f *testing.F) {
	for _, s := range []string{
		`+CMGR: "REC UNREAD","+8613900000001",,` + stamp + "\n6D4B8BD5",
		`+CMGR: "REC READ","` + hexFrom + `",,` + stamp + `,145,4,0,8,"` + hexSMSC + `",145,4` + "\n6D4B8BD5",
		`+CMGR: "REC UNREAD",6,17,"+8613800000001",145,` + stamp + `,` + stamp2 + `,0`,
		`+CMGL: 1,"REC UNREAD","+8613900000001",,` + stamp + ",145,4\n6D4B8BD5\n" + `+CMGL: 2,"REC READ",6,17,"+8613800000001",145,` + stamp + `,` + stamp2 + `,0`,
		`"+8613900000001",,` + stamp + `,145,68,0,8,"+8613800573500",145,12` + "\n050003EE02016D4B8BD5",
		`"+8613900000001",,` + stamp + `,145,68,0,0,"+8613800573500",145,12` + "\n050003070201906536FB0D",
		`6,200,"+8613800000001",145,` + stamp + `,` + stamp2 + `,70`,
		`+CMGR: "STO UNSENT","+8613800000001",` + "\ndraft",
		`+CMGL: ,,,` + "\n\n", `+CMGR: 0,"",,"99/99/99,99:99:99+99"`, `"`, `+CMGR: "REC READ","a",,` + stamp + `,208,4,0,245,"",,` + "\nFF",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lines := strings.Split(s, "\n")
		var recs []textRecord
		if r, ok := parseTextCMGR(1, lines); ok {
			recs = append(recs, r)
		}
		recs = append(recs, parseTextCMGL(lines)...)
		args, payload, _ := strings.Cut(s, "\n")
		if r, ok := parseTextCMT(args, payload); ok {
			recs = append(recs, r)
		}
		if r, ok := parseTextCDS(args); ok {
			recs = append(recs, r)
		}
		parseTextTime(s)
		for _, r := range recs {
			if r.Kind < textDeliver || r.Kind > textSubmit || r.Index < 0 || r.MR < 0 || r.MR > 255 || r.Status < 0 || r.Status > 255 {
				t.Errorf("record out of range: %+v", r)
			}
			for _, ucs2 := range []bool{false, true} {
				h, err := r.pdu(ucs2)
				if err != nil {
					if r.key() == "" {
						t.Errorf("no key for %+v", r)
					}
					continue
				}
				v, err := pdu.DecodeMT(h)
				switch v.(type) {
				case pdu.Deliver:
					if r.Kind != textDeliver {
						t.Errorf("%+v rebuilt to an SMS-DELIVER %s", r, h)
					}
				case pdu.StatusReport:
					if r.Kind != textReport || v.(pdu.StatusReport).MessageRef != byte(r.MR) {
						t.Errorf("%+v rebuilt to the report %s", r, h)
					}
				default:
					t.Errorf("%+v rebuilt to %s, which decodes to %T (%v)", r, h, v, err)
				}
			}
		}
	})
}
