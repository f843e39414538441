package main

import (
	"bytes"
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

	"nanhu/queue"
	"nanhu/queue/contract"
	"nanhu/smsgateway"
)

// TestQueueBridges publishes on the embedded nsqd as another part would
// (with curl's /pub): a notify.sms event becomes an SMS carried by the
// simulated modem, its states come back on sms.status, an SMS arriving at
// the modem comes out on sms.inbound, and a notify.mail event lands in the
// official's INBOX.
func TestQueueBridges(t *testing.T) {
	ts := startTestServer(t, nil)
	pub := func(topic string, ev any) {
		t.Helper()
		b, _ := json.Marshal(ev)
		resp, err := http.Post("http://"+ts.queue.HTTPAddr()+"/pub?topic="+topic, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("/pub %s: %s", topic, resp.Status)
		}
	}
	var mu sync.Mutex
	var states []string
	var inbound []contract.SMSInbound
	if _, err := queue.Consume(ts.queue, "test", func(ctx context.Context, ev contract.SMSStatus) error {
		mu.Lock()
		states = append(states, string(ev.State)+":"+ev.IdempotencyKey)
		mu.Unlock()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := queue.Consume(ts.queue, "test", func(ctx context.Context, ev contract.SMSInbound) error {
		mu.Lock()
		inbound = append(inbound, ev)
		mu.Unlock()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	text := "【南湖】您有1件待办：关于加强电子政务建设的通知（秀政发〔2004〕12号），请于11月26日前处理。"
	ev := contract.NotifySMS{V: 1, ID: "ev-sms-1", To: "+8613800000001", Text: text, Login: "zhangwei", IdempotencyKey: "todo-1-created", Reason: "todo.created"}
	pub(contract.TopicNotifySMS, ev)
	pub(contract.TopicNotifySMS, ev) // a redelivery: still one SMS
	pub(contract.TopicNotifyMail, contract.NotifyMail{V: 1, ID: "ev-mail-1", ToLogin: "lina", Subject: "待办提醒", Body: text, Reason: "todo.created"})

	deadline := time.Now().Add(30 * time.Second)
	for {
		carried := simMessages(t, ts)
		mu.Lock()
		done := strings.Count(carried, text) == 1 && contains(states, "delivered:todo-1-created")
		mu.Unlock()
		if done {
			break
		}
		if time.Now().After(deadline) {
			mu.Lock()
			t.Fatalf("notify.sms not carried once and delivered: carried %s; states %v", carried, states)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if msgs, _ := ts.store.Messages(context.Background(), "lina", "INBOX"); len(msgs) != 1 {
		t.Errorf("lina has %d notification mails, want 1", len(msgs))
	}
	// An SMS arrives at the modem: it comes out on sms.inbound.
	simInbound(t, ts, `{"from":"+8613800000102","text":"同意"}`)
	deadline = time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(inbound)
		mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no sms.inbound event for the SMS that arrived")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if inbound[0].From != "+8613800000102" || inbound[0].Text != "同意" {
		t.Errorf("sms.inbound = %+v", inbound[0])
	}
	// An SMS sent without an idempotency key (the API allows it) still has
	// its states published, under a key made from its id.
	m, err := ts.sms.Send(context.Background(), smsgateway.Request{To: "+8613800000103", Text: "无键短信"})
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("delivered:sms/%d", m.ID)
	deadline = time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		ok := contains(states, want)
		mu.Unlock()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			mu.Lock()
			t.Fatalf("no %q on sms.status; got %v", want, states)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// simMessages reads what the simulated network carried.
func simMessages(t *testing.T, ts *testServer) string {
	t.Helper()
	req, _ := http.NewRequest("GET", "/messages", nil)
	rec := httptest.NewRecorder()
	ts.sim.Handler().ServeHTTP(rec, req)
	return rec.Body.String()
}

func simInbound(t *testing.T, ts *testServer, body string) {
	t.Helper()
	req, _ := http.NewRequest("POST", "/inbound", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	ts.sim.Handler().ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("inject inbound SMS: %d %s", rec.Code, rec.Body.String())
	}
}
