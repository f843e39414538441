package modemsim

import (
	"regexp"
	"strings"
	"testing"
)

// TestTextOnly: a text-only modem starts in text mode, says so, refuses
// PDU mode with ERROR, stays in text mode after a reset, and refuses the
// PDU-mode form of AT+CMGL.
func TestTextOnly(t *testing.T) {
	s := startSim(t, func(o *Options) { o.TextOnly = true })
	c := dial(t, s)
	c.cmd("ATE0")
	c.cmd("AT+CMEE=1")
	for _, tc := range []struct{ cmd, want string }{
		{"AT+CMGF?", "\r\n+CMGF: 1\r\n\r\nOK\r\n"},
		{"AT+CMGF=?", "\r\n+CMGF: (1)\r\n\r\nOK\r\n"},
		{"AT+CMGF=0", "\r\nERROR\r\n"},
		{"AT+CMGF=1", "\r\nOK\r\n"},
		{"ATZ", "\r\nOK\r\n"},
		{"ATE0", "ATE0\r\r\nOK\r\n"}, // echo is on after the reset
		{"AT+CMGF?", "\r\n+CMGF: 1\r\n\r\nOK\r\n"},
		{"AT+CMGL=4", "\r\n+CMS ERROR: 305\r\n"},
		{`AT+CMGL="ALL"`, "\r\nOK\r\n"},
	} {
		if got := c.cmd(tc.cmd); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.cmd, got, tc.want)
		}
	}
	if st := s.Status(); !st.TextOnly || st.CMGF != 1 {
		t.Errorf("status %+v", st)
	}
	// An ordinary modem takes PDU mode.
	p := startSim(t, nil)
	pc := dial(t, p)
	pc.cmd("ATE0")
	if got := pc.cmd("AT+CMGF=0"); got != "\r\nOK\r\n" {
		t.Errorf("AT+CMGF=0 on a PDU modem: %q", got)
	}
}

// TestTextModeSend: AT+CMGS in text mode reads the text as AT+CSMP's
// first octet and coding and AT+CSCS say (TS 27.005 §3.5.1).
func TestTextModeSend(t *testing.T) {
	s := startSim(t, nil)
	c := dial(t, s)
	c.cmd("ATE0")
	c.cmd("AT+CMGF=1")
	cases := []struct {
		name, cscs, csmp, to string
		data                 []string // typed after "> ", one send each
		final                string   // the last send's final result
		text                 string   // what the network carried, "" for nothing
		parts, total         int
		report               bool
	}{
		{"GSM text", "IRA", "17,167,0,0", "+8613800000000", []string{"Hello {world}"}, "OK", "Hello {world}", 1, 1, false},
		{"Chinese with DCS 0", "IRA", "17,167,0,0", "+8613800000000", []string{"测试"}, "+CMS ERROR: 305", "", 0, 0, false},
		{"UCS2 data is hex in any character set", "GSM", "17,167,0,8", "+8613800000000", []string{"6D4B8BD5"}, "OK", "测试", 1, 1, false},
		{"UCS2 data that is not hex", "GSM", "17,167,0,8", "+8613800000000", []string{"测试"}, "+CMS ERROR: 305", "", 0, 0, false},
		{"GSM text typed in UCS2", "UCS2", "17,167,0,0", "002B0038003600310033003800300030003000300030003000300030", []string{"00480069"}, "OK", "Hi", 1, 1, false},
		{"status report requested", "UCS2", "49,167,0,8", "002B0038003600310033003800300030003000300030003000300030", []string{"56DE6267"}, "OK", "回执", 1, 1, true},
		{"160 GSM characters", "IRA", "17,167,0,0", "+8613800000000", []string{strings.Repeat("a", 160)}, "OK", strings.Repeat("a", 160), 1, 1, false},
		{"161 GSM characters", "IRA", "17,167,0,0", "+8613800000000", []string{strings.Repeat("a", 161)}, "+CMS ERROR: 305", "", 0, 0, false},
		{"81 extension characters take 162 septets", "IRA", "17,167,0,0", "+8613800000000", []string{strings.Repeat("{", 81)}, "+CMS ERROR: 305", "", 0, 0, false},
		{"71 UCS2 characters", "IRA", "17,167,0,8", "+8613800000000", []string{strings.Repeat("957F", 71)}, "+CMS ERROR: 305", "", 0, 0, false},
		{"concatenated UCS2 parts (TP-UDHI)", "IRA", "81,167,0,8", "+8613800000000",
			[]string{"050003070201" + "7B2C4E00", "050003070202" + "7B2C4E8C"}, "OK", "第一第二", 2, 2, false},
		{"GSM 7-bit with a header", "IRA", "81,167,0,0", "+8613800000000", []string{"050003070201C834"}, "+CMS ERROR: 303", "", 0, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s.ClearMessages()
			c.cmd(`AT+CSCS="` + tc.cscs + `"`)
			if got := c.cmd("AT+CSMP=" + tc.csmp); got != "\r\nOK\r\n" {
				t.Fatalf("AT+CSMP=%s: %q", tc.csmp, got)
			}
			var got string
			for _, d := range tc.data {
				c.write(`AT+CMGS="`+tc.to+`"`+"\r", false)
				c.expect("\r\n> ")
				c.write(d+"\x1a", false)
				got = c.final()
			}
			if fin, _ := finalIn(got); fin != tc.final {
				t.Fatalf("final result %q in %q, want %s", fin, got, tc.final)
			}
			msgs := s.Messages()
			if tc.text == "" {
				if len(msgs) != 0 {
					t.Fatalf("carried %+v", msgs)
				}
				return
			}
			if len(msgs) != 1 {
				t.Fatalf("carried %+v", msgs)
			}
			m := msgs[0]
			if m.To != "+8613800000000" || m.Text != tc.text || m.Parts != tc.parts || m.Total != tc.total || m.Mode != "text" || m.Report != tc.report {
				t.Errorf("carried %+v", m)
			}
		})
	}
}

// TestTextModeReading: SMS and status reports as text mode shows them,
// with and without AT+CSDH=1, in the IRA and UCS2 character sets.
// (The fake codec's PDUs are not real, so the header fields are made up
// from the text: UCS2 for Chinese, a header for a part of several. The
// gateway's tests check them with real PDUs.)
func TestTextModeReading(t *testing.T) {
	s := startSim(t, nil)
	c := dial(t, s)
	c.cmd("ATE0")
	c.cmd("AT+CMGF=1")
	c.cmd("AT+CNMI=2,1,0,2,0")
	stamp := `"\d\d/\d\d/\d\d,\d\d:\d\d:\d\d[+-]\d\d"`
	match := func(what, got, pattern string) {
		t.Helper()
		if !regexp.MustCompile(pattern).MatchString(got) {
			t.Errorf("%s: %q does not match %s", what, got, pattern)
		}
	}

	s.Inbound("+8613900000000", "同意")
	c.expect(`+CMTI: "SM",1` + "\r\n")
	match("AT+CMGR", c.cmd("AT+CMGR=1"), `^\r\n\+CMGR: "REC UNREAD","\+8613900000000",,`+stamp+`\r\n540C610F\r\n\r\nOK\r\n$`)
	c.cmd("AT+CSDH=1")
	match("AT+CMGR with details", c.cmd("AT+CMGR=1"), `^\r\n\+CMGR: "REC READ","\+8613900000000",,`+stamp+`,145,4,0,8,"\+8613800573500",145,4\r\n540C610F\r\n\r\nOK\r\n$`)
	match("AT+CMGL with details", c.cmd(`AT+CMGL="ALL"`), `^\r\n\+CMGL: 1,"REC READ","\+8613900000000",,`+stamp+`,145,4\r\n540C610F\r\n\r\nOK\r\n$`)
	c.cmd(`AT+CSCS="UCS2"`)
	match("AT+CMGR in UCS2", c.cmd("AT+CMGR=1"), `^\r\n\+CMGR: "REC READ","002B0038003600310033003900300030003000300030003000300030",,`+stamp+`,145,4,0,8,"002B0038003600310033003800300030003500370033003500300030",145,4\r\n540C610F\r\n`)
	c.cmd("AT+CMGD=1,4")

	// GSM text is text in the character set: hex UCS2 in UCS2, as typed in IRA.
	s.Inbound("+8613900000000", "OK then")
	c.expect(`+CMTI: "SM",1` + "\r\n")
	match("GSM text in UCS2", c.cmd("AT+CMGR=1"), `,145,4,0,0,"[0-9A-F]+",145,7\r\n004F004B0020007400680065006E\r\n\r\nOK\r\n$`)
	c.cmd(`AT+CSCS="IRA"`)
	match("GSM text in IRA", c.cmd("AT+CMGR=1"), `,145,4,0,0,"\+8613800573500",145,7\r\nOK then\r\n\r\nOK\r\n$`)
	c.cmd("AT+CMGD=1,4")

	// A part of a long text has TP-UDHI in <fo>: its user data, header
	// included, in hex.
	s.Inbound("+8613900000000", strings.Repeat("长", 12))
	c.expect(`+CMTI: "SM",2` + "\r\n")
	match("a part", c.cmd("AT+CMGR=1"), `,145,68,0,8,"\+8613800573500",145,26\r\n050003070201(957F){10}\r\n`)
	c.cmd("AT+CMGD=1,4")

	// A status report: <fo>,<mr>,<ra>,<tora>,<scts>,<dt>,<st>.
	c.cmd("AT+CSMP=49,167,0,0")
	c.write(`AT+CMGS="+8613800000000"`+"\r", false)
	c.expect("> ")
	c.write("ping\x1a", false)
	if got := c.final(); !strings.Contains(got, "+CMGS: 1") {
		t.Fatalf("send: %q", got)
	}
	c.expect(`+CDSI: "SM",1` + "\r\n")
	match("report by AT+CMGR", c.cmd("AT+CMGR=1"), `^\r\n\+CMGR: "REC UNREAD",6,1,"\+8613800000000",145,`+stamp+`,`+stamp+`,0\r\n\r\nOK\r\n$`)
	match("report by AT+CMGL", c.cmd(`AT+CMGL="ALL"`), `^\r\n\+CMGL: 1,"REC READ",6,1,"\+8613800000000",145,`+stamp+`,`+stamp+`,0\r\n\r\nOK\r\n$`)
	c.cmd("AT+CMGD=1,4")

	// Routed: +CMT with the details, +CDS on one line.
	c.cmd("AT+CNMI=2,2,0,1,0")
	s.Inbound("+8613900000000", "好")
	match("+CMT", c.expect("\r\n597D\r\n"), `\+CMT: "\+8613900000000",,`+stamp+`,145,4,0,8,"\+8613800573500",145,2\r\n597D\r\n$`)
	c.write(`AT+CMGS="+8613800000000"`+"\r", false)
	c.expect("> ")
	c.write("ping\x1a", false)
	c.final()
	match("+CDS", c.expect(",0\r\n"), `\+CDS: 6,2,"\+8613800000000",145,`+stamp+`,`+stamp+`,0\r\n$`)
}
