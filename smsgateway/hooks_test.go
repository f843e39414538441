package smsgateway

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"nanhu/smsgateway/store"
)

// TestHooksAfterCrash: changes committed but not yet handed to the hooks
// when the process died are handed over by the next start.
func TestHooksAfterCrash(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, "sms.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	st.RecordEvents(true, true)
	m, _, err := st.Insert(ctx, store.NewMessage{To: "+8613800000001", Text: "测试", Validity: time.Hour, Parts: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Fail(ctx, m.ID, "+CMS ERROR: 1"); err != nil {
		t.Fatal(err)
	}
	p, _, err := st.AddInboundPart(ctx, store.InboundPart{Modem: "m1", PDU: "00", From: "+8613900000001", Total: 1, Seq: 1, ReceivedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddInbound(ctx, store.Inbound{Modem: "m1", From: p.From, Text: "同意", Parts: 1, Total: 1, ReceivedAt: time.Now()}, []int64{p.ID}); err != nil {
		t.Fatal(err)
	}
	st.Close() // the crash: nothing handed over

	var hooks collector
	o := testOptions(dir)
	hooks.hook(&o)
	g, err := New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "both hooks", func() bool {
		hooks.mu.Lock()
		defer hooks.mu.Unlock()
		return len(hooks.statuses) == 1 && len(hooks.inbound) == 1
	})
	if s := hooks.statuses[0]; s.ID != m.ID || s.State != Failed || s.Error != "+CMS ERROR: 1" {
		t.Errorf("OnStatus got %+v", s)
	}
	if in := hooks.inbound[0]; in.Text != "同意" || in.From != "+8613900000001" {
		t.Errorf("OnInbound got %+v", in)
	}
	g.Close()
	// Handed over once: a third start finds nothing.
	hooks = collector{}
	hooks.hook(&o)
	g, err = New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	g.Close()
	if len(hooks.statuses)+len(hooks.inbound) != 0 {
		t.Errorf("handed over again: %+v %+v", hooks.statuses, hooks.inbound)
	}
}

// TestHookFailureKeepsTheEvent: a hook that fails (the queue is down)
// leaves the event in the outbox, and it is handed over again.
func TestHookFailureKeepsTheEvent(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, "sms.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	st.RecordEvents(true, false)
	m, _, err := st.Insert(ctx, store.NewMessage{To: "+8613800000001", Text: "测试", Validity: time.Hour, Parts: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Fail(ctx, m.ID, "+CMS ERROR: 1"); err != nil {
		t.Fatal(err)
	}
	st.Close()

	var mu sync.Mutex
	var got []int64
	failures := 1
	o := testOptions(dir)
	o.OnStatus = func(m Message) error {
		mu.Lock()
		defer mu.Unlock()
		if failures > 0 {
			failures--
			return errors.New("queue unavailable")
		}
		got = append(got, m.ID)
		return nil
	}
	g, err := New(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	waitFor(t, 20*time.Second, "the status handed over after the hook's failure", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == 1 && got[0] == m.ID
	})
}
