package imapd

import (
	"runtime"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
)

// BenchmarkIdleMemory opens 1,000 IDLE sessions on a 10,000-message INBOX
// and reports the server's heap per session (the budget is 600 MiB
// for 10,000 sessions: about 60 KiB each, client side included here).
func BenchmarkIdleMemory(b *testing.B) {
	e := newEnv(b, nil, nil)
	benchMailbox(b, e, 10000)
	const n = 1000
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	clients := make([]*imapclient.Client, 0, n)
	for i := 0; i < n; i++ {
		c, err := imapclient.DialInsecure(e.addr, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Login("lina", "secret-2004").Wait(); err != nil {
			b.Fatal(err)
		}
		if _, err := c.Select("INBOX", nil).Wait(); err != nil {
			b.Fatal(err)
		}
		if _, err := c.Idle(); err != nil {
			b.Fatal(err)
		}
		clients = append(clients, c)
	}
	time.Sleep(500 * time.Millisecond)
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/n/1024, "KiB-heap/session(server+client)")
	for _, c := range clients {
		c.Close()
	}
}
