package modemsim

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

func TestEchoAndFraming(t *testing.T) {
	s := startSim(t, nil)
	c := dial(t, s)

	// Echo is on after reset: the command comes back before the answer.
	if got := c.cmd("AT"); got != "AT\r\r\nOK\r\n" {
		t.Fatalf("AT with echo: %q", got)
	}
	if got := c.cmd("ATE0"); got != "ATE0\r\r\nOK\r\n" {
		t.Fatalf("ATE0: %q", got)
	}
	if got := c.cmd("AT"); got != "\r\nOK\r\n" {
		t.Fatalf("AT without echo: %q", got)
	}
	if got := c.cmd("AT+CGMI"); got != "\r\nhuawei\r\n\r\nOK\r\n" {
		t.Fatalf("AT+CGMI: %q", got)
	}
	if got := c.cmd("at+cgmm"); got != "\r\nE173\r\n\r\nOK\r\n" {
		t.Fatalf("lower case: %q", got)
	}
	// Numeric result codes.
	c.write("ATV0\r", false)
	if got := c.expect("0\r"); got != "0\r" {
		t.Fatalf("ATV0: %q", got)
	}
	c.write("AT+CSQ\r", false)
	if got := c.expect("0\r"); got != "+CSQ: 21,99\r\n0\r" {
		t.Fatalf("AT+CSQ in V0: %q", got)
	}
	if got := c.cmd("ATV1"); got != "\r\nOK\r\n" {
		t.Fatalf("ATV1: %q", got)
	}
}

func TestOneByteWrites(t *testing.T) {
	s := startSim(t, nil)
	c := dial(t, s)
	c.write("AT+CGSN\r", true)
	if got := c.final(); got != "AT+CGSN\r\r\n353143040123458\r\n\r\nOK\r\n" {
		t.Fatalf("one byte at a time: %q", got)
	}
	// CR LF line ends and backspace editing.
	c.write("ATE0\r\n", true)
	c.final()
	c.write("AT+CGMX\bI\r\n", true)
	if got := c.final(); got != "\r\nhuawei\r\n\r\nOK\r\n" {
		t.Fatalf("after backspace: %q", got)
	}
}

func TestESCAndNoise(t *testing.T) {
	s := startSim(t, nil)
	c := dial(t, s)
	c.cmd("ATE0")
	// gammu and smsd open with ESC CR: nothing to answer.
	c.write("\x1b\r", false)
	if got := c.cmd("AT"); got != "\r\nOK\r\n" {
		t.Fatalf("after ESC CR: %q", got)
	}
	// ESC drops a half-typed line.
	c.write("AT+CFUN=0\x1b", false)
	if got := c.cmd("AT+CFUN?"); !strings.Contains(got, "+CFUN: 1") {
		t.Fatalf("ESC did not drop the line: %q", got)
	}
	// Noise before AT is skipped; a line without AT is not answered.
	if got := c.cmd("\x00\xffxyzAT"); got != "\r\nOK\r\n" {
		t.Fatalf("noise before AT: %q", got)
	}
	c.write("hello\r", false)
	if got := c.cmd("AT"); got != "\r\nOK\r\n" {
		t.Fatalf("after a line without AT: %q", got)
	}
	// A/ repeats the last line.
	c.cmd("AT+CGMR")
	c.write("A/\r", false)
	if got := c.final(); !strings.Contains(got, "11.126.85.00.209") {
		t.Fatalf("A/: %q", got)
	}
	// An overlong line gets ERROR and leaves the modem sane.
	if got := c.cmd("AT" + strings.Repeat("E", 2000)); got != "\r\nERROR\r\n" {
		t.Fatalf("overlong line: %q", got)
	}
	if got := c.cmd("AT"); got != "\r\nOK\r\n" {
		t.Fatalf("after overlong line: %q", got)
	}
}

func TestUnknownAndChained(t *testing.T) {
	s := startSim(t, nil)
	c := dial(t, s)
	c.cmd("ATE0")
	for _, probe := range []string{"AT+MODE=2", "AT+CPROT=?", "AT$TSSPCSW=?", "AT+SYNCML=?", "AT+CHUP=?", "AT+FOO", "ATD123;"} {
		if got := c.cmd(probe); got != "\r\nERROR\r\n" {
			t.Errorf("%s: %q, want ERROR", probe, got)
		}
	}
	if got := c.cmd("AT+CFUN=1"); got != "\r\nOK\r\n" {
		t.Errorf("AT+CFUN=1: %q", got)
	}
	// smsd's chained init.
	if got := c.cmd("AT+CMEE=1;+CREG=2"); got != "\r\nOK\r\n" {
		t.Fatalf("chain: %q", got)
	}
	if got := c.cmd("AT+CREG?"); got != "\r\n+CREG: 2,1,\"5A1C\",\"0C3B\"\r\n\r\nOK\r\n" {
		t.Fatalf("AT+CREG?: %q", got)
	}
	if got := c.cmd("AT+CGMI;+CGMM"); got != "\r\nhuawei\r\n\r\nE173\r\n\r\nOK\r\n" {
		t.Fatalf("two answers: %q", got)
	}
	if got := c.cmd("ATE0V1Q0"); got != "\r\nOK\r\n" {
		t.Fatalf("basic commands run together: %q", got)
	}
	// The first error ends the chain.
	if got := c.cmd("AT+CMEE=7;+CGMI"); got != "\r\n+CME ERROR: 50\r\n" {
		t.Fatalf("error in chain: %q", got)
	}
	if got := c.cmd("AT+CMEE=2;+CSCS=\"KOI8\""); got != "\r\n+CME ERROR: operation not supported\r\n" {
		t.Fatalf("verbose error: %q", got)
	}
	if got := c.cmd("AT+CMEE=0;+CSCS=\"KOI8\""); got != "\r\nERROR\r\n" {
		t.Fatalf("plain error: %q", got)
	}
}

func TestIdentityAndSettings(t *testing.T) {
	s := startSim(t, nil)
	c := dial(t, s)
	c.cmd("ATE0")
	for _, tc := range []struct{ cmd, want string }{
		{"ATI", "Manufacturer: huawei\r\nModel: E173\r\nRevision: 11.126.85.00.209\r\nIMEI: 353143040123458\r\n+GCAP: +CGSM,+DS,+ES"},
		{"AT+CIMI", "460001357924680"},
		{"AT+CNUM", `+CNUM: "","+8613800000001",145`},
		{"AT+CPIN?", "+CPIN: READY"},
		{"AT+CSQ", "+CSQ: 21,99"},
		{"AT+CREG?", "+CREG: 0,1"},
		{"AT+COPS?", `+COPS: 0,0,"CHINA MOBILE",0`},
		{"AT+CSCS?", `+CSCS: "IRA"`},
		{"AT+CSCS=?", `+CSCS: ("IRA","GSM","UCS2")`},
		{`AT+CSCS="GSM";+CSCS?`, `+CSCS: "GSM"`},
		{"AT+CSCA?", `+CSCA: "+8613800573500",145`},
		{`AT+CSCA="+8613800571500",145;+CSCA?`, `+CSCA: "+8613800571500",145`},
		{`AT+CSCS="UCS2";+CSCA?`, `+CSCA: "002B0038003600310033003800300030003500370031003500300030",145`},
		{`AT+CSCS="GSM";+CMGF?`, "+CMGF: 0"},
		{"AT+CMGF=?", "+CMGF: (0-1)"},
		{"AT+CSMS?", "+CSMS: 0,1,1,1"},
		{"AT+CSMS=1", "+CSMS: 1,1,1"},
		{"AT+CPMS=?", `+CPMS: ("SM","ME"),("SM","ME"),("SM","ME")`},
		{"AT+CPMS?", `+CPMS: "SM",0,30,"SM",0,30,"SM",0,30`},
		{`AT+CPMS="ME"`, "+CPMS: 0,100,0,30,0,30"},
		{`AT+CPMS="SM","SM","SM"`, "+CPMS: 0,30,0,30,0,30"},
		{"AT+CNMI?", "+CNMI: 0,0,0,0,0"},
		{"AT+CNMI=2,1,0,2,0;+CNMI?", "+CNMI: 2,1,0,2,0"},
		{"AT+CMMS=2;+CMMS?", "+CMMS: 2"},
		{"AT^CURC=0;^CURC?", "^CURC: 0"},
		{"AT+CFUN?", "+CFUN: 1"},
		{"AT+CFUN=?", "+CFUN: (0,1,4),(0-1)"},
		{"ATS3?", "013"},
		{"AT+CMGD=?", "+CMGD: (),(0-4)"},
	} {
		want := "\r\n" + tc.want + "\r\n\r\nOK\r\n"
		if got := c.cmd(tc.cmd); got != want {
			t.Errorf("%s: %q, want %q", tc.cmd, got, want)
		}
	}
	if got := c.cmd(`AT+CPMS="XX"`); got != "\r\n+CMS ERROR: 302\r\n" {
		t.Errorf("unknown memory: %q", got)
	}
	if got := c.cmd("AT+CNMA"); got != "\r\n+CMS ERROR: 340\r\n" {
		t.Errorf("AT+CNMA with nothing to acknowledge: %q", got)
	}
	// ATZ restores echo and the other defaults.
	if got := c.cmd("ATZ"); got != "\r\nOK\r\n" {
		t.Fatalf("ATZ: %q", got)
	}
	if got := c.cmd("AT+CNMI?"); !strings.HasPrefix(got, "AT+CNMI?\r\r\n+CNMI: 0,0,0,0,0\r\n") {
		t.Errorf("after ATZ: %q", got)
	}
}

// sendPDU runs AT+CMGS in PDU mode and returns the answer to the PDU.
func sendPDU(t *testing.T, c *client, pdu string, n int) string {
	t.Helper()
	c.write(fmt.Sprintf("AT+CMGS=%d\r", n), false)
	c.expect("\r\n> ")
	c.write(pdu+"\x1a", false)
	return c.final()
}

func TestSendPDU(t *testing.T) {
	s := startSim(t, nil)
	c := dial(t, s)
	c.cmd("ATE0")
	pdu, n := submitPDU("+8613800000000", "测试短信", false, 0, 0, 0)
	if got := sendPDU(t, c, pdu, n); got != "\r\n+CMGS: 1\r\n\r\nOK\r\n" {
		t.Fatalf("send: %q", got)
	}
	if got := sendPDU(t, c, pdu, n); got != "\r\n+CMGS: 2\r\n\r\nOK\r\n" {
		t.Fatalf("second send: %q", got)
	}
	// A length that is not the TPDU's is refused.
	if got := sendPDU(t, c, pdu, n+1); got != "\r\n+CMS ERROR: 304\r\n" {
		t.Fatalf("wrong length: %q", got)
	}
	// Not a PDU at all.
	if got := sendPDU(t, c, "ZZZZ", 7); got != "\r\n+CMS ERROR: 304\r\n" {
		t.Fatalf("not hex: %q", got)
	}
	// ESC at the prompt abandons the send.
	c.write(fmt.Sprintf("AT+CMGS=%d\r", n), false)
	c.expect("> ")
	c.write(pdu[:10]+"\x1b", false)
	if got := c.final(); got != "\r\nOK\r\n" {
		t.Fatalf("ESC at the prompt: %q", got)
	}
	msgs := s.Messages()
	if len(msgs) != 2 || msgs[0].Text != "测试短信" || msgs[0].To != "+8613800000000" || msgs[0].Ref != 1 || msgs[1].Ref != 2 || msgs[0].Parts != 1 || !msgs[0].Complete || len(msgs[0].PDUs) != 1 || msgs[0].PDUs[0] != pdu {
		t.Fatalf("carried: %+v", msgs)
	}
}

func TestSendEchoesPDU(t *testing.T) {
	s := startSim(t, nil)
	c := dial(t, s)
	pdu, n := submitPDU("+8613800000000", "hi", false, 0, 0, 0)
	c.write(fmt.Sprintf("AT+CMGS=%d\r", n), true)
	if got := c.expect("> "); got != fmt.Sprintf("AT+CMGS=%d\r\r\n> ", n) {
		t.Fatalf("prompt with echo: %q", got)
	}
	c.write(pdu+"\x1a", true)
	if got := c.final(); got != pdu+"\r\n+CMGS: 1\r\n\r\nOK\r\n" {
		t.Fatalf("PDU echo: %q", got)
	}
}

func TestMessageReferenceWraps(t *testing.T) {
	s := startSim(t, func(o *Options) { o.SendLatency = 0 })
	c := dial(t, s)
	c.cmd("ATE0")
	s.mu.Lock()
	s.nextMR = 254
	s.mu.Unlock()
	pdu, n := submitPDU("+8613800000000", "x", false, 0, 0, 0)
	for _, want := range []int{254, 255, 0, 1} {
		if got := sendPDU(t, c, pdu, n); got != fmt.Sprintf("\r\n+CMGS: %d\r\n\r\nOK\r\n", want) {
			t.Fatalf("want mr %d: %q", want, got)
		}
	}
}

func TestConcatenatedJoined(t *testing.T) {
	s := startSim(t, nil)
	c := dial(t, s)
	c.cmd("ATE0")
	p1, n1 := submitPDU("+8613800000000", "第一部分", true, 0xEE, 2, 1)
	p2, n2 := submitPDU("+8613800000000", "第二部分", true, 0xEE, 2, 2)
	other, n3 := submitPDU("+8613900000000", "另一条", false, 0xEE, 2, 1)
	sendPDU(t, c, p1, n1)
	sendPDU(t, c, other, n3)
	sendPDU(t, c, p2, n2)
	msgs := s.Messages()
	if len(msgs) != 2 {
		t.Fatalf("carried %d messages: %+v", len(msgs), msgs)
	}
	m := msgs[0]
	if m.Text != "第一部分第二部分" || m.Parts != 2 || m.Total != 2 || !m.Complete || len(m.PDUs) != 2 || len(m.Refs) != 2 || m.Refs[1] != 3 || !m.Report {
		t.Fatalf("joined: %+v", m)
	}
	if msgs[1].Complete || msgs[1].Parts != 1 || msgs[1].Total != 2 {
		t.Fatalf("the lone part: %+v", msgs[1])
	}
}

func TestTextMode(t *testing.T) {
	s := startSim(t, nil)
	c := dial(t, s)
	c.cmd("ATE0")
	c.cmd("AT+CMGF=1")
	c.write("AT+CMGS=\"+8613800000000\"\r", false)
	c.expect("\r\n> ")
	c.write("line one\rline two\x1a", false)
	if got := c.final(); got != "\r\n> \r\n+CMGS: 1\r\n\r\nOK\r\n" {
		t.Fatalf("text send: %q", got)
	}
	// UCS2 user data (TP-DCS 8 by AT+CSMP) is hex; after AT+CSCS="UCS2"
	// the number is too.
	c.cmd(`AT+CSCS="UCS2"`)
	c.cmd("AT+CSMP=17,167,0,8")
	c.write(`AT+CMGS="002B0038003600310033003800300030003000300030003000300030"`+"\r", false)
	c.expect("> ")
	c.write("6D4B8BD5\x1a", false)
	if got := c.final(); got != "\r\n+CMGS: 2\r\n\r\nOK\r\n" {
		t.Fatalf("UCS2 text send: %q", got)
	}
	msgs := s.Messages()
	if len(msgs) != 2 || msgs[0].Text != "line one\nline two" || msgs[0].Mode != "text" || msgs[1].Text != "测试" || msgs[1].To != "+8613800000000" {
		t.Fatalf("carried: %+v", msgs)
	}
	// Too long for one SMS in text mode.
	c.cmd(`AT+CSCS="GSM"`)
	c.write(`AT+CMGS="+8613800000000"`+"\r", false)
	c.expect("> ")
	c.write(strings.Repeat("长", 71)+"\x1a", false)
	if got := c.final(); got != "\r\n+CMS ERROR: 305\r\n" {
		t.Fatalf("too long: %q", got)
	}
}

func TestStatusReportRouting(t *testing.T) {
	for _, tc := range []struct {
		cnmi string
		want string // the unsolicited code's start, "" for none
	}{
		{"AT+CNMI=2,1,0,2,0", `+CDSI: "SM",1`},
		{"AT+CNMI=2,1,0,1,0", "+CDS: "},
		{"AT+CNMI=2,1,0,0,0", ""},
	} {
		t.Run(tc.cnmi, func(t *testing.T) {
			s := startSim(t, nil)
			c := dial(t, s)
			c.cmd("ATE0")
			c.cmd(tc.cnmi)
			pdu, n := submitPDU("+8613800000000", "回执", true, 0, 0, 0)
			if got := sendPDU(t, c, pdu, n); !strings.Contains(got, "+CMGS: 1") {
				t.Fatalf("send: %q", got)
			}
			if tc.want == "" {
				time.Sleep(300 * time.Millisecond)
				if got := c.cmd("AT+CPMS?"); !strings.Contains(got, `"SM",1,30`) {
					t.Fatalf("report not stored quietly: %q", got)
				}
				if strings.Contains(string(c.got), "+CD") {
					t.Fatalf("unexpected indication: %q", c.got)
				}
				return
			}
			c.expect(tc.want)
			if tc.want == "+CDS: " {
				line := c.expect("\r\n")
				pduLine := c.expect("\r\n")
				f, err := fakeDecode(strings.TrimSpace(pduLine), 2)
				if err != nil || f.MR != 1 || f.To != "+8613800000000" {
					t.Fatalf("+CDS %q %q: %+v %v", line, pduLine, f, err)
				}
				return
			}
			c.expect("\r\n")
			r := c.cmd("AT+CMGR=1")
			if !strings.HasPrefix(r, "\r\n+CMGR: 0,,") {
				t.Fatalf("reading the report: %q", r)
			}
		})
	}
}

func TestInboundStorageAndReading(t *testing.T) {
	s := startSim(t, nil)
	c := dial(t, s)
	c.cmd("ATE0")
	c.cmd("AT+CNMI=2,1,0,0,0")
	res, err := s.Inbound("+8613900000000", "你好")
	if err != nil || res.Storage != "SM" || len(res.Indexes) != 1 || res.Indexes[0] != 1 {
		t.Fatalf("inbound: %+v %v", res, err)
	}
	c.expect("\r\n+CMTI: \"SM\",1\r\n")
	got := c.cmd("AT+CMGR=1")
	pdu := strings.Split(got, "\r\n")[2]
	d, err := fakeCodec{}.DecodeDeliver(pdu)
	if err != nil || d.Text != "你好" || !strings.HasPrefix(got, fmt.Sprintf("\r\n+CMGR: 0,,%d\r\n", len(pdu)/2-1)) {
		t.Fatalf("AT+CMGR=1: %q (%v)", got, err)
	}
	// Read once, it is REC READ.
	if got := c.cmd("AT+CMGR=1"); !strings.HasPrefix(got, "\r\n+CMGR: 1,,") {
		t.Fatalf("second read: %q", got)
	}
	// A long text arrives in parts (the fake codec cuts every ten characters).
	res, err = s.Inbound("+8613900000000", strings.Repeat("长", 25))
	if err != nil || len(res.Indexes) != 3 {
		t.Fatalf("long inbound: %+v %v", res, err)
	}
	for i := 2; i <= 4; i++ {
		c.expect(fmt.Sprintf("+CMTI: \"SM\",%d", i))
	}
	if got := c.cmd("AT+CMGL=0"); strings.Count(got, "+CMGL: ") != 3 {
		t.Fatalf("AT+CMGL=0 lists the unread: %q", got)
	}
	if got := c.cmd("AT+CMGL=0"); strings.Count(got, "+CMGL: ") != 0 {
		t.Fatalf("listed messages are read now: %q", got)
	}
	if got := c.cmd("AT+CMGL=4"); strings.Count(got, "+CMGL: ") != 4 || !strings.Contains(got, "+CMGL: 1,1,,") {
		t.Fatalf("AT+CMGL=4: %q", got)
	}
	if got := c.cmd("AT+CMGD=?"); !strings.Contains(got, "+CMGD: (1,2,3,4),(0-4)") {
		t.Fatalf("AT+CMGD=?: %q", got)
	}
	// Deleting really deletes.
	c.cmd("AT+CMGD=1")
	if got := c.cmd("AT+CMGR=1"); got != "\r\nOK\r\n" {
		t.Fatalf("read after delete: %q", got)
	}
	if got := c.cmd("AT+CPMS?"); !strings.Contains(got, `"SM",3,30`) {
		t.Fatalf("after delete: %q", got)
	}
	if got := c.cmd("AT+CMGR=31"); got != "\r\n+CMS ERROR: 321\r\n" {
		t.Fatalf("out of range: %q", got)
	}
	// delflag 4 empties the memory.
	c.cmd("AT+CMGD=1,4")
	if got := c.cmd("AT+CPMS?"); !strings.Contains(got, `"SM",0,30`) {
		t.Fatalf("after AT+CMGD=1,4: %q", got)
	}
	// Text mode shows the sender and the text.
	c.cmd("AT+CMGF=1")
	s.Inbound("+8613900000000", "同意")
	c.expect("+CMTI")
	got = c.cmd(`AT+CMGL="ALL"`)
	// 同意 is UCS2 (the fake codec's Chinese is): its user data in hex.
	if !strings.Contains(got, `+CMGL: 1,"REC UNREAD","+8613900000000",,"`) || !strings.Contains(got, "\r\n540C610F\r\n") {
		t.Fatalf("text-mode list: %q", got)
	}
}

func TestInboundDirectRouting(t *testing.T) {
	s := startSim(t, nil)
	c := dial(t, s)
	c.cmd("ATE0")
	c.cmd("AT+CSMS=1")
	c.cmd("AT+CNMI=2,2,0,0,0")
	res, err := s.Inbound("+8613900000000", "直接")
	if err != nil || len(res.Indexes) != 0 {
		t.Fatalf("inbound: %+v %v", res, err)
	}
	c.expect("\r\n+CMT: ,")
	c.expect("\r\n")
	pdu := strings.TrimSpace(c.expect("\r\n"))
	if d, err := (fakeCodec{}).DecodeDeliver(pdu); err != nil || d.Text != "直接" {
		t.Fatalf("+CMT PDU %q: %v", pdu, err)
	}
	if got := c.cmd("AT+CNMA"); got != "\r\nOK\r\n" {
		t.Fatalf("AT+CNMA: %q", got)
	}
	if got := c.cmd("AT+CNMA"); got != "\r\n+CMS ERROR: 340\r\n" {
		t.Fatalf("second AT+CNMA: %q", got)
	}
	if got := c.cmd("AT+CPMS?"); !strings.Contains(got, `"SM",0,30`) {
		t.Fatalf("routed SMS were stored: %q", got)
	}
}

func TestCNMIModeZeroBuffers(t *testing.T) {
	s := startSim(t, nil)
	c := dial(t, s)
	c.cmd("ATE0")
	c.cmd("AT+CNMI=0,1,0,0,0")
	s.Inbound("+8613900000000", "缓存")
	if got := c.cmd("AT"); got != "\r\nOK\r\n" {
		t.Fatalf("indication leaked in mode 0: %q", got)
	}
	got := c.cmd("AT+CNMI=2,1,0,0,0")
	if !strings.Contains(got, `+CMTI: "SM",1`) {
		t.Fatalf("kept indication not released: %q", got)
	}
}

func TestStorageFullForReal(t *testing.T) {
	s := startSim(t, func(o *Options) { o.SMSlots = 2 })
	for i := 0; i < 2; i++ {
		if _, err := s.Inbound("+8613900000000", "满"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Inbound("+8613900000000", "满"); err != ErrStorageFull {
		t.Fatalf("third SMS into a 2-place SIM: %v", err)
	}
	// Room for one part only: a two-part SMS is refused whole.
	c := dial(t, s)
	c.cmd("ATE0")
	c.cmd("AT+CMGD=1")
	if _, err := s.Inbound("+8613900000000", strings.Repeat("长", 15)); err != ErrStorageFull {
		t.Fatalf("two parts into one place: %v", err)
	}
	// ME memory and AT+CMGW.
	c.cmd(`AT+CPMS="ME","ME","ME"`)
	pdu, n := submitPDU("+8613800000000", "草稿", false, 0, 0, 0)
	c.write(fmt.Sprintf("AT+CMGW=%d\r", n), false)
	c.expect("> ")
	c.write(pdu+"\x1a", false)
	if got := c.final(); got != "\r\n+CMGW: 1\r\n\r\nOK\r\n" {
		t.Fatalf("AT+CMGW: %q", got)
	}
	if got := c.cmd("AT+CMGL=2"); !strings.Contains(got, "+CMGL: 1,2,,") {
		t.Fatalf("stored unsent: %q", got)
	}
	if got := c.cmd("AT+CMSS=1"); got != "\r\n+CMSS: 1\r\n\r\nOK\r\n" {
		t.Fatalf("AT+CMSS: %q", got)
	}
	if got := c.cmd("AT+CMGL=3"); !strings.Contains(got, "+CMGL: 1,3,,") {
		t.Fatalf("stored sent: %q", got)
	}
	if m := s.Messages(); len(m) != 1 || m[0].Text != "草稿" {
		t.Fatalf("AT+CMSS carried %+v", m)
	}
}

func TestRingAndCLIP(t *testing.T) {
	s := startSim(t, nil)
	c := dial(t, s)
	c.cmd("ATE0")
	c.cmd("AT+CLIP=1")
	s.Ring("+8613900000000", 5)
	c.expect("\r\nRING\r\n+CLIP: \"+8613900000000\",145,,,,0\r\n")
	c.cmd("ATH")
	time.Sleep(2500 * time.Millisecond)
	if got := c.cmd("AT"); got != "\r\nOK\r\n" {
		t.Fatalf("still ringing after ATH: %q", got)
	}
}

func TestRSSINoiseBetweenResponses(t *testing.T) {
	s := startSim(t, func(o *Options) { o.RSSIInterval = 30 * time.Millisecond })
	c := dial(t, s)
	c.expect("^RSSI: 21")
	c.cmd("ATE0;^CURC=0")
	time.Sleep(100 * time.Millisecond)
	c.got = nil
	// Drain whatever was on its way, then none should come.
	c.cmd("AT")
	time.Sleep(150 * time.Millisecond)
	if got := c.cmd("AT"); got != "\r\nOK\r\n" {
		t.Fatalf("^RSSI after AT^CURC=0: %q", got)
	}
}

func TestLinkLifecycle(t *testing.T) {
	dir := t.TempDir()
	link := dir + "/ttyGSM0"
	// A stale link from a crashed run is replaced.
	if err := os.Symlink("/dev/pts/9999", link); err != nil {
		t.Fatal(err)
	}
	s := startSim(t, func(o *Options) { o.Link = link })
	if got, _ := os.Readlink(link); got != s.Device() || !strings.HasPrefix(got, "/dev/pts/") {
		t.Fatalf("link points at %q, device %q", got, s.Device())
	}
	s.Close()
	if _, err := os.Lstat(link); !os.IsNotExist(err) {
		t.Fatalf("link left after Close: %v", err)
	}
	// A file that is not a link is not clobbered.
	if err := os.WriteFile(link, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	o := NewOptions()
	o.Link, o.Codec = link, fakeCodec{}
	s2, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if err := s2.Start(t.Context()); err == nil || !strings.Contains(err.Error(), "not a symbolic link") {
		t.Fatalf("Start over a regular file: %v", err)
	}
	if _, err := New(Options{}); err == nil {
		t.Fatal("New without a codec")
	}
}
