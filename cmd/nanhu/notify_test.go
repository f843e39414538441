package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"net/http"
	"strings"
	"testing"
	"time"

	"nanhu/oa/org"
)

// TestTodoNotification is the path end to end, with the embedded
// nsqd: an oa.todo event published with nsqd's /pub for an official who is
// offline ends as an SMS carried by the simulated modem with the right
// Chinese text; for one who has the workbench's stream open, as an event on
// that stream and no SMS.
func TestTodoNotification(t *testing.T) {
	ts := startTestServer(t, nil)
	ctx := context.Background()
	if _, err := ts.org.AddUser(ctx, org.NewUser{Login: "liuyang", Name: "刘洋", Password: "Secret-2004", Mobile: "+8613900000201"}); err != nil {
		t.Fatal(err)
	}
	// liuyang is online: the stream is open.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	req, _ := http.NewRequest("GET", "https://"+ts.addr("https")+"/api/v1/notifications/stream", nil)
	req.SetBasicAuth("liuyang", "Secret-2004")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("stream: %s", resp.Status)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// Unauthenticated: no stream.
	if r, err := client.Get("https://" + ts.addr("https") + "/api/v1/notifications/stream"); err == nil {
		if r.StatusCode != 401 {
			t.Errorf("stream without login: %s", r.Status)
		}
		r.Body.Close()
	}
	time.Sleep(200 * time.Millisecond) // the stream registers before the events

	pub := func(body string) {
		t.Helper()
		r, err := http.Post("http://"+ts.queue.HTTPAddr()+"/pub?topic=oa.todo", "application/json", strings.NewReader(body))
		if err != nil || r.StatusCode != 200 {
			t.Fatalf("/pub: %v %v", err, r)
		}
		r.Body.Close()
	}
	due := time.Now().In(shanghai(t)).Add(26 * time.Hour).Format(time.RFC3339)
	pub(`{"v":1,"id":"ev-offline-1","type":"created","todo":{"id":"todo-1","assignee":"zhangwei","title":"关于加强电子政务建设的通知","doc_number":"秀政发〔2004〕12号","urgency":"特急","due":"` + due + `","actions":["approve","return"]}}`)
	pub(`{"v":1,"id":"ev-online-1","type":"created","todo":{"id":"todo-2","assignee":"liuyang","title":"关于召开全区安全生产会议的通知","urgency":"特急","actions":["approve"]}}`)

	dueDay := time.Now().In(shanghai(t)).Add(26 * time.Hour)
	want := "【南湖】您有1件待办：关于加强电子政务建设的通知（秀政发〔2004〕12号），请于" +
		dueDay.Format("1月2日") + "前处理。回复1同意 2退回"
	deadline := time.Now().Add(30 * time.Second)
	for {
		carried := simMessages(t, ts)
		if strings.Contains(carried, want) {
			if strings.Contains(carried, "+8613900000201") {
				t.Errorf("the online official got an SMS too: %s", carried)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no SMS %q carried; the simulated network has: %s", want, carried)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The online official's stream has the to-do.
	timeout := time.After(10 * time.Second)
	for got := false; !got; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("stream closed")
			}
			got = strings.HasPrefix(l, "data:") && strings.Contains(l, "关于召开全区安全生产会议的通知")
		case <-timeout:
			t.Fatal("no event on the online official's stream")
		}
	}
}

func shanghai(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}
