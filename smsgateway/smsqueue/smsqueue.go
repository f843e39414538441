// Package smsqueue joins the SMS gateway to the queue: it consumes
// notify.sms and hands each event to the gateway (whose idempotency key
// makes a redelivered event one SMS), and publishes the gateway's state
// changes on sms.status and the SMS it receives on sms.inbound.
//
// Several gateway hosts consume notify.sms on one channel, so NSQ shares
// the load between them; each host's modems are its own.
package smsqueue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"nanhu/queue"
	"nanhu/queue/contract"
	"nanhu/smsgateway"
)

// Channel is the notify.sms channel every gateway host consumes on.
const Channel = "smsgw"

// Sender is the part of the gateway the consumer needs.
type Sender interface {
	Send(ctx context.Context, r smsgateway.Request) (smsgateway.Message, error)
}

// Bridge publishes the gateway's events. Create it before the gateway and
// put its Status and Inbound methods in smsgateway.Options.
type Bridge struct {
	q    *queue.Queue
	name string
	log  *slog.Logger
}

// New returns a bridge over q for the gateway called name (see
// NewGatewayName), which its sms.status events carry.
func New(q *queue.Queue, name string, log *slog.Logger) *Bridge {
	if log == nil {
		log = slog.Default()
	}
	return &Bridge{q: q, name: name, log: log}
}

// NewGatewayName is a name for a gateway process, unique in a cluster.
// A restarted gateway takes a new one: what it sent before is in its
// store, and for the others it is a peer like any other.
func NewGatewayName() string {
	host, _ := os.Hostname()
	if i := strings.IndexByte(host, '.'); i > 0 {
		host = host[:i]
	}
	if len(host) > 20 {
		host = host[:20]
	}
	var b [6]byte
	rand.Read(b[:])
	return strings.Trim(host+"-"+hex.EncodeToString(b[:]), "-")
}

// Status publishes a message's new state on sms.status. The gateway keeps
// the change in its outbox until this returns nil, so a failure is only a
// delay.
func (b *Bridge) Status(m smsgateway.Message) error {
	key := m.IdempotencyKey
	if key == "" {
		key = fmt.Sprintf("sms/%d", m.ID) // sent through the API without a key
	}
	ev := contract.SMSStatus{
		V: contract.SMSStatusVersion,
		// The gateway's name keeps apart the events of two gateways'
		// SMS with the same number, which consumers would else take for
		// one event delivered twice.
		ID:             fmt.Sprintf("sms-%s-%d-%s", b.name, m.ID, m.State),
		SMSID:          strconv.FormatInt(m.ID, 10),
		IdempotencyKey: key,
		State:          contract.SMSState(m.State),
		To:             m.To,
		Error:          m.Error,
		At:             m.UpdatedAt,
		Modem:          m.Modem,
		Gateway:        b.name,
	}
	return b.published(ev.Topic(), queue.Publish(context.Background(), b.q, ev))
}

// Inbound publishes a received SMS on sms.inbound, as Status does.
func (b *Bridge) Inbound(in smsgateway.InboundMessage) error {
	ev := contract.SMSInbound{
		V:        contract.SMSInboundVersion,
		ID:       fmt.Sprintf("sms-in-%s-%s-%d", b.name, in.Modem, in.ID), // two gateways may name their modems alike
		From:     in.From,
		Text:     in.Text,
		Received: in.ReceivedAt,
		Modem:    in.Modem,
	}
	return b.published(ev.Topic(), queue.Publish(context.Background(), b.q, ev))
}

func (b *Bridge) published(topic string, err error) error {
	if errors.Is(err, contract.ErrInvalid) || errors.Is(err, contract.ErrMalformed) {
		// No retry can make it valid: say so and let the outbox move on.
		b.log.Error("sms event dropped: it breaks the topic's contract", "topic", topic, "err", err)
		return nil
	}
	if err != nil {
		b.log.Error("publish sms event; the gateway will hand it over again", "topic", topic, "err", err)
	}
	return err
}

// ConsumerOptions are the notify.sms consumer's settings. The gateway's
// Send stores concurrent requests in one transaction with one fsync
// (group commit), so many handlers in flight make few fsyncs per SMS.
var ConsumerOptions = queue.ConsumerOptions{Concurrency: 64, MaxInFlight: 128}

// Consume hands every notify.sms event to g. A request the gateway finds
// invalid (a bad number, an empty text) cannot succeed on retry and goes to
// the dead-letter topic at once.
//
// peers, when not nil, knows the SMS other gateways took on: an event
// whose key one of them already has (a copy the publisher sent again to
// another nsqd after one died) is not sent a second time.
func Consume(q *queue.Queue, g Sender, peers *Peers, log *slog.Logger) (*queue.Consumer, error) {
	return queue.Consume(q, Channel, func(ctx context.Context, ev contract.NotifySMS) error {
		key := ev.IdempotencyKey
		if key == "" {
			key = ev.ID
		}
		if gw, ok := peers.Took(key); ok {
			log.Info("notify.sms not sent again: another gateway has it", "event", ev.ID, "key", key, "gateway", gw)
			return nil
		}
		m, err := g.Send(ctx, smsgateway.Request{To: ev.To, Text: ev.Text, IdempotencyKey: key, RequestedBy: "queue:" + ev.Reason})
		if errors.Is(err, smsgateway.ErrInvalid) || errors.Is(err, smsgateway.ErrKeyReused) {
			return queue.Permanent(err)
		}
		if err != nil {
			return err
		}
		log.Debug("notify.sms queued", "event", ev.ID, "sms", m.ID, "to", ev.To, "reason", ev.Reason)
		return nil
	}, ConsumerOptions)
}
