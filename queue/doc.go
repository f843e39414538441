// Package queue carries Nanhu's events over NSQ: from the parts that
// produce them (OA, the SMS gateway) to the parts that act on them
// (notification routing, the SMS gateways, the mail server, the portal).
// The topics and their JSON are defined in the contract subpackage; the
// text below is also the README's section on the queue.
//
// # Queue (NSQ)
//
// By default `nanhu serve` runs nsqd in-process, with its disk queues in
// the data folder (DATA/nsqd) and two listeners on loopback: TCP
// 127.0.0.1:4150 for publishers and consumers, HTTP 127.0.0.1:4151 for
// /pub, /stats and /ping. Given nsqd addresses (`--nsqd host:4150,…`)
// and/or nsqlookupd HTTP addresses (`--nsqlookupd host:4161,…`) it runs
// no nsqd and joins that cluster: events go to one nsqd that answers
// (the next one when it does not), consumers find every nsqd that has
// their topic through nsqlookupd (or connect to each given nsqd). SMS
// gateway hosts (`nanhu smsgw`) consume notify.sms on one shared channel
// and so share the load.
//
// Topics (each message is JSON with a version "v" and an event id "id";
// a consumer that finished an id drops it when it comes again):
//
//	topic        message      from → to
//	oa.todo      TodoEvent    oa → notification routing: a to-do created, reassigned, done or overdue
//	notify.sms   NotifySMS    routing → SMS gateways: an SMS to send, once per idempotency_key
//	notify.mail  NotifyMail   routing → mail server: a notification mail into a user's INBOX
//	sms.inbound  SMSInbound   SMS gateways → routing (replies), portal (citizens)
//	sms.status   SMSStatus    SMS gateways → routing: queued, sending, sent, delivered, failed
//	oa.action    OAAction     routing → oa: an action on a to-do asked for by SMS reply
//	portal.case  PortalCase   portal → oa: a citizen's case opened, added to, rated or reopened
//	oa.case      OACase       oa → portal: a case accepted, not accepted, assigned, extended, replied, closed
//	mail.case    MailCase     mail server → portal: a mail to a case address (xinxiang@…), decoded
//	<topic>.dead DeadLetter   messages a consumer gave up on, with the reason
//
// Version 1 of each, by example:
//
//	oa.todo      {"v":1,"id":"01JDQ3V7J8ZQ4M2X9K6T5R0A1B","type":"created","at":"2026-11-25T09:30:00+08:00",
//	              "todo":{"id":"todo-8812","assignee":"zhangwei","title":"关于加强电子政务建设的通知",
//	              "doc_number":"秀政发〔2004〕12号","urgency":"特急","due":"2026-11-26T17:00:00+08:00",
//	              "actions":["approve","return"],"step":"签发","url":"https://oa.example/todo/8812"}}
//	             type: created, reassigned (with "previous_assignee"), done, overdue;
//	             urgency: 特急, 加急, 平件; due, at, doc_number, actions, step, url optional
//	notify.sms   {"v":1,"id":"…","to":"+8613800138000","text":"【南湖】您有1件待办：…回复1同意 2退回",
//	              "login":"zhangwei","idempotency_key":"todo-8812/created","reason":"todo.created","todo_id":"todo-8812"}
//	notify.mail  {"v":1,"id":"…","to_login":"zhangwei","subject":"【待办】关于加强电子政务建设的通知",
//	              "body":"您有1件待办……","from":"南湖办公系统","idempotency_key":"…","reason":"todo.created","todo_id":"todo-8812"}
//	sms.inbound  {"v":1,"id":"…","from":"+8613800138000","text":"1","received":"2026-11-25T09:41:07+08:00","modem":"modem0"}
//	sms.status   {"v":1,"id":"…","sms_id":"42","idempotency_key":"todo-8812/created","state":"failed",
//	              "to":"+8613800138000","error":"+CMS ERROR: 38","at":"…","modem":"modem0"}
//	oa.action    {"v":1,"id":"…","todo_id":"todo-8812","login":"zhangwei","action":"approve",
//	              "source":"sms","source_ref":"<sms.inbound id>","comment":"同意","at":"…"}
//	*.dead       {"v":1,"topic":"oa.todo","channel":"routing","reason":"oa.todo: unknown message version: version 2 (this build reads version 1)",
//	              "cause":"version","attempts":1,"message_id":"…","event_id":"…","failed_at":"…","body":"<the original message>"}
//
// Logins follow the directory (a-z 0-9 . _ -), mobiles are E.164, times
// RFC 3339 with their offset. A field added later keeps the version;
// readers ignore fields they do not know.
//
// # Publishing a to-do by hand
//
// With `nanhu serve` running, post an event to nsqd's HTTP /pub (the id
// must be new each time, or the consumer drops it as already handled):
//
//	curl -d '{"v":1,"id":"demo-0001","type":"created","todo":{"id":"todo-demo-1","assignee":"zhangwei","title":"关于加强电子政务建设的通知","doc_number":"秀政发〔2004〕12号","urgency":"特急","due":"2026-11-26T17:00:00+08:00","actions":["approve","return"]}}' 'http://127.0.0.1:4151/pub?topic=oa.todo'
//
// nsqd answers OK. What is waiting where:
//
//	curl -s 'http://127.0.0.1:4151/stats?format=json&topic=oa.todo'       # depth, in flight, per channel
//	curl -s 'http://127.0.0.1:4151/stats?format=json&topic=oa.todo.dead'  # what consumers gave up on
//
// # Guarantees
//
//   - Publish returns nil only once an nsqd has acknowledged the event.
//     Otherwise it retries, over every nsqd, with growing pauses (10
//     rounds from 100 ms up to 5 s between rounds, 5 s per try), then
//     logs and returns an error: nothing is dropped silently. A caller
//     that must not lose an event keeps it until Publish returns nil.
//     PublishBatch sends several events of one topic in one round trip
//     (MPUB); nsqd takes all of them or none, and the same holds.
//   - With an external cluster, the events an nsqd acknowledged in the
//     last 10 s before its connection broke are published again to
//     another nsqd (a killed nsqd loses what it had not yet synced or
//     delivered); consumers drop the copies they already handled.
//   - Delivery is at least once. A consumer remembers the event ids it
//     handled for 24 h (100,000 per consumer in memory, and in a
//     DedupStore when the part gives one, e.g. a table in its own
//     SQLite) and drops a second delivery; two deliveries of one id are
//     never handled at the same time.
//   - A handler that fails is retried after 1 s, 2 s, 4 s … (up to
//     2 min); after 5 attempts, or at once when it returns
//     queue.Permanent(err), the message goes to <topic>.dead with the
//     reason, and a WARN line says why. A body that is not JSON, has a
//     "v" this build does not read, or breaks its type's rules goes to
//     <topic>.dead at once; the consumer goes on. A dead-letter topic
//     keeps its messages until someone subscribes to it.
//   - Close (on SIGTERM) stops taking messages, lets the handlers finish
//     the ones in hand (30 s at most) and acknowledges them, then stops
//     the embedded nsqd, which writes what it holds in memory to disk.
//     The embedded nsqd keeps up to 10,000 messages per topic and
//     channel in memory and fsyncs its disk queues every 2,500 messages
//     or 2 s (nsqd's defaults; Options.MemQueueSize and SyncEvery change
//     them): a crash of the whole process may lose what was in memory.
//
// # In Go
//
//	q, err := queue.New(ctx, queue.DefaultOptions(dataDir))
//	defer q.Close()
//	err = queue.Publish(ctx, q, contract.TodoEvent{V: contract.TodoVersion, ID: contract.NewID(),
//		Type: contract.TodoCreated, Todo: contract.Todo{ID: "todo-8812", Assignee: "zhangwei", …}})
//	c, err := queue.Consume(q, "routing", func(ctx context.Context, ev contract.TodoEvent) error {
//		… // nil: done; error: retried, then dead-lettered
//	})
//
// Metrics: nanhu_queue_published_total, nanhu_queue_publish_retries_total,
// nanhu_queue_publish_failures_total, nanhu_queue_republished_total,
// nanhu_queue_messages_total{topic,channel,outcome}, nanhu_queue_dead_letters_total,
// nanhu_queue_handler_seconds, nanhu_queue_nsqd_up.
package queue
