package smsgateway

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func basicAuth(r *http.Request) (string, bool) {
	u, p, ok := r.BasicAuth()
	return u, ok && u == "zhang" && p == "secret"
}

type httpClient struct {
	t    *testing.T
	base string
}

// do sends a request and decodes the JSON answer into out (when not nil).
func (c httpClient) do(method, path, body string, auth bool, out any) (int, http.Header) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if auth {
		req.SetBasicAuth("zhang", "secret")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusMethodNotAllowed && !strings.HasPrefix(ct, "application/json") {
		c.t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
	return resp.StatusCode, resp.Header
}

func TestHTTPAPI(t *testing.T) {
	dir := t.TempDir()
	sim := startSim(t, dir, "ttyGSM0", nil)
	reg := prometheus.NewRegistry()
	o := testOptions(dir, simModem(sim, "m1"))
	o.Registerer = reg
	g := startGateway(t, o)
	srv := httptest.NewServer(g.Handler(HandlerOptions{Authorize: basicAuth, MaxBody: 4096}))
	defer srv.Close()
	c := httpClient{t, srv.URL}
	waitUp(t, g, 1)

	// Refusals.
	var e struct{ Error string }
	refusals := []struct {
		name, method, path, body string
		auth                     bool
		status                   int
		errHas                   string
	}{
		{"no credentials", "POST", "/api/v1/sms", `{"to":"+8613800000001","text":"x"}`, false, 401, "authentication"},
		{"no credentials, GET", "GET", "/api/v1/sms/1", "", false, 401, "authentication"},
		{"national number", "POST", "/api/v1/sms", `{"to":"13800000001","text":"测试"}`, true, 400, "E.164"},
		{"empty text", "POST", "/api/v1/sms", `{"to":"+8613800000001","text":""}`, true, 400, "empty"},
		{"too long", "POST", "/api/v1/sms", `{"to":"+8613800000001","text":"` + strings.Repeat("长", 1100) + `"}`, true, 400, "17 SMS parts"},
		{"body too large", "POST", "/api/v1/sms", `{"to":"+8613800000001","text":"` + strings.Repeat("长", 1400) + `"}`, true, 413, "larger"},
		{"not JSON", "POST", "/api/v1/sms", `to=+8613800000001`, true, 400, "JSON"},
		{"unknown field", "POST", "/api/v1/sms", `{"to":"+8613800000001","text":"x","from":"y"}`, true, 400, "unknown field"},
		{"two values", "POST", "/api/v1/sms", `{"to":"+8613800000001","text":"x"}{}`, true, 400, "more than one"},
		{"bad validity", "POST", "/api/v1/sms", `{"to":"+8613800000001","text":"x","validity_seconds":60}`, true, 400, "validity"},
		{"bad id", "GET", "/api/v1/sms/abc", "", true, 400, "id"},
		{"no such id", "GET", "/api/v1/sms/999", "", true, 404, "999"},
		{"bad state", "GET", "/api/v1/sms?state=lost", "", true, 400, "state"},
		{"bad limit", "GET", "/api/v1/sms?limit=-1", "", true, 400, "limit"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			e.Error = ""
			status, _ := c.do(tc.method, tc.path, tc.body, tc.auth, &e)
			if status != tc.status || !strings.Contains(e.Error, tc.errHas) {
				t.Errorf("%d %q, want %d naming %q", status, e.Error, tc.status, tc.errHas)
			}
		})
	}
	if status, _ := c.do("PUT", "/api/v1/sms", "", true, nil); status != http.StatusMethodNotAllowed {
		t.Errorf("PUT: %d", status)
	}
	closed := httptest.NewServer(g.Handler(HandlerOptions{}))
	defer closed.Close()
	if status, _ := (httpClient{t, closed.URL}).do("GET", "/api/v1/modems", "", true, &e); status != 401 {
		t.Errorf("handler without Authorize answered %d", status)
	}

	// A message sent, repeated, followed to delivery.
	var m Message
	status, hdr := c.do("POST", "/api/v1/sms", `{"to":"+8613800000001","text":"测试短信","idempotency_key":"k1"}`, true, &m)
	if status != http.StatusAccepted || m.ID == 0 || m.State != Queued || len(m.Parts) != 1 || m.RequestedBy != "zhang" {
		t.Fatalf("POST: %d %+v", status, m)
	}
	if hdr.Get("Location") == "" {
		t.Errorf("no Location")
	}
	var again Message
	status, hdr = c.do("POST", "/api/v1/sms", `{"to":"+8613800000001","text":"测试短信","key":"k1"}`, true, &again)
	if status != http.StatusOK || again.ID != m.ID || hdr.Get("Idempotent-Replayed") != "true" {
		t.Errorf("repeated POST: %d id %d", status, again.ID)
	}
	status, _ = c.do("POST", "/api/v1/sms", `{"to":"+8613800000001","text":"别的"}`+"\n", true, nil)
	if status != http.StatusAccepted {
		t.Errorf("second message: %d", status)
	}
	if status, _ = c.do("POST", "/api/v1/sms", `{"to":"+8613800000002","text":"测试短信","key":"k1"}`, true, &e); status != http.StatusConflict {
		t.Errorf("key reused: %d %s", status, e.Error)
	}
	deadline := time.Now().Add(10 * time.Second)
	for m.State != Delivered && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		c.do("GET", "/api/v1/sms/"+itoa(m.ID), "", true, &m)
	}
	if m.State != Delivered || m.Parts[0].State != Delivered || m.Parts[0].Ref == nil || m.Modem != "m1" {
		t.Fatalf("GET: %+v", m)
	}
	var list struct {
		Messages   []Message `json:"messages"`
		NextBefore int64     `json:"next_before"`
	}
	c.do("GET", "/api/v1/sms?state=delivered&to=+8613800000001", "", true, &list)
	if len(list.Messages) < 1 || list.Messages[len(list.Messages)-1].ID != m.ID {
		t.Errorf("list delivered: %+v", list)
	}
	c.do("GET", "/api/v1/sms?limit=1", "", true, &list)
	if len(list.Messages) != 1 || list.NextBefore != list.Messages[0].ID {
		t.Errorf("paged list: %+v", list)
	}

	// Inbound and modems.
	if _, err := sim.Inbound("+8613900000001", "同意，谢谢"); err != nil {
		t.Fatal(err)
	}
	var in struct{ Messages []InboundMessage }
	deadline = time.Now().Add(10 * time.Second)
	for len(in.Messages) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		c.do("GET", "/api/v1/sms/inbound?from=%2B8613900000001", "", true, &in)
	}
	if len(in.Messages) != 1 || in.Messages[0].Text != "同意，谢谢" {
		t.Errorf("inbound: %+v", in)
	}
	var modems struct{ Modems []ModemStatus }
	c.do("GET", "/api/v1/modems", "", true, &modems)
	if len(modems.Modems) != 1 || modems.Modems[0].State != ModemUp || modems.Modems[0].Operator != "CHINA MOBILE" ||
		modems.Modems[0].PartsSent < 2 || modems.Modems[0].SignalDBm == 0 || !registered(modems.Modems[0].Registration) {
		t.Errorf("modems: %+v", modems)
	}

	// Metrics.
	waitFor(t, 5*time.Second, "both delivered", func() bool {
		ms, _ := g.List(t.Context(), Filter{State: Delivered})
		return len(ms) == 2
	})
	want := `
# HELP nanhu_sms_messages Outbound SMS in sms.db, by state.
# TYPE nanhu_sms_messages gauge
nanhu_sms_messages{state="delivered"} 2
nanhu_sms_messages{state="failed"} 0
nanhu_sms_messages{state="queued"} 0
nanhu_sms_messages{state="sending"} 0
nanhu_sms_messages{state="sent"} 0
# HELP nanhu_sms_modem_up 1 when the modem is registered and taking messages.
# TYPE nanhu_sms_modem_up gauge
nanhu_sms_modem_up{modem="m1"} 1
# HELP nanhu_sms_parts_sent_total SMS parts the network accepted (+CMGS), by modem.
# TYPE nanhu_sms_parts_sent_total counter
nanhu_sms_parts_sent_total{modem="m1"} 2
# HELP nanhu_sms_inbound_messages_total Received SMS stored, parts joined, by modem.
# TYPE nanhu_sms_inbound_messages_total counter
nanhu_sms_inbound_messages_total{modem="m1"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "nanhu_sms_messages", "nanhu_sms_modem_up",
		"nanhu_sms_parts_sent_total", "nanhu_sms_inbound_messages_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(reg, "nanhu_sms_part_send_seconds"); n != 1 {
		t.Errorf("part send histogram: %d series", n)
	}
}

func itoa(v int64) string {
	b, _ := json.Marshal(v)
	return string(b)
}
