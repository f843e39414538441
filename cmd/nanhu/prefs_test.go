package main

import (
	"context"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"nanhu/oa/org"
)

// curlAPI runs curl against the test server's HTTP listener and returns
// the status code and body.
func curlAPI(t *testing.T, ts *testServer, user, method, path, body string) (int, string) {
	t.Helper()
	args := []string{"-sS", "-o", "-", "-w", "\n%{http_code}", "-X", method, "http://" + ts.addr("http") + path}
	if user != "" {
		args = append(args, "-u", user+":Secret-2004")
	}
	if body != "" {
		args = append(args, "-H", "Content-Type: application/json", "--data-binary", body)
	}
	out, err := exec.Command("curl", args...).Output()
	if err != nil {
		t.Fatalf("curl %s %s: %v", method, path, err)
	}
	s := strings.TrimRight(string(out), "\n")
	i := strings.LastIndexByte(s, '\n')
	code := 0
	for _, c := range s[i+1:] {
		code = code*10 + int(c-'0')
	}
	return code, s[:max(i, 0)]
}

// TestNotifyPrefsAPI: a user reads and changes their own preferences over
// the API (curl), may not reach another user's, an administrator may;
// bad values are refused with a clear error and change nothing; and
// routing follows what was set: SMS off and mail on turn a to-do into a
// mail in the INBOX and no SMS.
func TestNotifyPrefsAPI(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed (.ci/run installs it)")
	}
	ts := startTestServer(t, nil)
	ctx := context.Background()
	if _, err := ts.org.AddUser(ctx, org.NewUser{Login: "admin1", Name: "管理员", Password: "Secret-2004", Roles: []string{"admin"}}); err != nil {
		t.Fatal(err)
	}
	const path = "/api/v1/notifications/prefs"

	steps := []struct {
		name, user, method, path, body string
		code                           int
		want                           string
	}{
		{"no login", "", "GET", path, "", 401, "需要登录"},
		{"defaults", "zhangwei", "GET", path, "", 200, `{"login":"zhangwei","sms":true,"mail":false,"quiet":"default"}`},
		{"set", "zhangwei", "PUT", path, `{"sms":false,"mail":true,"quiet":"21:30-06:45"}`, 200, `{"login":"zhangwei","sms":false,"mail":true,"quiet":"21:30-06:45"}`},
		{"partial", "zhangwei", "PUT", path, `{"quiet":"none"}`, 200, `{"login":"zhangwei","sms":false,"mail":true,"quiet":"none"}`},
		{"bad quiet", "zhangwei", "PUT", path, `{"quiet":"25:00-07:00","sms":true}`, 400, "07:00"},
		{"unknown field", "zhangwei", "PUT", path, `{"sms":true,"phone":"x"}`, 400, "phone"},
		{"not json", "zhangwei", "PUT", path, `sms=on`, 400, "请求格式错误"},
		{"unchanged after bad input", "zhangwei", "GET", path, "", 200, `{"login":"zhangwei","sms":false,"mail":true,"quiet":"none"}`},
		{"other user's, forbidden", "lina", "GET", path + "?login=zhangwei", "", 403, "只能"},
		{"other user's change, forbidden", "lina", "PUT", path + "?login=zhangwei", `{"sms":true}`, 403, "只能"},
		{"own via login=", "lina", "GET", path + "?login=LiNa", "", 200, `"login":"lina"`},
		{"admin reads", "admin1", "GET", path + "?login=zhangwei", "", 200, `"quiet":"none"`},
		{"admin, unknown user", "admin1", "GET", path + "?login=nobody", "", 404, "nobody"},
		{"method", "zhangwei", "DELETE", path, "", 405, "GET"},
	}
	for _, s := range steps {
		code, body := curlAPI(t, ts, s.user, s.method, s.path, s.body)
		if code != s.code || !strings.Contains(body, s.want) {
			t.Errorf("%s: %d %s, want %d with %q", s.name, code, body, s.code, s.want)
		}
	}
	// A form post is refused before anything is read (no CSRF through a
	// browser's remembered login).
	out, _ := exec.Command("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "-u", "zhangwei:Secret-2004",
		"-H", "Content-Type: application/x-www-form-urlencoded", "--data", "sms=true", "http://"+ts.addr("http")+path).Output()
	if string(out) != "415" {
		t.Errorf("form-encoded PUT: %s, want 415", out)
	}

	// Routing follows: zhangwei (SMS off, mail on, no quiet hours) gets
	// the to-do as a mail, and no SMS.
	r, err := http.Post("http://"+ts.queue.HTTPAddr()+"/pub?topic=oa.todo", "application/json", strings.NewReader(
		`{"v":1,"id":"ev-prefs-1","type":"created","todo":{"id":"todo-prefs-1","assignee":"zhangwei","title":"关于报送年度工作总结的通知","urgency":"平件","actions":["approve"]}}`))
	if err != nil || r.StatusCode != 200 {
		t.Fatalf("/pub: %v %v", err, r)
	}
	r.Body.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		msgs, _ := ts.store.Messages(ctx, "zhangwei", "INBOX") // no INBOX until the first mail
		if len(msgs) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("zhangwei's INBOX has %d notification mails, want 1", len(msgs))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if carried := simMessages(t, ts); strings.Contains(carried, "关于报送年度工作总结的通知") {
		t.Errorf("an SMS went out although zhangwei turned SMS off: %s", carried)
	}
}

// TestUserNotifyCommand: `nanhu user notify` shows and changes a user's
// preferences, and refuses bad values without changing anything.
func TestUserNotifyCommand(t *testing.T) {
	data := t.TempDir()
	if _, err := dirRun(t, runUser, "", "add", "zhangwei", "--name", "张伟", "--mobile", "+8613800000001", "--data", data); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		args    []string
		want    string // a substring of the output
		wantErr string
	}{
		{[]string{"notify", "zhangwei"}, "zhangwei  on   off   default", ""},
		{[]string{"notify", "zhangwei", "--mail", "on", "--quiet", "23:00-06:30"}, "zhangwei  on   on    23:00-06:30", ""},
		{[]string{"notify", "ZhangWei", "--sms", "off"}, "zhangwei  off  on    23:00-06:30", ""},
		{[]string{"notify", "zhangwei", "--quiet", "default"}, "zhangwei  off  on    default", ""},
		{[]string{"notify", "zhangwei", "--sms", "maybe"}, "", "on or off"},
		{[]string{"notify", "zhangwei", "--quiet", "22:00"}, "", "22:00-07:00"},
		{[]string{"notify", "zhangwei"}, "zhangwei  off  on    default", ""},
		{[]string{"notify", "nobody", "--sms", "on"}, "", "no user"},
	}
	for _, s := range steps {
		out, err := dirRun(t, runUser, "", append(s.args, "--data", data)...)
		if s.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), s.wantErr) {
				t.Errorf("%v: error %v, want one with %q", s.args, err, s.wantErr)
			}
			continue
		}
		if err != nil || !strings.Contains(out, s.want) {
			t.Errorf("%v: %q, %v; want %q", s.args, out, err, s.want)
		}
	}
}
