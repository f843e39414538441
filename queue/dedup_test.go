package queue

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestDedupWindowAndSize(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	d := newDedup("oa.todo/routing", time.Hour, 3, nil)
	d.now = func() time.Time { return now }
	ctx := context.Background()
	for i := range 3 {
		d.remember(ctx, fmt.Sprint(i))
	}
	for i := range 3 {
		if ok, _ := d.seen(ctx, fmt.Sprint(i)); !ok {
			t.Fatalf("%d forgotten", i)
		}
	}
	// "0" was seen last but one... order now 2,1,0 most recent first
	// after the lookups (0 looked up first, so 2 is the most recent).
	d.remember(ctx, "3") // drops the least recently seen: "0"
	if ok, _ := d.seen(ctx, "0"); ok {
		t.Fatal("size bound not kept")
	}
	now = now.Add(time.Hour + time.Second)
	if ok, _ := d.seen(ctx, "3"); ok {
		t.Fatal("remembered beyond the window")
	}
	if len(d.byID) != 2 || d.order.Len() != 2 {
		t.Fatalf("%d ids kept", len(d.byID))
	}
}

func TestDedupRunning(t *testing.T) {
	d := newDedup("s", time.Hour, 10, nil)
	if !d.begin("a") || d.begin("a") || !d.begin("b") {
		t.Fatal("begin")
	}
	d.end("a")
	if !d.begin("a") {
		t.Fatal("end")
	}
}
