// Package notifyqueue joins notification routing (oa/notify) to the queue,
// as mailqueue does for the mail server and smsqueue for the SMS gateway:
// it consumes oa.todo and the SMS replies on sms.inbound, and puts
// routing's decisions (notify.sms, notify.mail, oa.action) on the queue.
package notifyqueue

import (
	"context"
	"errors"

	"nanhu/oa/notify"
	"nanhu/oa/org"
	"nanhu/queue"
	"nanhu/queue/contract"
)

// Channel is the channel routing consumes oa.todo and sms.inbound on.
const Channel = "routing"

// ConsumerOptions is how routing consumes oa.todo: HandleTodo decides the
// events that wait together in one notify.db transaction, so the more
// handlers in flight, the fewer commits per event.
var ConsumerOptions = queue.ConsumerOptions{Concurrency: 64, MaxInFlight: 128}

// Publisher puts routing's decisions on the queue; it is a
// notify.BatchPublisher.
type Publisher struct{ Q *queue.Queue }

// PublishSMS implements notify.Publisher.
func (p Publisher) PublishSMS(ctx context.Context, m contract.NotifySMS) error {
	return queue.Publish(ctx, p.Q, m)
}

// PublishMail implements notify.Publisher.
func (p Publisher) PublishMail(ctx context.Context, m contract.NotifyMail) error {
	return queue.Publish(ctx, p.Q, m)
}

// PublishAction implements notify.Publisher.
func (p Publisher) PublishAction(ctx context.Context, a contract.OAAction) error {
	return queue.Publish(ctx, p.Q, a)
}

// PublishBatch publishes routing's outbox a topic's run at a time, in one
// round trip (notify.BatchPublisher).
func (p Publisher) PublishBatch(ctx context.Context, evs []contract.Event) error {
	return queue.PublishBatch(ctx, p.Q, evs)
}

// Consume hands oa.todo and sms.inbound to n. A received SMS that is not
// a staff member's reply is left to its other consumers (the portal reads
// sms.inbound on its own channel). Stop the consumers before n closes.
func Consume(q *queue.Queue, n *notify.Notifier) ([]*queue.Consumer, error) {
	todos, err := queue.Consume(q, Channel, func(ctx context.Context, ev contract.TodoEvent) error {
		return n.HandleTodo(ctx, ev)
	}, ConsumerOptions)
	if err != nil {
		return nil, err
	}
	replies, err := queue.Consume(q, Channel, func(ctx context.Context, ev contract.SMSInbound) error {
		err := n.HandleInbound(ctx, ev)
		if errors.Is(err, notify.ErrNotForUs) {
			return nil
		}
		return err
	})
	if err != nil {
		todos.Stop()
		return nil, err
	}
	return []*queue.Consumer{todos, replies}, nil
}

// ActionChannel is the channel OA's documents consume oa.action on.
const ActionChannel = "docflow"

// Actor carries out oa.action events; docflow.Store is one.
type Actor interface {
	HandleAction(ctx context.Context, a contract.OAAction) (refusal string, err error)
}

// Mobiles finds an official's registered mobile.
type Mobiles interface {
	User(ctx context.Context, login string) (org.User, error)
}

// ConsumeActions hands oa.action (an official's SMS reply) to a. An
// action the task no longer allows is answered by SMS with the reason.
func ConsumeActions(q *queue.Queue, a Actor, m Mobiles) (*queue.Consumer, error) {
	return queue.Consume(q, ActionChannel, func(ctx context.Context, ev contract.OAAction) error {
		why, err := a.HandleAction(ctx, ev)
		if err != nil || why == "" || ev.Source != contract.SourceSMS {
			return err
		}
		u, err := m.User(ctx, ev.Login)
		if err != nil || u.Mobile == "" {
			return nil
		}
		sms := contract.NotifySMS{V: contract.NotifySMSVersion, ID: contract.NewID(), To: u.Mobile, Login: ev.Login,
			Text: "【南湖】未能办理：" + why, IdempotencyKey: "oa.action/" + ev.ID + "/refused", Reason: "action.refused", TodoID: ev.TodoID}
		return queue.Publish(ctx, q, sms)
	})
}
