package notify

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"nanhu/oa/org"
	"nanhu/queue/contract"
)

// flakyDir fails lookups of one login while broken is set.
type flakyDir struct {
	Directory
	login  string
	broken atomic.Bool
}

var errDirectoryDown = errors.New("directory down")

func (d *flakyDir) User(ctx context.Context, login string) (org.User, error) {
	if login == d.login && d.broken.Load() {
		return org.User{}, errDirectoryDown
	}
	return d.Directory.User(ctx, login)
}

// Concurrent events share transactions; one that fails is undone alone
// and comes again later, when it succeeds once.
func TestConcurrentEventsShareTransactions(t *testing.T) {
	var dir *flakyDir
	f := newFixture(t, func(o *Options) {
		dir = &flakyDir{Directory: o.Org, login: "huanglei"}
		dir.broken.Store(true)
		o.Org = dir
		o.DirectoryTTL = -1
	})
	logins := []string{"zhangwei", "liuyang", "yangjing", "huanglei", "mailer", "quietless"}
	const events = 120
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := range events {
		wg.Add(1)
		go func() {
			defer wg.Done()
			login := logins[i%len(logins)]
			td := todo(fmt.Sprintf("todo-%d", i), login)
			td.Urgency = contract.UrgencyTop
			err := f.n.HandleTodo(context.Background(), event(fmt.Sprintf("ev-%d", i), contract.TodoCreated, td))
			if (err != nil) != (login == "huanglei") {
				t.Errorf("event %d for %s: %v", i, login, err)
			}
			if err != nil {
				if !errors.Is(err, errDirectoryDown) {
					t.Errorf("event %d: %v", i, err)
				}
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	sms, _, _ := f.pub.take()
	if want := events - int(failed.Load()); len(sms) != want || int(failed.Load()) != events/len(logins) {
		t.Fatalf("%d SMS, %d failed; want %d SMS", len(sms), failed.Load(), want)
	}
	// The failed ones come again, once the directory is back.
	dir.broken.Store(false)
	for i := 3; i < events; i += len(logins) {
		td := todo(fmt.Sprintf("todo-%d", i), "huanglei")
		td.Urgency = contract.UrgencyTop
		f.handle(event(fmt.Sprintf("ev-%d", i), contract.TodoCreated, td))
		f.handle(event(fmt.Sprintf("ev-%d", i), contract.TodoCreated, td))
	}
	sms, _, _ = f.pub.take()
	if len(sms) != int(failed.Load()) {
		t.Fatalf("redelivered: %d SMS, want %d", len(sms), failed.Load())
	}
}
