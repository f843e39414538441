package notify

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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
	f.published()
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

// batchingPublisher is the recording publisher with PublishBatch.
type batchingPublisher struct {
	*publisher
	batches []int // the size of each batch published
}

func (p *batchingPublisher) PublishBatch(ctx context.Context, evs []contract.Event) error {
	p.mu.Lock()
	fail := p.fail
	p.mu.Unlock()
	if fail {
		return errQueueDown
	}
	for _, ev := range evs {
		if ev.Topic() != evs[0].Topic() {
			return fmt.Errorf("a batch of %s and %s", evs[0].Topic(), ev.Topic())
		}
		var err error
		switch m := ev.(type) {
		case contract.NotifySMS:
			err = p.PublishSMS(ctx, m)
		case contract.NotifyMail:
			err = p.PublishMail(ctx, m)
		case contract.OAAction:
			err = p.PublishAction(ctx, m)
		}
		if err != nil {
			return err
		}
	}
	p.mu.Lock()
	p.batches = append(p.batches, len(evs))
	p.mu.Unlock()
	return nil
}

// The outbox goes out in batches of one topic, in order; a batch the
// queue refuses stays in the outbox whole until it is taken.
func TestOutboxPublishedInBatches(t *testing.T) {
	var bp *batchingPublisher
	f := newFixture(t, func(o *Options) {
		bp = &batchingPublisher{publisher: o.Publisher.(*publisher)}
		o.Publisher = bp
	})
	f.pub.setFail(true)
	var ids []string
	for i := range 5 {
		td := todo(fmt.Sprintf("todo-%d", i), "zhangwei")
		td.Urgency = contract.UrgencyTop
		f.handle(event(fmt.Sprintf("ev-%d", i), contract.TodoCreated, td))
		ids = append(ids, "nt/"+fmt.Sprintf("ev-%d", i)+"/sms")
	}
	// mailer wants mail too: a mail then an SMS, twice.
	for i := 5; i < 7; i++ {
		td := todo(fmt.Sprintf("todo-%d", i), "mailer")
		td.Urgency = contract.UrgencyTop
		f.handle(event(fmt.Sprintf("ev-%d", i), contract.TodoCreated, td))
		ids = append(ids, "nt/"+fmt.Sprintf("ev-%d", i)+"/sms")
	}
	f.tick(f.clock.Now().Add(time.Second))
	if sms, mail, _ := f.pub.take(); len(sms)+len(mail) != 0 || len(bp.batches) != 0 {
		t.Fatalf("published while the queue was down: %d SMS, %d mail", len(sms), len(mail))
	}
	f.pub.setFail(false)
	f.tick(f.clock.Now().Add(time.Second))
	sms, mail, _ := f.pub.take()
	var got []string
	for _, m := range sms {
		got = append(got, m.IdempotencyKey)
	}
	if fmt.Sprint(got) != fmt.Sprint(ids) || len(mail) != 2 {
		t.Fatalf("SMS keys %v, want %v; %d mail", got, ids, len(mail))
	}
	// Five SMS together, then mail, SMS, mail, SMS: runs of one go alone.
	if fmt.Sprint(bp.batches) != "[5]" {
		t.Fatalf("batches %v, want [5]", bp.batches)
	}
	var left int
	f.n.st.db.QueryRow(`SELECT count(*) FROM outbox`).Scan(&left)
	if left != 0 {
		t.Fatalf("%d messages left in the outbox", left)
	}
}
