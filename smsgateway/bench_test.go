package smsgateway

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"nanhu/hardware/modemsim"
)

// BenchmarkBacklog drains a backlog of Chinese SMS, a quarter of them in
// two parts, through simulated modems with a fixed network latency, and
// reports the share of the modems' capacity the pool used: with latency L
// and M modems the network can take M/L parts a second.
//
//	go test ./smsgateway -run '^$' -bench Backlog -benchtime 1x
func BenchmarkBacklog(b *testing.B) {
	const (
		modems  = 8
		latency = 200 * time.Millisecond
		backlog = 400
	)
	for range b.N {
		dir := b.TempDir()
		var mods []ModemConfig
		var sims []*modemsim.Sim
		for i := range modems {
			s := startSim(b, dir, fmt.Sprintf("tty%d", i), func(o *modemsim.Options) { o.SendLatency = latency })
			sims = append(sims, s)
			mods = append(mods, simModem(s, fmt.Sprintf("m%d", i)))
		}
		o := testOptions(dir, mods...)
		o.HealthInterval, o.SweepInterval = 30*time.Second, time.Minute
		g, err := New(context.Background(), o)
		if err != nil {
			b.Fatal(err)
		}
		parts := 0
		for i := range backlog {
			text := fmt.Sprintf("第%d条：请及时处理待办事项。", i)
			if i%4 == 0 {
				text = strings.Repeat("南湖区政府办公室通知：", 8) // 88 characters, two parts
			}
			m, err := g.Send(context.Background(), Request{To: fmt.Sprintf("+86138%08d", i), Text: text})
			if err != nil {
				b.Fatal(err)
			}
			parts += len(m.Parts)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { g.Run(ctx); close(done) }()
		waitUp(b, g, modems)
		start := time.Now()
		for {
			c, err := g.st.Counts(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if c[Queued]+c[Sending] == 0 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		elapsed := time.Since(start)
		cancel()
		<-done
		g.Close()
		capacity := float64(modems) * elapsed.Seconds() / latency.Seconds()
		b.ReportMetric(100*float64(parts)/capacity, "%capacity")
		b.ReportMetric(float64(parts)/elapsed.Seconds(), "parts/s")
	}
}
