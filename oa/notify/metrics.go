package notify

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are routing's Prometheus metrics.
type metrics struct {
	decisions *prometheus.CounterVec
}

func newMetrics(n *Notifier, reg prometheus.Registerer) *metrics {
	m := &metrics{
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nanhu_notify_decisions_total",
			Help: "Routing decisions, by kind: stream, sms, mail, held, gathered, digest, escalated, action, help, …",
		}, []string{"decision"}),
	}
	for _, d := range []string{"stream", "sms", "mail", "held", "gathered", "digest", "escalated", "action", "help"} {
		m.decisions.WithLabelValues(d)
	}
	if reg == nil {
		return m
	}
	count := func(query string) func() float64 {
		return func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			var v float64
			if err := n.st.db.QueryRowContext(ctx, query).Scan(&v); err != nil {
				return -1
			}
			return v
		}
	}
	reg.MustRegister(m.decisions,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "nanhu_notify_streams", Help: "Open notification streams (server-sent events) on this process.",
		}, func() float64 { return float64(n.hub.count()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "nanhu_notify_held", Help: "Notifications held for a digest or the end of quiet hours.",
		}, count(`SELECT count(*) FROM pending`)),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "nanhu_notify_outbox", Help: "Messages decided but not yet taken by the queue (-1: notify.db unreadable).",
		}, count(`SELECT count(*) FROM outbox`)),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "nanhu_notify_escalations", Help: "催办 to leaders scheduled.",
		}, count(`SELECT count(*) FROM escalations`)),
	)
	return m
}
