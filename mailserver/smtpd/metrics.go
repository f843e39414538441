package smtpd

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	connections  *prometheus.CounterVec
	open         prometheus.Gauge
	accepted     *prometheus.CounterVec
	refused      *prometheus.CounterVec
	authFailures *prometheus.CounterVec
	authResults  *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		connections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nanhu_smtp_connections_total", Help: "SMTP connections accepted, by listener.",
		}, []string{"listener"}),
		open: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "nanhu_smtp_connections_open", Help: "SMTP connections open now.",
		}),
		accepted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nanhu_smtp_messages_accepted_total", Help: "Messages answered with 250 after DATA/BDAT, by listener.",
		}, []string{"listener"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nanhu_smtp_refused_total", Help: "Connections, senders, recipients and messages refused, by listener and reason.",
		}, []string{"listener", "reason"}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nanhu_auth_failures_total", Help: "Failed logins, by protocol.",
		}, []string{"protocol"}),
		authResults: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nanhu_smtp_sender_checks_total", Help: "Results of the SPF, DKIM and DMARC checks of mail arriving on the MX, by method and result.",
		}, []string{"method", "result"}),
	}
	m.authFailures.WithLabelValues("smtp") // present at 0 from the start
	if reg != nil {
		reg.MustRegister(m.connections, m.open, m.accepted, m.refused, m.authFailures, m.authResults)
	}
	return m
}
