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
	"errors"
	"fmt"
	"log/slog"
	"strconv"

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
	q   *queue.Queue
	log *slog.Logger
}

// New returns a bridge over q.
func New(q *queue.Queue, log *slog.Logger) *Bridge {
	if log == nil {
		log = slog.Default()
	}
	return &Bridge{q: q, log: log}
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
		V:              contract.SMSStatusVersion,
		ID:             fmt.Sprintf("sms-%d-%s", m.ID, m.State),
		SMSID:          strconv.FormatInt(m.ID, 10),
		IdempotencyKey: key,
		State:          contract.SMSState(m.State),
		To:             m.To,
		Error:          m.Error,
		At:             m.UpdatedAt,
		Modem:          m.Modem,
	}
	return b.published(ev.Topic(), queue.Publish(context.Background(), b.q, ev))
}

// Inbound publishes a received SMS on sms.inbound, as Status does.
func (b *Bridge) Inbound(in smsgateway.InboundMessage) error {
	ev := contract.SMSInbound{
		V:        contract.SMSInboundVersion,
		ID:       fmt.Sprintf("sms-in-%s-%d", in.Modem, in.ID),
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
func Consume(q *queue.Queue, g Sender, log *slog.Logger) (*queue.Consumer, error) {
	return queue.Consume(q, Channel, func(ctx context.Context, ev contract.NotifySMS) error {
		key := ev.IdempotencyKey
		if key == "" {
			key = ev.ID
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
