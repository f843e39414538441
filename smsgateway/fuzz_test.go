package smsgateway

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"nanhu/smsgateway/at"
)

func TestParsers(t *testing.T) {
	if mr, ok := parseCMGS([]string{"+CMGS: 17"}); !ok || mr != 17 {
		t.Errorf("+CMGS: %d %v", mr, ok)
	}
	if mr, ok := parseCMGS([]string{"+CMGS: 5,\"26/11/25,10:00:00+32\""}); !ok || mr != 5 {
		t.Errorf("+CMGS with SCTS: %d %v", mr, ok)
	}
	if _, ok := parseCMGS([]string{"+CMGS: 300"}); ok {
		t.Error("+CMGS: 300 taken")
	}
	if rssi, ok := parseCSQ([]string{"+CSQ: 21,99"}); !ok || rssi != 21 {
		t.Errorf("+CSQ: %d", rssi)
	}
	for line, want := range map[string]int{"+CREG: 0,1": 1, "+CREG: 2,5,\"1A2B\",\"00C3\"": 5, "+creg: 0,2": 2} {
		if st, ok := parseCREG([]string{line}); !ok || st != want {
			t.Errorf("%s: %d %v", line, st, ok)
		}
	}
	if st, _ := parseCPIN([]string{"+CPIN: SIM PIN"}); st != "SIM PIN" {
		t.Errorf("+CPIN: %q", st)
	}
	if op := parseCOPS([]string{`+COPS: 0,0,"CHINA MOBILE",2`}); op != "CHINA MOBILE" {
		t.Errorf("+COPS: %q", op)
	}
	list := parseCMGL([]string{
		"+CMGL: 1,0,,24", "0891683108100005F0040D91683109000000F0000852112181214323044F60597D",
		"+CMGL: 2,1,,10", // PDU line missing: the next entry follows at once
		"+CMGL: 3,1,\"alpha, with comma\",24", "0891683108100005F0040D91683109000000F0000852112181214323044F60597D",
		"garbage",
	})
	if len(list) != 2 || list[0].Index != 1 || list[0].Stat != 0 || list[1].Index != 3 || list[1].Stat != 1 {
		t.Errorf("+CMGL: %+v", list)
	}
	if s, ok := parseCMGR(4, []string{"+CMGR: 1,,24", "0891683108100005F0040D91683109000000F0000852112181214323044F60597D"}); !ok || s.Index != 4 || s.Stat != 1 {
		t.Errorf("+CMGR: %+v %v", s, ok)
	}
	if _, ok := parseCMGR(4, nil); ok {
		t.Error("empty +CMGR taken")
	}
	if mem, idx, ok := parseIndication(at.URC{Args: `"SM",3`}.Params()); !ok || mem != "SM" || idx != 3 {
		t.Errorf("+CMTI: %s %d %v", mem, idx, ok)
	}
}

// FuzzResponses feeds the response readers whatever a confused modem may
// say: they must not panic, and what they return must be in range.
func FuzzResponses(f *testing.F) {
	for _, s := range []string{
		"+CMGS: 17", "+CSQ: 21,99", "+CREG: 0,1", "+CPIN: READY", `+COPS: 0,0,"CHINA MOBILE"`,
		"+CMGL: 1,0,,24\n0891683108100005F0040D91683109000000F0000852112181214323044F60597D",
		"+CMGR: 1,,24\n0891683108100005F0040D91683109000000F0000852112181214323044F60597D",
		`"SM",3`, "+CMGL: ,,,\n\n", ",24\n0891683108100005F0040D91683109000000F0000852112181214323044F60597D", "\nAB", "+CSQ: -1,", "+CMGS: \"", "+CREG: 0,\"1\"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lines := strings.Split(s, "\n")
		if mr, ok := parseCMGS(lines); ok && (mr < 0 || mr > 255) {
			t.Errorf("message reference %d", mr)
		}
		if rssi, ok := parseCSQ(lines); ok && (rssi < 0 || rssi > 31 && rssi != 99) {
			t.Errorf("rssi %d", rssi)
		}
		if st, ok := parseCREG(lines); ok && (st < 0 || st > 10) {
			t.Errorf("registration %d", st)
		}
		parseCPIN(lines)
		parseCOPS(lines)
		for _, e := range parseCMGL(lines) {
			if e.Index < 0 || !isHex(e.PDU) {
				t.Errorf("listed %+v", e)
			}
		}
		if e, ok := parseCMGR(1, lines); ok && !isHex(e.PDU) {
			t.Errorf("read %+v", e)
		}
		if mem, idx, ok := parseIndication(at.URC{Args: s}.Params()); ok && (idx < 0 || mem == "") {
			t.Errorf("indication %q %d", mem, idx)
		}
		args, payload, _ := strings.Cut(s, "\n")
		if p, ok := routedPDU(at.URC{Code: "+CMT", Args: args, Payload: payload}); ok && !isHex(p) {
			t.Errorf("routed PDU %q", p)
		}
	})
}

// FuzzSendBody posts arbitrary bodies to the API: every answer is JSON
// with a status the API documents, and what it accepted is a message the
// gateway could send.
func FuzzSendBody(f *testing.F) {
	for _, s := range []string{
		`{"to":"+8613800000001","text":"测试短信"}`,
		`{"to":"+8613800000001","text":"测试短信","idempotency_key":"a"}`,
		`{"to":"+8613800000001","text":"x","key":"a"}`,
		`{"to":"13800000001","text":"x"}`,
		`{"to":"+8613800000001","text":"","status_report":false,"validity_seconds":3600}`,
		`{"to":"+8613800000001","text":"\u0000"}`,
		`[]`, `{"to":1}`, `nul`,
	} {
		f.Add(s)
	}
	g, err := New(context.Background(), testOptions(f.TempDir()))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { g.Close() })
	h := g.Handler(HandlerOptions{Authorize: func(*http.Request) (string, bool) { return "fuzz", true }})
	f.Fuzz(func(t *testing.T, body string) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("POST", "/api/v1/sms", strings.NewReader(body)))
		switch w.Code {
		case 200, 202:
			var m Message
			if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
				t.Fatalf("%d with %q: %v", w.Code, w.Body, err)
			}
			if !e164.MatchString(m.To) || m.Text == "" || len(m.Parts) < 1 || len(m.Parts) > g.opts.MaxParts {
				t.Errorf("accepted %+v", m)
			}
		case 400, 409, 413:
			var e struct{ Error string }
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" {
				t.Errorf("%d without a JSON error: %q", w.Code, w.Body)
			}
		default:
			t.Errorf("status %d: %s", w.Code, w.Body)
		}
	})
}
