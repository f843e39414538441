package queue

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	published    *prometheus.CounterVec // topic
	publishRetry *prometheus.CounterVec // topic
	publishFail  *prometheus.CounterVec // topic
	republished  prometheus.Counter
	handled      *prometheus.CounterVec // topic, channel, outcome
	deadLettered *prometheus.CounterVec // topic, cause
	handlerTime  *prometheus.HistogramVec
	nodeUp       *prometheus.GaugeVec // addr
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nanhu_queue_published_total", Help: "Events acknowledged by an nsqd, by topic.",
		}, []string{"topic"}),
		publishRetry: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nanhu_queue_publish_retries_total", Help: "Publish attempts on one nsqd that failed and were tried again, by topic.",
		}, []string{"topic"}),
		publishFail: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nanhu_queue_publish_failures_total", Help: "Events Publish gave up on and returned an error for, by topic.",
		}, []string{"topic"}),
		republished: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "nanhu_queue_republished_total", Help: "Events published again because the nsqd that had acknowledged them went away.",
		}),
		handled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nanhu_queue_messages_total", Help: "Messages a consumer received, by topic, channel and outcome (done, retry, duplicate, dead).",
		}, []string{"topic", "channel", "outcome"}),
		deadLettered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nanhu_queue_dead_letters_total", Help: "Messages sent to a dead-letter topic, by source topic and cause.",
		}, []string{"topic", "cause"}),
		handlerTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "nanhu_queue_handler_seconds", Help: "Time a handler took, by topic and channel.",
			Buckets: []float64{.0005, .001, .005, .01, .05, .1, .5, 1, 5, 30},
		}, []string{"topic", "channel"}),
		nodeUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "nanhu_queue_nsqd_up", Help: "1 while the nsqd at addr answers the producer, else 0.",
		}, []string{"addr"}),
	}
	if reg != nil {
		reg.MustRegister(m.published, m.publishRetry, m.publishFail, m.republished,
			m.handled, m.deadLettered, m.handlerTime, m.nodeUp)
	}
	return m
}
