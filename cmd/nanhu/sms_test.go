package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"nanhu/oa/org"
)

// TestSMSThroughTheAPI is the newcomer's path: nanhu serve with no modem
// runs a simulated one; an administrator sends 测试短信 through the API; the
// simulated network carries it with that text, and the status report makes
// it delivered. The forbidden paths are tried too.
func TestSMSThroughTheAPI(t *testing.T) {
	ts := startTestServer(t, nil)
	if _, err := ts.org.AddUser(context.Background(), org.NewUser{Login: "operator", Name: "值班员", Password: "Secret-2004", Roles: []string{"admin"}}); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	call := func(method, url, user, body, ctype string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		if user != "" {
			pw := "Secret-2004"
			if strings.Contains(user, ":") {
				user, pw, _ = strings.Cut(user, ":")
			}
			req.SetBasicAuth(user, pw)
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	base := "https://" + ts.addr("https")
	send := `{"to":"+8613900000001","text":"测试短信","idempotency_key":"newcomer-1"}`
	for _, tt := range []struct {
		name, method, url, user, body, ctype string
		want                                 int
	}{
		{"no login", "POST", base + "/api/v1/sms", "", send, "application/json", 401},
		{"wrong password", "POST", base + "/api/v1/sms", "operator:wrong-password", send, "application/json", 401},
		{"not allowed to send", "POST", base + "/api/v1/sms", "lina", send, "application/json", 403},
		{"form post (CSRF)", "POST", base + "/api/v1/sms", "operator", "to=%2B86139&text=x", "application/x-www-form-urlencoded", 415},
		{"simulator for non-admins", "GET", base + "/sim/messages", "lina", "", "", 403},
		{"bad number", "POST", base + "/api/v1/sms", "operator", `{"to":"12345","text":"x"}`, "application/json", 400},
	} {
		if code, body := call(tt.method, tt.url, tt.user, tt.body, tt.ctype); code != tt.want {
			t.Errorf("%s: %d %s, want %d", tt.name, code, body, tt.want)
		}
	}
	code, body := call("POST", base+"/api/v1/sms", "operator", send, "application/json")
	if code != http.StatusAccepted {
		t.Fatalf("send: %d %s", code, body)
	}
	var msg struct {
		ID    int64  `json:"id"`
		State string `json:"state"`
	}
	json.Unmarshal([]byte(body), &msg)
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, carried := call("GET", base+"/sim/messages", "operator", "", "")
		_, got := call("GET", fmt.Sprintf("%s/api/v1/sms/%d", base, msg.ID), "operator", "", "")
		if strings.Contains(carried, `"text":"测试短信"`) && strings.Contains(got, `"state":"delivered"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not carried and delivered in time:\ncarried: %s\nmessage: %s", carried, got)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The same idempotency key gives the same message, not a second SMS.
	code, body = call("POST", base+"/api/v1/sms", "operator", send, "application/json")
	if code != http.StatusOK || !strings.Contains(body, fmt.Sprintf(`"id":%d`, msg.ID)) {
		t.Errorf("repeated key: %d %s", code, body)
	}
	// Plain HTTP from loopback works too (local tools).
	if code, _ := call("GET", "http://"+ts.addr("http")+"/api/v1/modems", "operator", "", ""); code != 200 {
		t.Errorf("modems over loopback HTTP: %d", code)
	}
}

// TestSMSCommands drives the running server through `nanhu sms send`,
// `nanhu sms status` and `nanhu modem list`.
func TestSMSCommands(t *testing.T) {
	ts := startTestServer(t, nil)
	if _, err := ts.org.AddUser(context.Background(), org.NewUser{Login: "operator", Name: "值班员", Password: "Secret-2004", Roles: []string{"sms"}}); err != nil {
		t.Fatal(err)
	}
	server := "http://" + ts.addr("http")
	run := func(f func([]string, io.Reader, io.Writer) error, args ...string) (string, error) {
		var out strings.Builder
		err := f(append(args, "--server", server, "--user", "operator", "--password-stdin"), strings.NewReader("Secret-2004\n"), &out)
		return out.String(), err
	}
	out, err := run(runSMSCommand, "send", "--to", "+8613900000009", "--text", "测试短信", "--key", "cli-1")
	if err != nil || !strings.Contains(out, `"status": "queued"`) || !strings.Contains(out, `"id": 1`) {
		t.Fatalf("sms send: %v\n%s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err = run(runSMSCommand, "status", "1")
		if err == nil && strings.Contains(out, `"status": "delivered"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sms status never delivered: %v\n%s", err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if out, err := run(runModemCommand, "list"); err != nil || !strings.Contains(out, "simulated-modem") {
		t.Errorf("modem list: %v\n%s", err, out)
	}
	if _, err := run(runSMSCommand, "send", "--to", "12345", "--text", "x"); err == nil || !strings.Contains(err.Error(), "E.164") && !strings.Contains(err.Error(), "number") {
		t.Errorf("a bad number: %v", err)
	}
	var out2 strings.Builder
	err = runSMSCommand([]string{"send", "--to", "+8613900000009", "--text", "x", "--server", server, "--user", "operator", "--password-stdin"}, strings.NewReader("wrong-password\n"), &out2)
	if err == nil {
		t.Error("a wrong password was accepted")
	}
}
