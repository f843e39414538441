// Package smsgateway is Nanhu's SMS gateway: a durable queue of outbound
// SMS in sms.db, a pool of GSM modems that sends them over AT commands,
// the reading of inbound SMS and of the status reports that tell whether
// a message reached its phone, and an HTTP API for all of it.
//
// The gateway stands on three packages: [nanhu/smsgateway/at] talks to
// one modem, [nanhu/smsgateway/pdu] encodes and decodes the messages,
// [nanhu/smsgateway/store] keeps them. [New] opens sms.db, [Gateway.Run]
// runs the pool, [Gateway.Send] queues a message, [Gateway.Handler] is
// the API that `nanhu serve` mounts behind its authentication.
//
// # The pool
//
// Every configured modem gets a supervisor that opens its line
// (Options.Dial: a serial port by default, a pty or pipe in tests and for
// the in-process simulator), initialises it — ESC, AT, ATE0, AT+CMEE=1,
// AT+CPIN? (and the PIN when asked), AT+CMGF=0, AT+CSCS, AT+CPMS,
// AT+CNMI=2,1,0,2,0 or the nearest setting the modem takes, AT+CSCA when an
// SMSC is configured — and then asks AT+CSQ and AT+CREG? every
// HealthInterval. A modem is up while it is registered (+CREG status 1 or
// 5). When its line fails (EOF, EIO: the USB stick went away) or a health
// check gets no proper answer, the line is closed, opened again with
// backoff and the modem initialised again. A PIN the SIM refuses is never
// tried twice.
//
// A modem that refuses PDU mode (or is configured with Mode "text") is
// driven in text mode, AT+CMGF=1: see textmode.go for what changes, chiefly
// that a long text goes as separate SMS, one per part, which the phone
// does not join. ModemStatus.Mode says which mode a modem is in.
//
// A dispatcher gives each queued message, oldest due first, to the free
// modem used least recently; a modem sends one message at a time, all its
// parts itself (a phone joins parts only when they come from the same
// number), each part spaced by the modem's RatePerMinute.
//
// # Outbound states
//
// queued → sending → sent → delivered, or failed. Send commits the message
// (fsynced, see package store) before it returns, with one row per part.
// A modem's +CMGS answer is committed per part with the message reference
// it gave; when the last part is in, the message is sent. A status report
// read later is matched to the part by (modem, reference, recipient);
// the message is delivered when every part is, failed when the network
// reports a permanent error for any part.
//
// A send that fails in a way another try may cure — the port closed, no
// prompt or no answer in time, a +CMS ERROR of the modem or of passing
// network trouble (500, 512, 331, 42…, see at.Error.Retryable) — takes
// the modem out of the pool for RecheckDelay and puts the message back in
// the queue, whole: the next attempt, at once, goes to another modem when
// there is one, later ones back off from RetryMin to RetryMax. Any other
// error (an unassigned or barred number, a rejected message) fails the
// message with the modem's error text. A message still queued when its
// validity runs out fails too.
//
// # Crashes and duplicates
//
// No SMS is lost: a message is on disk before Send returns, and stays
// queued or sending until the network has taken every part. After a crash,
// New puts the messages left in "sending" back in the queue. Only those can
// reach their recipient twice — the network may have taken some or all of
// their parts just before the crash — and since a modem sends one message
// at a time, that is at most one message per modem. A message whose send
// timed out after the PDU was written (at.Error.PDUSent) is retried the
// same way and may likewise arrive twice. Nothing else is ever sent again.
//
// # Inbound
//
// Arriving SMS and status reports are stored in the modem and announced
// (+CMTI, +CDSI); each announcement is read with AT+CMGR, and every
// SweepInterval AT+CMGL=4 (AT+CMGL="ALL" in text mode, where the PDU is
// rebuilt from the fields shown) lists the memory for anything whose
// announcement was missed (a restart, a modem that does not announce).
// Each PDU read is
// committed to sms.db first and deleted from the modem (AT+CMGD) only
// after that commit; reading it again after a crash stores nothing twice
// (parts are unique per modem and PDU). Routed ones (+CMT, +CDS) are
// stored as they come. Parts are joined by a pdu.Reassembler per modem,
// fed back from sms.db at start-up; a message whose other parts have not
// come within ReassemblyTimeout is stored with what came.
//
// # Hooks
//
// OnInbound gets every stored message and OnStatus every message that
// became sent, delivered or failed, in order, from one goroutine. Each
// change is written to an outbox table in the transaction that makes it
// and removed after the hook returned, so a crash in between makes the
// next start call the hook again: at least once, never lost. A hook that
// publishes to the queue may block until it has; the gateway goes on.
package smsgateway
