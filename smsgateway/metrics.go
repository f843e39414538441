package smsgateway

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	partsSent   *prometheus.CounterVec
	sendErrors  *prometheus.CounterVec
	inbound     *prometheus.CounterVec
	reports     *prometheus.CounterVec
	partSeconds *prometheus.HistogramVec
	queueToSent prometheus.Histogram
}

func newMetrics(g *Gateway, reg prometheus.Registerer) *metrics {
	m := &metrics{
		partsSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nanhu_sms_parts_sent_total", Help: "SMS parts the network accepted (+CMGS), by modem.",
		}, []string{"modem"}),
		sendErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nanhu_sms_send_errors_total", Help: "Failed sends, by modem and kind (retryable or permanent).",
		}, []string{"modem", "kind"}),
		inbound: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nanhu_sms_inbound_messages_total", Help: "Received SMS stored, parts joined, by modem.",
		}, []string{"modem"}),
		reports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nanhu_sms_status_reports_total", Help: "Status reports received, by outcome (delivered, failed, pending, unmatched).",
		}, []string{"outcome"}),
		partSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "nanhu_sms_part_send_seconds", Help: "Time from AT+CMGS to the network's +CMGS answer, by modem.",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60},
		}, []string{"modem"}),
		queueToSent: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "nanhu_sms_queue_to_sent_seconds", Help: "Time from Send to the last part accepted by the network.",
			Buckets: prometheus.ExponentialBuckets(0.25, 2, 14),
		}),
	}
	for _, md := range g.modems {
		m.partsSent.WithLabelValues(md.cfg.Name)
		m.inbound.WithLabelValues(md.cfg.Name)
	}
	if reg != nil {
		reg.MustRegister(m.partsSent, m.sendErrors, m.inbound, m.reports, m.partSeconds, m.queueToSent, stateCollector{g})
	}
	return m
}

// stateCollector reads the message counts from sms.db and the modems'
// health at each scrape.
type stateCollector struct{ g *Gateway }

var (
	descMessages   = prometheus.NewDesc("nanhu_sms_messages", "Outbound SMS in sms.db, by state.", []string{"state"}, nil)
	descModemUp    = prometheus.NewDesc("nanhu_sms_modem_up", "1 when the modem is registered and taking messages.", []string{"modem"}, nil)
	descModemRSSI  = prometheus.NewDesc("nanhu_sms_modem_signal_rssi", "The modem's AT+CSQ signal, 0–31 (99 unknown).", []string{"modem"}, nil)
	descModemBusy  = prometheus.NewDesc("nanhu_sms_modem_busy", "1 while the modem is sending a message.", []string{"modem"}, nil)
	descModemCheck = prometheus.NewDesc("nanhu_sms_modem_registered", "1 when the modem's last AT+CREG? said registered (home or roaming).", []string{"modem"}, nil)
)

func (c stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descMessages, descModemUp, descModemRSSI, descModemBusy, descModemCheck} {
		ch <- d
	}
}

func (c stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if counts, err := c.g.st.Counts(ctx); err == nil {
		for _, s := range []State{Queued, Sending, Sent, Delivered, Failed} {
			ch <- prometheus.MustNewConstMetric(descMessages, prometheus.GaugeValue, float64(counts[s]), string(s))
		}
	}
	b := func(v bool) float64 {
		if v {
			return 1
		}
		return 0
	}
	for _, s := range c.g.Modems() {
		ch <- prometheus.MustNewConstMetric(descModemUp, prometheus.GaugeValue, b(s.State == ModemUp), s.Name)
		ch <- prometheus.MustNewConstMetric(descModemRSSI, prometheus.GaugeValue, float64(s.Signal), s.Name)
		ch <- prometheus.MustNewConstMetric(descModemBusy, prometheus.GaugeValue, b(s.Busy), s.Name)
		ch <- prometheus.MustNewConstMetric(descModemCheck, prometheus.GaugeValue, b(registered(s.Registration)), s.Name)
	}
}
