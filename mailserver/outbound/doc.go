// Package outbound is the persistent outbound queue of the Nanhu mail
// server: mail from local users to other domains waits here until a remote
// server has taken it, or until the sender has been told why it could not.
//
// # Flow
//
// The SMTP server calls [Queue.Enqueue] before it answers 250. Enqueue
// DKIM-signs the message when a configured key matches the domain of the
// From field (else of the envelope sender), and commits it. [Queue.Run]
// picks it up at once: the recipients of a message are grouped by domain,
// and each domain gets one SMTP transaction, to a configured smarthost or
// to the domain's MX hosts in order of preference (the domain's own address
// when it has no MX; a null MX, RFC 7505, fails at once). STARTTLS is used
// whenever offered; a certificate that does not verify is still used,
// unverified, for MX delivery (better than plaintext, and logged), never
// for a smarthost we send a password to. SMTPUTF8 and 8BITMIME are used
// when the peer offers them; a message that needs SMTPUTF8 (a UTF-8
// address or header field) fails permanently, status 5.6.7, at a peer that
// lacks it.
//
// Each recipient has its own state. A 2xx marks it delivered; a 5xx at any
// stage (greeting and EHLO only once every host has said so) fails it; a
// 4xx or a network error defers it to the next step of Options.Schedule,
// never later than MaxAge after queueing, where one last attempt is made.
// A failure of AUTH to the smarthost defers too: it is our configuration,
// not the recipient's fault. Failed recipients of one attempt share one
// failure DSN; DelayNotice after the first attempt, recipients still queued
// get one delay DSN. DSNs (RFC 3464 multipart/report, human part in Chinese
// and English) go to the envelope sender through Options.Local, never
// through SMTP, and never to the null sender <>, which rules out loops. A
// DSN the local deliverer keeps refusing is retried on the same schedule
// and dropped, with an error in the log, MaxAge after it was made.
//
// # On disk
//
// One SQLite file, Options.Path (outbound.db), in WAL mode with
// synchronous=FULL; the schema is a list of numbered migrations run at
// open, PRAGMA user_version counting those applied. Tables:
//
//   - message: envelope sender, the signed message bytes (a BLOB, so one
//     commit makes the message durable; there are no side files), whether it
//     needs SMTPUTF8 or 8BITMIME, when it was queued and first tried, and
//     when its delay notice is due.
//   - recipient: per message and address, state queued / delivered /
//     failed, attempt count, next and last attempt time, and the last
//     remote host, status code and diagnostic, which the DSNs report.
//   - notice: finished DSNs waiting to be handed to the local deliverer.
//
// A message row, with its recipients, is deleted in the commit that
// settles its last queued recipient. Times are Unix milliseconds.
//
// # Guarantees
//
//   - When Enqueue returns nil the message is on disk (fsynced commit).
//   - State is committed before it is acted on. Before connecting, an
//     attempt commits when the recipients are next due should it never
//     report back; the outcome, any DSN it causes (rendered in full) and the
//     removal of a finished message are then one commit. A crash therefore
//     loses nothing: a message being delivered at the crash is tried again
//     after the restart, at its next retry time (a message that crashes the
//     process is not retried in a tight loop). That message alone may then
//     reach its recipients twice, if the remote had taken it before the
//     crash but our commit had not happened. A DSN may likewise be handed
//     to the local deliverer twice, never lost: it is removed only after
//     the deliverer took it.
//   - When Run returns (its context ended or Close was called), every
//     attempt it started is finished and recorded, or was cut off before
//     the final dot and left queued, due at once. An attempt that had sent
//     the final dot waits for the reply (up to CommandTimeout), so that a
//     shutdown does not cause a duplicate.
//   - Retries stop MaxAge after queueing: the recipients still queued then
//     fail with status 4.4.7 and the last reply as diagnostic.
package outbound
