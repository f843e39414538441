package main

import (
	"context"
	"errors"
	"log/slog"

	"nanhu/oa/notify"
	"nanhu/queue"
	"nanhu/queue/contract"
)

// queuePublisher puts routing's decisions on the queue.
type queuePublisher struct{ q *queue.Queue }

func (p queuePublisher) PublishSMS(ctx context.Context, m contract.NotifySMS) error {
	return queue.Publish(ctx, p.q, m)
}

func (p queuePublisher) PublishMail(ctx context.Context, m contract.NotifyMail) error {
	return queue.Publish(ctx, p.q, m)
}

func (p queuePublisher) PublishAction(ctx context.Context, a contract.OAAction) error {
	return queue.Publish(ctx, p.q, a)
}

// PublishBatch publishes routing's outbox a topic's run at a time, in one
// round trip (notify.BatchPublisher).
func (p queuePublisher) PublishBatch(ctx context.Context, evs []contract.Event) error {
	return queue.PublishBatch(ctx, p.q, evs)
}

// routingConsumer is how routing consumes oa.todo: HandleTodo decides the
// events that wait together in one notify.db transaction, so the more
// handlers in flight, the fewer commits per event.
var routingConsumer = queue.ConsumerOptions{Concurrency: 64, MaxInFlight: 128}

// routingChannel is the channel notification routing consumes oa.todo and
// sms.inbound on.
const routingChannel = "routing"

// startNotify runs the notification routing of to-dos (oa/notify): it
// consumes oa.todo and the SMS replies on sms.inbound, and serves the
// workbench's notification stream.
func (s *server) startNotify(ctx context.Context, cfg Config, logger *slog.Logger) error {
	opts := notify.DefaultOptions(cfg.Data)
	quiet, err := cfg.Notify.quietHours()
	if err != nil {
		return err
	}
	cal, err := cfg.Calendar.calendar()
	if err != nil {
		return err
	}
	opts.QuietStart, opts.QuietEnd = quiet.Start, quiet.End
	opts.DigestWindow = cfg.Notify.DigestWindow.Duration
	opts.EscalateAfter = cfg.Notify.EscalateAfter
	opts.AwaitReplyFor = cfg.Notify.AwaitReplyFor.Duration
	opts.IsWorkingDay = cal.IsWorkingDay
	if cfg.Notify.MailFrom != "" {
		opts.MailFrom = cfg.Notify.MailFrom
	}
	opts.Org = s.org
	opts.Publisher = queuePublisher{s.queue}
	opts.User = userOf
	opts.Logger = logger.With("part", "notify")
	n, err := notify.New(ctx, opts)
	if err != nil {
		return err
	}
	s.notify = n
	runCtx, cancel := context.WithCancel(context.Background())
	prev := s.cancel
	s.cancel = func() {
		cancel()
		if prev != nil {
			prev()
		}
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := n.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
			logger.Error("notification routing stopped", "err", err)
		}
	}()
	if _, err := queue.Consume(s.queue, routingChannel, func(ctx context.Context, ev contract.TodoEvent) error {
		return n.HandleTodo(ctx, ev)
	}, routingConsumer); err != nil {
		return err
	}
	if _, err := queue.Consume(s.queue, routingChannel, func(ctx context.Context, ev contract.SMSInbound) error {
		err := n.HandleInbound(ctx, ev)
		if errors.Is(err, notify.ErrNotForUs) {
			return nil // a citizen's SMS: the portal reads sms.inbound on its own channel
		}
		return err
	}); err != nil {
		return err
	}
	// The workbench keeps this stream open; any logged-in user may.
	s.mux.Handle("GET /api/v1/notifications/stream", s.auth.require(n.Handler()))
	return nil
}
