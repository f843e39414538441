package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"nanhu/oa/org"
	"nanhu/queue/contract"
)

// BenchmarkWorkbench serves zhangwei's signed-in 工作台 (five to-dos) through
// the whole handler chain, in-process: what bench/web.sh measures over the
// network, without wrk's share of the CPU. Run with -cpuprofile to see
// where a page's time goes.
func BenchmarkWorkbench(b *testing.B) {
	ts := startDemoServer(b)
	ctx := context.Background()
	for i := 1; i <= 5; i++ {
		ev := contract.TodoEvent{V: contract.TodoVersion, ID: fmt.Sprintf("bench-%d", i), Type: contract.TodoCreated, At: time.Now(),
			Todo: contract.Todo{ID: fmt.Sprintf("bench-%d", i), Assignee: "zhangwei", Title: fmt.Sprintf("关于报送第%d季度工作情况的通知", i),
				Urgency: contract.UrgencyNormal, Due: time.Now().Add(48 * time.Hour)}}
		if err := ts.oa.Notifier().HandleTodo(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
	base := "http://" + ts.addr("http")
	cookie := signInCookie(b, base, "zhangwei", org.DemoPassword)
	h := ts.web
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "127.0.0.1:50000"
	req.AddCookie(cookie)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "第5季度") {
		b.Fatalf("the 工作台: %d %.300s", w.Code, w.Body.String())
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req.Clone(req.Context()))
			if w.Code != 200 {
				b.Errorf("status %d", w.Code)
			}
		}
	})
}

var formToken = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// signInCookie signs in through the form as a browser does and returns
// the session cookie.
func signInCookie(t testing.TB, base, user, pass string) *http.Cookie {
	t.Helper()
	resp, err := http.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := formToken.FindSubmatch(body)
	if m == nil {
		t.Fatal("no form token")
	}
	req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(url.Values{"csrf_token": {string(m[1])}, "username": {user}, "password": {pass}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range resp.Cookies() {
		req.AddCookie(c)
	}
	resp, err = (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "nanhu_session" {
			return c
		}
	}
	t.Fatalf("no session cookie (status %d)", resp.StatusCode)
	return nil
}
