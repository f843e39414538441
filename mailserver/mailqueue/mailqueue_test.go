package mailqueue

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"nanhu/mailserver/mailtext"
	"nanhu/mailserver/store"
	"nanhu/queue"
	"nanhu/queue/contract"
)

type dir map[string]string

func (d dir) SenderAddresses(_ context.Context, login string) ([]string, error) {
	if a, ok := d[login]; ok {
		return []string{a}, nil
	}
	return nil, errors.New("no such user")
}

func TestDeliverOnce(t *testing.T) {
	st, err := store.Open(context.Background(), store.DefaultOptions(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d := dir{"lina": "lina@nanhu.local"}
	o := Options{Domain: "nanhu.local", Now: func() time.Time { return time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC) }}
	ev := contract.NotifyMail{V: 1, ID: "ev-1", ToLogin: "lina", Subject: "待办：关于加强电子政务建设的通知", Body: "请于11月26日前处理。\n南湖办公系统", TodoID: "t-9", Reason: "todo.created"}
	for i := 0; i < 2; i++ { // the second is the queue's redelivery
		if err := Deliver(context.Background(), d, st, o, ev); err != nil {
			t.Fatal(err)
		}
	}
	msgs, _ := st.Messages(context.Background(), "lina", "INBOX")
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	raw, _ := st.Raw(context.Background(), "lina", "INBOX", msgs[0].UID)
	doc := mailtext.Extract(raw)
	if doc.Subject != ev.Subject || !strings.Contains(doc.Body, "请于11月26日前处理。") || !strings.Contains(string(raw), "X-Nanhu-Todo: t-9\r\n") {
		t.Errorf("stored notification:\n%s", raw)
	}
	err = Deliver(context.Background(), d, st, o, contract.NotifyMail{V: 1, ID: "ev-2", ToLogin: "ghost", Subject: "x", Body: "x"})
	if !errors.Is(err, queue.ErrPermanent) || !errors.Is(err, ErrUnknownUser) {
		t.Errorf("unknown user: %v, want a permanent ErrUnknownUser", err)
	}
}
