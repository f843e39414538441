package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"nanhu/queue/contract"
)

// samples returns one valid event of every topic.
func samples() []contract.Event {
	at := time.Date(2026, 11, 25, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))
	due := time.Date(2026, 11, 26, 17, 0, 0, 0, time.FixedZone("CST", 8*3600))
	return []contract.Event{
		contract.TodoEvent{V: contract.TodoVersion, ID: contract.NewID(), Type: contract.TodoCreated, At: at,
			Todo: contract.Todo{ID: "todo-8812", Assignee: "zhangwei", Title: "关于加强电子政务建设的通知",
				DocNumber: "秀政发〔2004〕12号", Urgency: contract.UrgencyTop, Due: due, Actions: []string{"approve", "return"}}},
		contract.NotifySMS{V: contract.NotifySMSVersion, ID: contract.NewID(), To: "+8613800138000",
			Text:  "【南湖】您有1件待办：关于加强电子政务建设的通知（秀政发〔2004〕12号），请于11月26日前处理。回复1同意 2退回",
			Login: "zhangwei", IdempotencyKey: "todo-8812/created", Reason: "todo.created", TodoID: "todo-8812"},
		contract.NotifyMail{V: contract.NotifyMailVersion, ID: contract.NewID(), ToLogin: "zhangwei",
			Subject: "【待办】关于加强电子政务建设的通知", Body: "您有1件待办：关于加强电子政务建设的通知。\n请于11月26日17:00前处理。", From: "南湖办公系统"},
		contract.SMSInbound{V: contract.SMSInboundVersion, ID: contract.NewID(), From: "+8613800138000", Text: "1 同意", Received: at, Modem: "modem0"},
		contract.SMSStatus{V: contract.SMSStatusVersion, ID: contract.NewID(), SMSID: "42", IdempotencyKey: "todo-8812/created",
			State: contract.SMSDelivered, To: "+8613800138000", At: at, Modem: "modem0"},
		contract.OAAction{V: contract.OAActionVersion, ID: contract.NewID(), TodoID: "todo-8812", Login: "zhangwei",
			Action: "approve", Source: contract.SourceSMS, SourceRef: "sms-in-1", At: at},
		contract.PortalCase{V: contract.PortalCaseVersion, ID: contract.NewID(), Type: contract.CaseOpened, Case: 7, Number: "2026-000007",
			Kind: "咨询", Channel: "sms", Title: "社保卡补办需要带什么材料", Text: "社保卡补办需要带什么材料？", Mobile: "+8613800138000", Received: at, Due: "2026-11-28"},
		contract.OACase{V: contract.OACaseVersion, ID: contract.NewID(), Case: 7, Action: contract.CaseAccepted, By: "梁晓燕", At: at},
		contract.MailCase{V: contract.MailCaseVersion, ID: contract.NewID(), To: "xinxiang@nanhu.local", From: "wang@example.com",
			Subject: "社保卡补办", Text: "社保卡补办需要带什么材料？", Received: at},
	}
}

// roundTrip publishes ev and checks that a consumer of its topic gets an
// equal event.
func roundTrip[T contract.Event](t *testing.T, q *Queue, ev T) {
	got := make(chan T, 1)
	c, err := Consume(q, "roundtrip", func(ctx context.Context, e T) error {
		d, ok := DeliveryFrom(ctx)
		if !ok || d.Topic != ev.Topic() || d.Attempts != 1 {
			t.Errorf("delivery %+v", d)
		}
		got <- e
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	if err := Publish(context.Background(), q, ev); err != nil {
		t.Fatal(err)
	}
	e := recv(t, got, 5*time.Second)
	a, _ := json.Marshal(e)
	b, _ := json.Marshal(ev)
	if string(a) != string(b) {
		t.Fatalf("received\n%s\nwant\n%s", a, b)
	}
}

func TestRoundTripEveryTopic(t *testing.T) {
	q, _ := newTestQueue(t, nil)
	seen := map[string]bool{}
	for _, ev := range samples() {
		seen[ev.Topic()] = true
		t.Run(ev.Topic(), func(t *testing.T) {
			switch ev := ev.(type) {
			case contract.TodoEvent:
				roundTrip(t, q, ev)
			case contract.NotifySMS:
				roundTrip(t, q, ev)
			case contract.NotifyMail:
				roundTrip(t, q, ev)
			case contract.SMSInbound:
				roundTrip(t, q, ev)
			case contract.SMSStatus:
				roundTrip(t, q, ev)
			case contract.OAAction:
				roundTrip(t, q, ev)
			case contract.PortalCase:
				roundTrip(t, q, ev)
			case contract.OACase:
				roundTrip(t, q, ev)
			case contract.MailCase:
				roundTrip(t, q, ev)
			default:
				t.Fatalf("no case for %T", ev)
			}
		})
	}
	for _, ti := range contract.Topics() {
		if !seen[ti.Name] {
			t.Errorf("topic %s has no sample", ti.Name)
		}
	}
}

func TestPublishRefusesInvalid(t *testing.T) {
	q, _ := newTestQueue(t, nil)
	ev := samples()[0].(contract.TodoEvent)
	ev.Todo.Urgency = "急"
	err := Publish(context.Background(), q, ev)
	if !errors.Is(err, contract.ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
}

func TestPublishAfterClose(t *testing.T) {
	q, _ := newTestQueue(t, nil)
	q.Close()
	if err := Publish(context.Background(), q, samples()[0].(contract.TodoEvent)); !errors.Is(err, ErrClosed) {
		t.Fatalf("err = %v, want ErrClosed", err)
	}
	if _, err := Consume(q, "late", func(context.Context, contract.TodoEvent) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("Consume after Close: err = %v", err)
	}
}

// A batch arrives whole and in order, as separate events; a batch with an
// invalid event or of mixed topics publishes nothing.
func TestPublishBatch(t *testing.T) {
	q, _ := newTestQueue(t, nil)
	got := make(chan contract.NotifySMS, 10)
	if _, err := Consume(q, "batch", func(_ context.Context, m contract.NotifySMS) error {
		got <- m
		return nil
	}, ConsumerOptions{Concurrency: 1, MaxInFlight: 1}); err != nil {
		t.Fatal(err)
	}
	base := samples()[1].(contract.NotifySMS)
	batch := make([]contract.NotifySMS, 5)
	for i := range batch {
		batch[i] = base
		batch[i].ID = contract.NewID()
		batch[i].IdempotencyKey = fmt.Sprintf("batch/%d", i)
	}
	ctx := context.Background()

	bad := append([]contract.NotifySMS(nil), batch...)
	bad[3].To = "13800138000"
	if err := PublishBatch(ctx, q, bad); !errors.Is(err, contract.ErrInvalid) {
		t.Fatalf("invalid event: err = %v, want ErrInvalid", err)
	}
	mixed := []contract.Event{batch[0], samples()[0]}
	if err := PublishBatch(ctx, q, mixed); err == nil {
		t.Fatal("mixed topics: no error")
	}
	if err := PublishBatch(ctx, q, []contract.NotifySMS{}); err != nil {
		t.Fatalf("empty batch: %v", err)
	}
	none(t, got, 200*time.Millisecond)

	if err := PublishBatch(ctx, q, batch); err != nil {
		t.Fatal(err)
	}
	// The interface type works too, for callers holding events of one
	// topic as contract.Event.
	again := batch[0]
	again.ID = contract.NewID()
	if err := PublishBatch(ctx, q, []contract.Event{again}); err != nil {
		t.Fatal(err)
	}
	for i, want := range append(batch, again) {
		if m := recv(t, got, 5*time.Second); m.ID != want.ID {
			t.Fatalf("event %d: id %s, want %s", i, m.ID, want.ID)
		}
	}
	none(t, got, 200*time.Millisecond)
}
