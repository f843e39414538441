// Package at drives a GSM modem with AT commands (3GPP TS 27.007 and
// 27.005) over a serial line, or anything else that reads and writes bytes.
//
// # One command at a time
//
// A [Conn] sends one command, waits for its final result (OK, ERROR,
// +CMS ERROR: <n>, +CME ERROR: <n>, NO CARRIER, …) and returns the lines of
// information in between. A reader goroutine splits what the modem sends
// into lines at CR or LF, and sorts each line:
//
//   - the echo of the command (echo on) and of the PDU is dropped;
//   - a final result ends the command in hand (or is dropped when none is);
//   - an unsolicited result code — +CMTI, +CDSI, +CMT and +CDS (whose PDU is
//     the next line), +CREG, RING, ^RSSI, ^BOOT, ^MODE and every other
//     vendor "^" line — goes to the handlers registered with [Conn.Handle],
//     even when it arrives between the lines of a response, unless the
//     command asked for that very code (AT+CREG? wants its +CREG line);
//   - every other line is part of the response, or, with no command in
//     hand, an unsolicited line for the catch-all handler.
//
// Handlers run on their own goroutine, in arrival order, so a handler may
// itself send commands.
//
// # Sending SMS
//
// [Conn.SMSCommand] sends AT+CMGS=<n> (or AT+CMGW), waits for the "> "
// prompt (0x3E 0x20, no line end) for Options.PromptTimeout, writes the PDU
// and Ctrl-Z, and waits for the final result for its timeout (60 s by
// default, as smstools3 does). When the prompt does not come, or the result
// does not, or the context ends, it writes ESC so the modem drops the input,
// and returns an error; a timeout after Ctrl-Z has [Error.PDUSent] set: the
// network may have taken the message.
//
// After a command timed out, its late answer must not be taken for the
// answer to the next one. So the next command is preceded by a probe,
// Options.ResyncProbe (AT+CMEE?): a modem answers in order, so every late
// answer comes before the probe's, which is known by its "+CMEE:" line;
// final results before it are dropped.
//
// # Errors and a vanished port
//
// Failures are [*Error] values: the kind (plain ERROR, +CMS ERROR,
// +CME ERROR, timeout, other final result), the numeric code and the
// command. [Error.Retryable] tells a failure worth another try (network
// congestion, a busy SIM, a timeout, a modem-side fault another modem may
// not have) from one that would fail again (an unassigned number, barring,
// a malformed PDU).
//
// Garbage never wedges the reader: control bytes are stripped from lines,
// and a line longer than Options.MaxLine is thrown away up to its end.
// When a read or write fails (EOF, EIO: the USB stick re-enumerated), the
// Conn is finished: the command in hand and every later call fail at once
// with an error wrapping [ErrPortClosed], and [Conn.Done] is closed so the
// owner can reopen the device. Note that github.com/tarm/serial returns
// io.EOF when its ReadTimeout expires; open the port without a read timeout
// (reads block until Close), or an idle line looks like a vanished one.
package at
