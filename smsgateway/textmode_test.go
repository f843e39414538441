package smsgateway

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"nanhu/hardware/modemsim"
	"nanhu/smsgateway/pdu"
)

// TestModeChoice: the gateway takes PDU mode when the modem does, text
// mode when it refuses PDU mode or the configuration says so, and says
// which in the modem's status and the API. A modem configured for PDU
// mode that has none stays down.
func TestModeChoice(t *testing.T) {
	cases := []struct {
		name     string
		textOnly bool   // the simulated modem refuses AT+CMGF=0
		mode     string // ModemConfig.Mode
		want     string // ModemStatus.Mode; "" for a modem left down
	}{
		{"auto, PDU modem", false, "", ModePDU},
		{"auto, text-only modem", true, "", ModeText},
		{"text configured, PDU modem", false, "TEXT", ModeText},
		{"PDU configured, text-only modem", true, "pdu", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			sim := startSim(t, dir, "ttyGSM0", func(o *modemsim.Options) { o.TextOnly = tc.textOnly })
			mc := simModem(sim, "m1")
			mc.Mode = tc.mode
			g := startGateway(t, testOptions(dir, mc))
			if tc.want == "" {
				waitFor(t, 10*time.Second, "the modem down", func() bool {
					st := g.Modems()[0]
					return st.State == ModemDown && strings.Contains(st.Error, "PDU mode")
				})
				if st := g.Modems()[0]; st.Connects != 0 || st.Mode != "" {
					t.Errorf("modem %+v", st)
				}
				return
			}
			waitUp(t, g, 1)
			if st := g.Modems()[0]; st.Mode != tc.want {
				t.Fatalf("mode %q, want %q", st.Mode, tc.want)
			}
			if st := sim.Status(); st.CMGF != map[string]int{ModePDU: 0, ModeText: 1}[tc.want] {
				t.Errorf("the modem is in AT+CMGF=%d", st.CMGF)
			}
			srv := httptest.NewServer(g.Handler(HandlerOptions{Authorize: func(*http.Request) (string, bool) { return "t", true }}))
			defer srv.Close()
			resp, err := http.Get(srv.URL + "/api/v1/modems")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var list struct{ Modems []ModemStatus }
			if err := json.Unmarshal(body, &list); err != nil || len(list.Modems) != 1 || list.Modems[0].Mode != tc.want ||
				!strings.Contains(string(body), `"mode":"`+tc.want+`"`) {
				t.Errorf("GET /api/v1/modems: %s (%v)", body, err)
			}

			// The same message and the same reply go through either way.
			m, err := g.Send(context.Background(), Request{To: "+8613800000001", Text: "测试短信"})
			if err != nil {
				t.Fatal(err)
			}
			waitState(t, g, m.ID, Delivered)
			carried := sim.Messages()
			if len(carried) != 1 || carried[0].Text != "测试短信" || carried[0].Mode != tc.want || !carried[0].Report {
				t.Errorf("carried %+v", carried)
			}
			if _, err := sim.Inbound("+8613900000001", "收到，谢谢"); err != nil {
				t.Fatal(err)
			}
			var in []InboundMessage
			waitFor(t, 10*time.Second, "the reply stored", func() bool {
				in, _ = g.Inbound(context.Background(), InboundFilter{})
				return len(in) == 1
			})
			if in[0].From != "+8613900000001" || in[0].Text != "收到，谢谢" || !in[0].Complete {
				t.Errorf("stored %+v", in[0])
			}
			waitFor(t, 5*time.Second, "the modem's memory empty", func() bool { return sim.Status().Storage["SM"].Used == 0 })
		})
	}
}

// TestTextModeSend: through a text-only modem, texts of every kind are
// carried with the right text and end delivered by their status reports;
// a text that needs several parts goes as that many separate SMS, each
// tracked and delivered as a part.
func TestTextModeSend(t *testing.T) {
	dir := t.TempDir()
	sim := startSim(t, dir, "ttyGSM0", func(o *modemsim.Options) { o.TextOnly = true })
	g := startGateway(t, testOptions(dir, simModem(sim, "m1")))
	waitUp(t, g, 1)
	ctx := context.Background()
	cases := []struct {
		name, text string
		parts      int
	}{
		{"Chinese", "测试短信", 1},
		{"plain GSM text, typed as it is", "Meeting at 9, room 301.", 1},
		{"GSM text with @, $ and extension characters, typed in UCS2", "Fee: 5$ @ desk {B} [2]\nok", 1},
		{"Chinese in three parts", threePartChinese, 3},
		{"GSM text in two parts", strings.Repeat("Flood drill tomorrow 9am. ", 7), 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sim.ClearMessages()
			m, err := g.Send(ctx, Request{To: "+8613800000001", Text: tc.text})
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Parts) != tc.parts {
				t.Fatalf("%d parts, want %d", len(m.Parts), tc.parts)
			}
			m = waitState(t, g, m.ID, Delivered)
			want, _ := pdu.Split(tc.text, false)
			carried := sim.Messages()
			if len(carried) != tc.parts {
				t.Fatalf("carried %d SMS, want %d: %+v", len(carried), tc.parts, carried)
			}
			refs := map[int]bool{}
			for i, c := range carried {
				// Each part on its own: one SMS, no header, its part's text.
				if c.Text != want[i] || c.Parts != 1 || c.Total != 1 || c.Mode != "text" || !c.Report || c.To != "+8613800000001" {
					t.Errorf("SMS %d carried %+v, want the text %q", i+1, c, want[i])
				}
				refs[c.Ref] = true
			}
			for _, p := range m.Parts {
				if p.State != Delivered || p.Ref == nil || !refs[*p.Ref] || p.Modem != "m1" {
					t.Errorf("part %+v", p)
				}
			}
		})
	}
}

// TestTextModeInbound: SMS arriving at a text-only modem, announced or
// found by the sweep, are stored with the right text and sender and then
// deleted from the modem; a long one is joined from its parts.
func TestTextModeInbound(t *testing.T) {
	dir := t.TempDir()
	sim := startSim(t, dir, "ttyGSM0", func(o *modemsim.Options) { o.TextOnly = true })
	// One waiting before the gateway starts: the sweep finds it.
	if _, err := sim.Inbound("+8613900000009", "早上好"); err != nil {
		t.Fatal(err)
	}
	var hooks collector
	o := testOptions(dir, simModem(sim, "m1"))
	hooks.hook(&o)
	g := startGateway(t, o)
	waitFor(t, 10*time.Second, "the waiting SMS stored", func() bool { return hooks.inboundCount() == 1 })
	cases := []struct {
		name, from, text string
		parts            int
	}{
		{"Chinese", "+8613900000001", "测试短信", 1},
		{"GSM text with a line break and @", "+8613900000002", "OK\n@office 10:30", 1},
		{"Chinese in three parts", "+8613900000003", threePartChinese, 3},
		{"alphanumeric sender", "Nanhu", "通知", 1},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := sim.Inbound(tc.from, tc.text)
			if err != nil || res.Parts != tc.parts {
				t.Fatalf("inbound: %+v %v", res, err)
			}
			waitFor(t, 10*time.Second, "the message stored", func() bool { return hooks.inboundCount() == i+2 })
			hooks.mu.Lock()
			in := hooks.inbound[i+1]
			hooks.mu.Unlock()
			if in.From != tc.from || in.Text != tc.text || in.Parts != tc.parts || !in.Complete || in.Modem != "m1" {
				t.Errorf("stored %+v", in)
			}
			waitFor(t, 5*time.Second, "the modem's memory empty", func() bool { return sim.Status().Storage["SM"].Used == 0 })
		})
	}
	hooks.mu.Lock()
	first := hooks.inbound[0]
	hooks.mu.Unlock()
	if first.From != "+8613900000009" || first.Text != "早上好" {
		t.Errorf("found by the sweep: %+v", first)
	}
	if n := g.Modems()[0].Received; n != 7 {
		t.Errorf("%d SMS read, want 7", n)
	}
}

// TestTextModeInit: what the gateway says to a modem that refuses PDU
// mode, and to one that lacks the UCS2 character set too (then it still
// sends Chinese, whose user data is hex whatever the character set).
func TestTextModeInit(t *testing.T) {
	cases := []struct {
		name    string
		refuse  []string
		want    []string
		charset string
	}{
		{"UCS2", []string{"AT+CMGF=0"}, []string{"AT+CMGF=0", "AT+CMGF=1", `AT+CSCS="UCS2"`, "AT+CSDH=1",
			`AT+CPMS="SM","SM","SM"`, "AT+CNMI=2,1,0,2,0", `AT+CMGL="ALL"`, "AT+CSMP=49,167,0,8",
			`AT+CMGS="002B0038003600310033003800300030003000300030003000300031"`}, "UCS2"},
		{"no UCS2", []string{"AT+CMGF=0", `AT+CSCS="UCS2"`, "AT+CSDH=1"}, []string{"AT+CMGF=1", `AT+CSCS="UCS2"`, `AT+CSCS="GSM"`,
			"AT+CSDH=1", `AT+CMGL="ALL"`, "AT+CSMP=49,167,0,8", `AT+CMGS="+8613800000001"`}, "GSM"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, conn := newFakeModem(t)
			var mu sync.Mutex
			var payloads []string
			f.answer = func(cmd string) (string, bool) {
				mu.Lock()
				defer mu.Unlock()
				for _, r := range tc.refuse {
					if cmd == r {
						return "\r\nERROR\r\n", true
					}
				}
				if strings.HasPrefix(cmd, "PDU:") {
					payloads = append(payloads, strings.TrimPrefix(cmd, "PDU:"))
				}
				return "", false
			}
			o := testOptions(t.TempDir(), ModemConfig{Name: "fake", Path: "fake0"})
			o.Dial = pipeDial(map[string]func() io.ReadWriteCloser{"fake0": once(conn)})
			g := startGateway(t, o)
			waitUp(t, g, 1)
			if st := g.Modems()[0]; st.Mode != ModeText || st.Charset != tc.charset {
				t.Fatalf("status %+v", st)
			}
			m, err := g.Send(context.Background(), Request{To: "+8613800000001", Text: "测试"})
			if err != nil {
				t.Fatal(err)
			}
			waitState(t, g, m.ID, Sent)
			got := f.commands()
			i := 0
			for _, c := range got {
				if i < len(tc.want) && c == tc.want[i] {
					i++
				}
			}
			if i < len(tc.want) {
				t.Errorf("missing %q in order; the modem got %q", tc.want[i], got)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(payloads) != 1 || payloads[0] != "6D4B8BD5" {
				t.Errorf("typed after the prompt: %q, want the UCS2 hex of 测试", payloads)
			}
		})
	}
}

// TestTextModeRoutedReport: a modem in text mode that routes status
// reports (+CDS on one line, AT+CNMI ds=1, when it takes no ds=2) has them
// matched to the part sent, and the message delivered.
func TestTextModeRoutedReport(t *testing.T) {
	f, conn := newFakeModem(t)
	f.answer = func(cmd string) (string, bool) {
		switch cmd {
		case "AT+CMGF=0", "AT+CNMI=2,1,0,2,0", "AT+CNMI=1,1,0,2,0":
			return "\r\n+CMS ERROR: 303\r\n", true
		}
		return "", false
	}
	o := testOptions(t.TempDir(), ModemConfig{Name: "fake", Path: "fake0"})
	o.Dial = pipeDial(map[string]func() io.ReadWriteCloser{"fake0": once(conn)})
	g := startGateway(t, o)
	waitUp(t, g, 1)
	m, err := g.Send(context.Background(), Request{To: "+8613800000001", Text: "测试短信"})
	if err != nil {
		t.Fatal(err)
	}
	m = waitState(t, g, m.ID, Sent)
	if m.Parts[0].Ref == nil {
		t.Fatalf("no message reference: %+v", m.Parts[0])
	}
	f.send(fmt.Sprintf("\r\n+CDS: 6,%d,\"%s\",145,\"26/11/25,10:00:00+32\",\"26/11/25,10:00:05+32\",0\r\n", *m.Parts[0].Ref, toUCS2Hex("+8613800000001")))
	m = waitState(t, g, m.ID, Delivered)
	if p := m.Parts[0]; p.State != Delivered || p.Status == nil || *p.Status != 0 {
		t.Errorf("part %+v", p)
	}
	if !strings.Contains(strings.Join(f.commands(), "|"), "AT+CNMI=2,1,0,1,0") {
		t.Errorf("AT+CNMI with ds=1 not chosen: %q", f.commands())
	}
}
