// Package store is the SMS gateway's database, sms.db: outbound messages
// and their parts, inbound parts and the messages joined from them, and
// the status reports the network sent back.
//
// # On disk
//
// One SQLite file in WAL mode with synchronous=FULL, so a transaction is
// on disk (fsynced) when its COMMIT returns. The schema is a list of
// numbered migrations run at Open; PRAGMA user_version counts those
// applied. Times are Unix milliseconds. Tables:
//
//   - message: one outbound SMS as the caller gave it (recipient, text,
//     idempotency key, status-report request, validity), its state
//     (queued, sending, sent, delivered, failed), the modem that has it,
//     the attempt count, the next attempt's time and the last error.
//   - part: one row per part of a message, with the modem and the message
//     reference (TP-MR) it was sent with, its own state and the last TP-ST
//     a status report gave. A status report is matched to the part by
//     (modem, reference, recipient).
//   - inbound_part: every PDU read from a modem's memory (SMS-DELIVER),
//     stored before it is deleted from the modem; unique per (modem, PDU),
//     so reading the same memory place again after a crash stores nothing
//     twice. message_id is set when the part has been joined.
//   - inbound: a received message, its parts' text joined.
//   - report: every status report received, with the part it matched.
//   - event: the outbox of the gateway's hooks, one row per state change
//     of a message and per received message, written in the transaction
//     that made it and deleted once the hook has run.
//
// # States
//
// A message is queued when stored, sending while a modem has it, sent when
// every part was accepted by the network (+CMGS), delivered when a status
// report says so for every part, failed on a permanent error, a status
// report of a permanent error for any part, or when its validity ran out
// before it could be sent. Delivered and failed are final.
package store
