// Package notify is Nanhu's notification routing: it decides how each
// official hears of a to-do, and turns SMS replies into actions on it.
//
// It reads oa.todo events (HandleTodo) and sms.inbound messages
// (HandleInbound), and writes notify.sms, notify.mail and oa.action
// through a Publisher; it knows people, mobiles, preferences and leaders
// through the organisation directory (oa/org). The lead's queue consumers
// call the two handlers; `nanhu serve` mounts Handler and runs Run.
//
// # Routing a to-do event
//
// For the recipient of each event (the assignee; for a 催办, their leader):
//
//   - Online, that is with a notification stream open on this process
//     (GET /api/v1/notifications/stream, server-sent events): the event
//     goes to the stream only.
//   - Offline: an SMS to the registered mobile, and a mail into the INBOX
//     when the user's preferences ask for it (or when there is no mobile).
//     Mail is never held back; SMS is:
//   - Quiet hours (22:00–07:00 Asia/Shanghai, or the user's own): only
//     特急 goes out; the rest waits for 07:00.
//   - Digests: the first to-do goes out at once and opens a 5-minute
//     window; further to-dos for the same person in it are gathered and
//     sent at its end, one alone as its usual SMS, several as one
//     【南湖】您有3件新待办：… (which opens the next window). 特急 is never
//     held. Digested to-dos are not answerable by reply.
//   - overdue: a 催办 SMS to the assignee, and one working day later (days
//     off skipped; Options.IsWorkingDay, Monday to Friday until a holiday
//     calendar exists) one to the leader of the assignee's department
//     (org.Directory.LeaderOf), unless a done event came first. There is
//     one level of 催办; it does not climb further.
//   - done cancels whatever is held, scheduled or awaiting an answer for
//     the to-do, and is final for its id; reassigned drops what was held
//     for the previous assignee and notifies the new one.
//
// SMS texts fit one 70-character UCS2 SMS where they can (titles are cut
// with …), e.g. 【南湖】您有1件待办：关于加强电子政务建设的通知（秀政发〔2004〕12号），请于11月26日前处理。回复1同意 2退回.
// The reply digits are fixed: 1 同意 (approve), 2 退回 (return), 3 驳回
// (reject); a hint names only those the to-do allows.
//
// # Replies
//
// An SMS from a registered mobile answering a notification ("1", "同意",
// "1 A3", "A3 退回", "同意，请抓紧落实") becomes an oa.action for the to-do,
// from the owner of that number, if the to-do still waits for them and
// allows the action; a confirmation SMS answers it. When several to-dos
// await an answer from one person, each new notification SMS carries a
// short code (回复“1 A3”同意) and a reply without one gets a help SMS that
// lists them. Anything else gets a short help SMS (at most 3 an hour per
// person). An SMS from an unregistered number is ErrNotForUs: the portal's.
//
// # On disk
//
// notify.db in the data folder (SQLite, WAL): processed event ids (30
// days), the last state of each to-do, held notifications and digest
// windows, scheduled 催办, notifications awaiting a reply with their
// codes, an outbox, and a log of every decision and reply (180 days).
// Every decision and the messages it makes are committed in one
// transaction and published from the outbox after it; a message the
// queue does not take stays there and Run retries it, so nothing decided
// is lost. NotifySMS idempotency keys derive from the event id
// (nt/<event id>/sms, …/escalate, nt/<inbound id>/confirm, …), so a
// message published twice is sent once.
//
// # Wiring
//
//	opts := notify.DefaultOptions(dataDir)
//	opts.Org, opts.Publisher = dir, pub // pub: PublishSMS etc. call queue.Publish
//	opts.User, opts.Logger, opts.Registerer = userOf, logger, reg
//	n, err := notify.New(ctx, opts)
//	go n.Run(ctx)
//	defer n.Close()
//	queue.Consume(q, "routing", n.HandleTodo)
//	queue.Consume(q, "routing", func(ctx context.Context, m contract.SMSInbound) error {
//		if err := n.HandleInbound(ctx, m); !errors.Is(err, notify.ErrNotForUs) {
//			return err
//		}
//		return nil // a citizen's SMS: the portal reads it on its own channel
//	})
//	mux.Handle(notify.StreamPath, requireLogin(n.Handler()))
//
// # Promises and limits
//
//   - An event id is handled once; redelivery sends nothing twice.
//   - A reply never acts on a to-do that does not await it from the
//     sender's own number, nor with an action the to-do does not allow.
//   - Presence is per process: with several web nodes, a user online on
//     one is offline on the others. A shared presence (a topic or table
//     the nodes heartbeat into) is a later step.
//   - The clock, the zone, quiet hours, the digest window, the escalation
//     delay and the working-day calendar are Options.
package notify
