package queue

import (
	"context"
	"errors"
	"testing"

	"nanhu/queue/contract"
)

// TestStats: what waits on a topic is counted, by topic and by channel.
func TestStats(t *testing.T) {
	q, _ := newTestQueue(t, nil)
	ctx := context.Background()
	ev := samples()[1].(contract.NotifySMS)
	for range 3 {
		ev.ID = contract.NewID()
		if err := Publish(ctx, q, ev); err != nil {
			t.Fatal(err)
		}
	}
	st, err := q.Stats()
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, ts := range st {
		if ts.Topic == contract.TopicNotifySMS {
			found = true
			if ts.Messages != 3 || ts.Depth != 3 {
				t.Errorf("%s: %+v, want 3 messages waiting", ts.Topic, ts)
			}
		}
	}
	if !found {
		t.Errorf("no %s in %+v", contract.TopicNotifySMS, st)
	}
	if _, err := (&Queue{}).Stats(); !errors.Is(err, ErrNoStats) {
		t.Errorf("an external queue's stats: %v", err)
	}
}
