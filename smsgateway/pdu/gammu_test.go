package pdu

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// The cross-check runs Debian's python3-gammu, an independent codec, on
// both sides: it decodes the PDUs this package encodes, and it encodes
// messages this package decodes. It needs Debian's /usr/bin/python3 (the
// package does not install for other interpreters on PATH).

const systemPython = "/usr/bin/python3"

const gammuScript = `
import datetime, json, sys
import gammu

def plain(o):
    if isinstance(o, dict):
        return {k: plain(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [plain(v) for v in o]
    if isinstance(o, bytes):
        return o.hex().upper()
    if isinstance(o, datetime.datetime):
        return [o.year, o.month, o.day, o.hour, o.minute, o.second]
    return o

def decode(h):
    try:
        return plain(gammu.DecodePDU(bytes.fromhex(h)))
    except Exception as e:
        return {"error": str(e)}

def encode(m):
    smss = gammu.EncodeSMS({"Class": -1, "Unicode": m["unicode"],
                            "Entries": [{"ID": m["id"], "Buffer": m["text"]}]})
    out = []
    for s in smss:
        s["Number"] = m["number"]
        s["SMSC"] = {"Location": 0, "Number": m["smsc"], "Validity": "NA", "Format": "Text"}
        layout = "Submit"
        if m["deliver"]:
            layout = "Deliver"
            s.update({"Folder": 1, "InboxFolder": 1, "Memory": "SM", "Location": 0, "Name": "",
                      "Type": "Deliver", "DateTime": datetime.datetime(*m["time"]),
                      "SMSCDateTime": datetime.datetime(*m["time"]), "DeliveryStatus": 0,
                      "ReplyViaSameSMSC": 0, "State": "UnRead", "MessageReference": 0,
                      "ReplaceMessage": 0, "RejectDuplicates": 0})
        out.append(gammu.EncodePDU(s, layout).hex().upper())
    return out

req = json.load(sys.stdin)
json.dump({"decoded": [decode(h) for h in req["decode"]],
           "encoded": [encode(m) for m in req["encode"]]}, sys.stdout)
`

var gammuCheck = sync.OnceValue(func() error {
	return exec.Command(systemPython, "-c", "import gammu").Run()
})

// needGammu skips without python3-gammu, except in CI, where it must be
// there (.ci/run installs it).
func needGammu(t *testing.T) {
	t.Helper()
	if err := gammuCheck(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but %s cannot import gammu (apt-get install python3-gammu): %v", systemPython, err)
		}
		t.Skipf("%s cannot import gammu (apt-get install python3-gammu): %v", systemPython, err)
	}
}

type gammuSMS struct {
	Error    string `json:"error"`
	Type     string
	Number   string
	Text     string
	Coding   string
	DateTime []int
	SMSCTime []int `json:"SMSCDateTime"`
	MR       int   `json:"MessageReference"`
	Status   int   `json:"DeliveryStatus"`
	SMSC     struct{ Number, Validity string }
	UDH      struct {
		Type                                  string
		ID8bit, ID16bit, PartNumber, AllParts int
	}
}

type gammuEncode struct {
	Text    string `json:"text"`
	Unicode bool   `json:"unicode"`
	ID      string `json:"id"`
	Number  string `json:"number"`
	SMSC    string `json:"smsc"`
	Deliver bool   `json:"deliver"`
	Time    []int  `json:"time"`
}

func runGammu(t *testing.T, decode []string, encode []gammuEncode) ([]gammuSMS, [][]string) {
	t.Helper()
	if decode == nil {
		decode = []string{}
	}
	if encode == nil {
		encode = []gammuEncode{}
	}
	in, err := json.Marshal(map[string]any{"decode": decode, "encode": encode})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(systemPython, "-c", gammuScript)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3-gammu: %v\n%s", err, stderr.String())
	}
	var res struct {
		Decoded []gammuSMS
		Encoded [][]string
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("python3-gammu output: %v\n%s", err, out)
	}
	return res.Decoded, res.Encoded
}

// gammuText compares texts. python-gammu sizes a decoded GSM 7-bit text
// by TP-UDL septets, so when escape pairs make the text shorter it shows
// stray characters after the real end; those are ignored.
func gammuText(got, want string) bool {
	if got == want {
		return true
	}
	hasExt := false
	for _, r := range want {
		hasExt = hasExt || gsm7Len(r) == 2
	}
	return hasExt && strings.HasPrefix(got, want) && isGSM7(want)
}

// Years: python-gammu reads two-digit years from 90 as 1990 + yy (99 is
// 2089), so years are compared modulo 90.
func gammuTime(g []int, want time.Time) bool {
	return len(g) == 6 && g[0]%90 == want.Year()%90 && g[1] == int(want.Month()) && g[2] == want.Day() &&
		g[3] == want.Hour() && g[4] == want.Minute() && g[5] == want.Second()
}

func TestGammuDecodesOurs(t *testing.T) {
	needGammu(t)
	type check struct {
		name     string
		hex      string
		typ      string
		number   string
		smsc     string
		coding   string
		text     string
		concat   *Concat
		validity string
		ts, dt   time.Time
		mr       int
		status   int
	}
	var checks []check
	submit := func(name, to, text string, o SubmitOptions, coding, validity string) {
		pdus, err := EncodeSubmit(to, text, o)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		parts, _ := Split(text, o.ForceUCS2)
		if o.Ref16 {
			parts, _ = splitText(text, o.ForceUCS2, 0, concatIE16)
		}
		for i, p := range pdus {
			c := check{name: name, hex: p.Hex, typ: "Submit", number: to, smsc: o.SMSC, coding: coding, text: parts[i], validity: validity}
			if len(pdus) > 1 {
				c.concat = &Concat{Ref: o.ConcatRef, Total: len(pdus), Seq: i + 1, Ref16: o.Ref16}
			}
			checks = append(checks, c)
		}
	}
	const gsm, ucs = "Default_No_Compression", "Unicode_No_Compression"
	submit("GSM7 alphabet", "+8613800000000", "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCXYZÄÖÑÜ§¿abcxyzäöñüà", SubmitOptions{}, gsm, "")
	submit("extension", "+8613800000000", "Hello world {[]} ~^\\|€", SubmitOptions{SMSC: "+8613800100500", StatusReport: true}, gsm, "")
	submit("UCS2", "+8613800000000", "测试短信：您有一份待办公文《关于做好2026年防汛工作的通知》", SubmitOptions{Validity: 2 * time.Hour}, ucs, "120M")
	submit("surrogates", "13800000000", "𠀀 and 😀 and 𪚥", SubmitOptions{Validity: 3 * 24 * time.Hour}, ucs, "3D")
	submit("concat 8-bit GSM7", "+8613800000000", strings.Repeat("Reminder: the budget meeting is at 15:00 in room 301. ", 7), SubmitOptions{ConcatRef: 0xA5}, gsm, "")
	submit("concat 16-bit GSM7", "+8613800000000", strings.Repeat("{escape} pairs at € the boundary ", 12), SubmitOptions{ConcatRef: 0xBEEF, Ref16: true}, gsm, "")
	submit("concat 8-bit UCS2", "+8613800000000", strings.Repeat("南湖区人民政府办公室关于召开全区安全生产工作会议的通知。", 6), SubmitOptions{ConcatRef: 3, SMSC: "+8613800571500"}, ucs, "")
	submit("concat 16-bit UCS2 surrogates", "+8613800000000", strings.Repeat("会议😀𠀀", 40), SubmitOptions{ConcatRef: 0x0102, Ref16: true}, ucs, "")

	ts := time.Date(2026, 11, 25, 17, 4, 5, 0, time.FixedZone("", 8*3600))
	deliver := func(name string, d Deliver, coding string) {
		pdus, err := EncodeDeliver(d)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, p := range pdus {
			got, err := DecodeDeliver(p.Hex)
			if err != nil {
				t.Fatal(err)
			}
			c := check{name: name, hex: p.Hex, typ: "Deliver", number: d.From, smsc: d.SMSC, coding: coding, text: got.Text, ts: d.Timestamp}
			if len(pdus) > 1 {
				c.concat = got.Concat
			}
			checks = append(checks, c)
		}
	}
	deliver("deliver GSM7", Deliver{From: "+8613900000000", SMSC: "+8613800571500", Timestamp: ts, Text: "DONE 1024 ok"}, gsm)
	deliver("deliver UCS2", Deliver{From: "+8613900000000", Timestamp: ts, Text: "同意，请办理。😀"}, ucs)
	deliver("deliver alphanumeric", Deliver{From: "NanhuGov", Timestamp: ts, Text: "Your code is 4711"}, gsm)
	deliver("deliver 1999 west", Deliver{From: "10086", Timestamp: time.Date(1999, 12, 31, 23, 59, 58, 0, time.FixedZone("", -(3*3600+30*60))), Text: "Y2K"}, gsm)
	deliver("deliver concat", Deliver{From: "+8613900000000", Timestamp: ts, Text: strings.Repeat("收到，马上处理。", 12), Concat: &Concat{Ref: 0x77}}, ucs)

	for _, r := range []StatusReport{
		{MessageRef: 17, Recipient: "+8613800000000", SCTS: ts, Discharge: ts.Add(4 * time.Second), Status: 0x00},
		{MessageRef: 200, Recipient: "13800000000", SMSC: "+8613800571500", SCTS: ts, Discharge: ts.Add(time.Hour), Status: 0x41, PI: 0x07},
	} {
		p, err := EncodeStatusReport(r)
		if err != nil {
			t.Fatal(err)
		}
		checks = append(checks, check{name: "report", hex: p.Hex, typ: "Status_Report", number: r.Recipient, smsc: r.SMSC, ts: r.SCTS, dt: r.Discharge, mr: int(r.MessageRef), status: int(r.Status)})
	}

	hexes := make([]string, len(checks))
	for i, c := range checks {
		hexes[i] = c.hex
	}
	decoded, _ := runGammu(t, hexes, nil)
	if len(decoded) != len(checks) {
		t.Fatalf("gammu decoded %d of %d", len(decoded), len(checks))
	}
	for i, c := range checks {
		g := decoded[i]
		if g.Error != "" {
			t.Errorf("%s: gammu: %s\n%s", c.name, g.Error, c.hex)
			continue
		}
		if g.Type != c.typ || g.Number != c.number || g.SMSC.Number != c.smsc {
			t.Errorf("%s: gammu type %q number %q smsc %q", c.name, g.Type, g.Number, g.SMSC.Number)
		}
		if c.typ == "Status_Report" {
			// python-gammu puts TP-SCTS in DateTime and TP-DT in SMSCDateTime.
			if g.MR != c.mr || g.Status != c.status || !gammuTime(g.DateTime, c.ts) || !gammuTime(g.SMSCTime, c.dt) {
				t.Errorf("%s: gammu MR %d status %d times %v %v", c.name, g.MR, g.Status, g.DateTime, g.SMSCTime)
			}
			continue
		}
		if g.Coding != c.coding || !gammuText(g.Text, c.text) {
			t.Errorf("%s: gammu %s %q, want %s %q", c.name, g.Coding, g.Text, c.coding, c.text)
		}
		if c.validity != "" && g.SMSC.Validity != c.validity {
			t.Errorf("%s: gammu validity %q, want %q", c.name, g.SMSC.Validity, c.validity)
		}
		if c.typ == "Deliver" && !gammuTime(g.DateTime, c.ts) {
			t.Errorf("%s: gammu time %v, want %v", c.name, g.DateTime, c.ts)
		}
		switch {
		case c.concat == nil:
			if g.UDH.Type != "NoUDH" {
				t.Errorf("%s: gammu UDH %+v", c.name, g.UDH)
			}
		case c.concat.Ref16:
			if g.UDH.Type != "ConcatenatedMessages16bit" || g.UDH.ID16bit != int(c.concat.Ref) || g.UDH.PartNumber != c.concat.Seq || g.UDH.AllParts != c.concat.Total {
				t.Errorf("%s: gammu UDH %+v, want %+v", c.name, g.UDH, c.concat)
			}
		default:
			if g.UDH.Type != "ConcatenatedMessages" || g.UDH.ID8bit != int(c.concat.Ref) || g.UDH.PartNumber != c.concat.Seq || g.UDH.AllParts != c.concat.Total {
				t.Errorf("%s: gammu UDH %+v, want %+v", c.name, g.UDH, c.concat)
			}
		}
	}
}

// The vectors of research/sms.md decode the same here and in python-gammu.
func TestGammuDecodesVectors(t *testing.T) {
	needGammu(t)
	vecs := []string{vecDeliver7, vecSubmitExt, vecSubmitUCS2, vecDeliverUCS2, vecConcat2Fixed, vecAlpha, vecReport, vecReportPI}
	decoded, _ := runGammu(t, append(vecs, vecConcat2), nil)
	for i, h := range vecs {
		g := decoded[i]
		v, err := DecodeMT(h)
		if err != nil {
			t.Fatal(err)
		}
		var number, text string
		switch m := v.(type) {
		case Deliver:
			number, text = m.From, m.Text
		case Submit:
			number, text = m.To, m.Text
		case StatusReport:
			number, text = m.Recipient, g.Text
		}
		if number == "O2" {
			// python-gammu shows all three septets of the 6 semi-octets;
			// the third is the filler 0x11.
			number = "O2\x11"
		}
		if g.Error != "" || g.Number != number || !gammuText(g.Text, text) {
			t.Errorf("vector %d: gammu %q %q %s, ours %q %q", i, g.Number, g.Text, g.Error, number, text)
		}
	}
	if g := decoded[len(vecs)]; g.Error == "" {
		t.Errorf("gammu decoded the truncated capture: %+v", g)
	}
}

func TestWeDecodeGammus(t *testing.T) {
	needGammu(t)
	msgs := []gammuEncode{
		{Text: "hello from gammu", ID: "Text", Number: "+8613800000000", SMSC: "+8613800100500"},
		{Text: "测试", Unicode: true, ID: "Text", Number: "+8613800000000", SMSC: ""},
		{Text: strings.Repeat("测试短信😀", 30), Unicode: true, ID: "ConcatenatedTextLong", Number: "+8613800000000", SMSC: "+8613800100500"},
		{Text: strings.Repeat("Hello {world} € ", 12), ID: "ConcatenatedTextLong16bit", Number: "13800000000", SMSC: ""},
		{Text: strings.Repeat("区长批示：同意。", 20), Unicode: true, ID: "ConcatenatedTextLong", Number: "+8613900000000", SMSC: "+8613800100500", Deliver: true, Time: []int{2026, 3, 1, 9, 30, 0}},
		{Text: "DONE 42", ID: "Text", Number: "+8613900000000", SMSC: "", Deliver: true, Time: []int{2026, 3, 1, 9, 30, 0}},
	}
	_, encoded := runGammu(t, nil, msgs)
	if len(encoded) != len(msgs) {
		t.Fatalf("gammu encoded %d of %d", len(encoded), len(msgs))
	}
	for i, m := range msgs {
		var sb strings.Builder
		r := NewReassembler()
		for _, h := range encoded[i] {
			if m.Deliver {
				d, err := DecodeDeliver(h)
				if err != nil {
					t.Fatalf("%d: %v\n%s", i, err, h)
				}
				if d.From != m.Number || d.SMSC != m.SMSC || d.Timestamp.Year() != m.Time[0] || d.Timestamp.Minute() != m.Time[4] {
					t.Errorf("%d: from %q smsc %q time %v", i, d.From, d.SMSC, d.Timestamp)
				}
				if msg, ok := r.Add(d); ok {
					sb.WriteString(msg.Text)
				}
				continue
			}
			s, err := DecodeSubmit(h)
			if err != nil {
				t.Fatalf("%d: %v\n%s", i, err, h)
			}
			if s.To != m.Number || s.SMSC != m.SMSC {
				t.Errorf("%d: to %q smsc %q", i, s.To, s.SMSC)
			}
			if len(encoded[i]) > 1 && (s.Concat == nil || s.Concat.Total != len(encoded[i]) || s.Concat.Ref16 != strings.HasSuffix(m.ID, "16bit")) {
				t.Errorf("%d: concat %+v", i, s.Concat)
			}
			sb.WriteString(s.Text)
		}
		if sb.String() != m.Text {
			t.Errorf("%d: decoded %q, want %q", i, sb.String(), m.Text)
		}
	}
}
