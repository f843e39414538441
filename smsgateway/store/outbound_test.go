package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
)

// Insert returns the message exactly as Get reads it back.
func TestInsertReturnsTheRow(t *testing.T) {
	s, _, _ := open(t)
	ctx := context.Background()
	for _, n := range []NewMessage{msg("+8613800000001", "测试", "", 1), msg("+8613800000002", "两段", "k-2", 2)} {
		n.RequestedBy = "queue:todo.created"
		m, existed, err := s.Insert(ctx, n)
		if err != nil || existed {
			t.Fatalf("insert: %v, existed %v", err, existed)
		}
		got, err := s.Get(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(m, got) {
			t.Errorf("Insert returned\n%+v\nGet reads\n%+v", m, got)
		}
	}
}

// Concurrent Inserts share transactions: each gets its own message, a
// repeated key its first message, and a reused key fails alone.
func TestConcurrentInsertsGroupCommit(t *testing.T) {
	s, _, _ := open(t)
	ctx := context.Background()
	if _, _, err := s.Insert(ctx, msg("+8613800000009", "原文", "taken", 1)); err != nil {
		t.Fatal(err)
	}
	const n = 200
	ids := make([]int64, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var nm NewMessage
			switch {
			case i%50 == 7:
				nm = msg("+8613800000009", "别的", "taken", 1) // ErrKeyReused
			case i%10 == 3:
				nm = msg("+8613800000003", "同一条", "repeat", 1)
			default:
				nm = msg("+8613800000001", fmt.Sprintf("第%d条", i), fmt.Sprintf("k-%d", i), 1)
			}
			m, _, err := s.Insert(ctx, nm)
			ids[i], errs[i] = m.ID, err
		})
	}
	wg.Wait()
	seen := map[int64]int{}
	var repeat int64
	for i := range n {
		switch {
		case i%50 == 7:
			if !errors.Is(errs[i], ErrKeyReused) || ids[i] != 0 {
				t.Errorf("request %d: id %d, err %v; want ErrKeyReused", i, ids[i], errs[i])
			}
		case i%10 == 3:
			if errs[i] != nil || (repeat != 0 && ids[i] != repeat) {
				t.Errorf("request %d: id %d (first %d), err %v", i, ids[i], repeat, errs[i])
			}
			repeat = ids[i]
		default:
			if errs[i] != nil {
				t.Errorf("request %d: %v", i, errs[i])
			}
			seen[ids[i]]++
		}
	}
	for id, c := range seen {
		if c != 1 || id == repeat {
			t.Errorf("message %d returned to %d requests", id, c)
		}
	}
	counts, err := s.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := 1 + len(seen) + 1; counts[Queued] != want {
		t.Errorf("%d queued, want %d", counts[Queued], want)
	}
}

// A caller whose context ended before its turn stores nothing and says so.
func TestInsertCancelledBeforeItsTurn(t *testing.T) {
	s, _, _ := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := s.Insert(ctx, msg("+8613800000001", "测试", "", 1)); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if c, _ := s.Counts(context.Background()); c[Queued] != 0 {
		t.Fatalf("stored %v", c)
	}
}
