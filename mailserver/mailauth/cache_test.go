package mailauth

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// slowResolver counts its questions and answers each only when released.
type slowResolver struct {
	Static
	asked   atomic.Int32
	release chan struct{}
}

func (s *slowResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	s.asked.Add(1)
	if s.release != nil {
		<-s.release
	}
	return s.Static.LookupTXT(ctx, name)
}

func TestCache(t *testing.T) {
	now := time.Unix(1e9, 0)
	inner := &slowResolver{Static: Static{TXT: map[string][]string{"example.org": {"v=spf1 -all"}}}, release: make(chan struct{})}
	c := newCache(inner, 5*time.Minute, time.Minute, 10*time.Second)
	c.now = func() time.Time { return now }

	// Ten messages want the same name at once: one question.
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if v, err := c.LookupTXT(context.Background(), "Example.org."); err != nil || len(v) != 1 {
				t.Errorf("got %v, %v", v, err)
			}
		})
	}
	for inner.asked.Load() == 0 {
		time.Sleep(time.Millisecond) // until the first question is out
	}
	close(inner.release)
	wg.Wait()
	if n := inner.asked.Load(); n != 1 {
		t.Errorf("asked %d times, want 1", n)
	}

	tests := []struct {
		name    string
		after   time.Duration
		lookup  string
		fail    bool
		asked   int32 // in total so far
		wantErr bool
	}{
		{"answer kept", 4 * time.Minute, "example.org", false, 1, false},
		{"answer expired", 2 * time.Minute, "example.org", false, 2, false},
		{"no such name", 0, "nx.example", false, 3, true},
		{"no such name kept", 4 * time.Minute, "nx.example", false, 3, true},
		{"failure", 0, "down.example", true, 4, true},
		{"failure kept a minute", 59 * time.Second, "down.example", true, 4, true},
		{"failure asked again", 2 * time.Second, "down.example", true, 5, true},
	}
	for _, tt := range tests {
		now = now.Add(tt.after)
		inner.Fail = tt.fail
		_, err := c.LookupTXT(context.Background(), tt.lookup)
		if (err != nil) != tt.wantErr || inner.asked.Load() != tt.asked {
			t.Errorf("%s: err %v, asked %d times; want error %v, %d times", tt.name, err, inner.asked.Load(), tt.wantErr, tt.asked)
		}
		var de *net.DNSError
		if tt.fail && (!errors.As(err, &de) || !de.IsTemporary) {
			t.Errorf("%s: a failure must stay temporary: %v", tt.name, err)
		}
	}
}
