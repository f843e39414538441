package modemsim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func call(t *testing.T, srv *httptest.Server, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestControlAPI(t *testing.T) {
	s := startSim(t, nil)
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	c := dial(t, s)
	c.cmd("ATE0;+CNMI=2,1,0,0,0")

	// An SMS sent on the line shows in /messages.
	pdu, n := submitPDU("+8613800000000", "测试短信", true, 0, 0, 0)
	sendPDU(t, c, pdu, n)
	code, body := call(t, srv, "GET", "/messages", "")
	var msgs []map[string]any
	if err := json.Unmarshal([]byte(body), &msgs); code != 200 || err != nil || len(msgs) != 1 {
		t.Fatalf("GET /messages: %d %s %v", code, body, err)
	}
	m := msgs[0]
	for _, k := range []string{"to", "text", "parts", "pdus", "at", "ref"} {
		if _, ok := m[k]; !ok {
			t.Errorf("message lacks %q: %s", k, body)
		}
	}
	if m["text"] != "测试短信" || m["to"] != "+8613800000000" || m["ref"] != 1.0 || m["parts"] != 1.0 {
		t.Fatalf("message: %s", body)
	}

	// An SMS arrives.
	code, body = call(t, srv, "POST", "/inbound", `{"from":"+8613900000000","text":"同意"}`)
	if code != 200 || !strings.Contains(body, `"indexes":[1]`) || !strings.Contains(body, `"storage":"SM"`) {
		t.Fatalf("POST /inbound: %d %s", code, body)
	}
	c.expect(`+CMTI: "SM",1`)
	for _, bad := range []string{`{"from":"","text":"x"}`, `{"from":"+86","text":""}`, `not json`, `{"sender":"+86"}`} {
		if code, body := call(t, srv, "POST", "/inbound", bad); code != 400 {
			t.Errorf("POST /inbound %s: %d %s", bad, code, body)
		}
	}

	// Faults.
	if code, body := call(t, srv, "POST", "/faults", `{"kind":"meteor"}`); code != 400 || !strings.Contains(body, "storage-full") {
		t.Fatalf("unknown fault: %d %s", code, body)
	}
	if code, body := call(t, srv, "POST", "/faults", `{"kind":"slow-send","for":"soon"}`); code != 400 {
		t.Fatalf("bad duration: %d %s", code, body)
	}
	for _, k := range []string{"storage-full", "no-network"} {
		if code, body := call(t, srv, "POST", "/faults", fmt.Sprintf(`{"kind":%q}`, k)); code != 204 {
			t.Fatalf("POST /faults %s: %d %s", k, code, body)
		}
	}
	if code, body := call(t, srv, "GET", "/faults", ""); code != 200 || !strings.Contains(body, `"kind":"no-network"`) || !strings.Contains(body, `"kind":"storage-full"`) {
		t.Fatalf("GET /faults: %d %s", code, body)
	}
	if code, body := call(t, srv, "POST", "/inbound", `{"from":"+8613900000000","text":"x"}`); code != 503 {
		t.Fatalf("inbound without network: %d %s", code, body)
	}
	call(t, srv, "DELETE", "/faults", "")
	call(t, srv, "POST", "/faults", `{"kind":"storage-full"}`)
	if code, body := call(t, srv, "POST", "/inbound", `{"from":"+8613900000000","text":"x"}`); code != 507 {
		t.Fatalf("inbound into full memory: %d %s", code, body)
	}
	if code, _ := call(t, srv, "DELETE", "/faults", ""); code != 204 {
		t.Fatalf("DELETE /faults: %d", code)
	}
	if code, body := call(t, srv, "GET", "/faults", ""); code != 200 || strings.TrimSpace(body) != "[]" {
		t.Fatalf("GET /faults after DELETE: %d %s", code, body)
	}

	if code, body := call(t, srv, "GET", "/status", ""); code != 200 || !strings.Contains(body, `"SM":{"used":1,"total":30}`) {
		t.Fatalf("GET /status: %d %s", code, body)
	}
	if code, _ := call(t, srv, "POST", "/ring", `{"from":"+8613900000000","count":1}`); code != 204 {
		t.Fatalf("POST /ring: %d", code)
	}
	c.expect("RING")
	if code, _ := call(t, srv, "DELETE", "/messages", ""); code != 204 || len(s.Messages()) != 0 {
		t.Fatal("DELETE /messages")
	}
}
