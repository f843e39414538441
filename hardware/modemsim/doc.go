// Package modemsim is a GSM modem on a pseudo-terminal, with a simulated
// network behind it. No modem is plugged into Nanhu's machines, so this is
// how the SMS gateway is developed, tested and demonstrated, and how
// software nobody here wrote (gammu, smstools' smsd, Kannel) is shown to
// work with what the gateway works with.
//
// # The line
//
// [Sim.Start] opens a pty pair, puts both ends in raw mode and makes a
// symbolic link to the slave at [Options.Link], replacing a stale link. A
// client opens the link as it would /dev/ttyUSB0 and speaks AT commands
// (3GPP TS 27.007 and 27.005) the way a Huawei E173 answers them:
//
//   - input is buffered up to CR, whether it comes in one write or one byte
//     at a time; LF is ignored, backspace edits, ESC drops the line; text
//     before "AT" on a line is ignored, a line without "AT" is ignored;
//   - echo is on after reset (ATE1), off with ATE0; with echo on the PDU or
//     text typed after the "> " prompt is echoed too;
//   - answers are framed "\r\n<info>\r\n" and "\r\nOK\r\n" (ATV0 gives the
//     numeric forms); a command it does not know gets ERROR, as gammu's
//     probes AT+MODE=2, AT+CPROT=? and AT$TSSPCSW=? need;
//   - commands chain with ";" (AT+CMEE=1;+CREG=2) and basic ones run
//     together (ATE0V1); the first error ends the chain;
//   - errors are "+CME ERROR: <n>" for 27.007 commands as AT+CMEE asks
//     (0 plain ERROR, 1 numeric, 2 text) and "+CMS ERROR: <n>" for SMS
//     commands (numeric unless AT+CMEE=2);
//   - unsolicited result codes (+CMTI, +CMT, +CDSI, +CDS, +CREG, RING,
//     ^RSSI) come as whole lines, also between the lines of a response
//     and while a send waits for the network, never inside the "> " input.
//
// Commands: AT, ATZ, AT&F, ATI, ATE, ATV, ATQ, ATH, AT+GCAP, AT+CGMI, AT+CGMM,
// AT+CGMR, AT+CGSN, AT+CIMI, AT+CNUM, AT+CFUN, AT+CPIN, AT+CMEE, AT+CSQ,
// AT+CREG, AT+COPS?, AT+CLIP, AT+CSCS, AT+CSCA, AT+CMGF, AT+CSDH, AT+CSMP, AT+CSMS,
// AT+CPMS, AT+CNMI, AT+CMGS, AT+CMGW, AT+CMSS, AT+CMGL, AT+CMGR, AT+CMGD,
// AT+CNMA, AT+CMMS, AT^CURC, AT^PORTSEL, each with its "?" and "=?" forms where the
// standard has them.
//
// SMS are exchanged in PDU mode (AT+CMGF=0, the default; AT+CMGS=<n> counts
// the TPDU octets without the SMSC field) or text mode (AT+CMGF=1,
// AT+CMGS="<number>"), as TS 27.005 has text mode: strings in the
// character set of AT+CSCS (GSM and IRA are taken as UTF-8, UCS2 is hex
// UTF-16); the text typed after AT+CMGS read as AT+CSMP's first octet and
// TP-DCS say (GSM 7-bit text in the character set, at most 160 septets;
// UCS2 or 8-bit user data in hex whatever the character set, a user data
// header with it when the first octet has TP-UDHI); messages read back
// the same way, AT+CSDH=1 adding <fo>, <pid>, <dcs>, <sca> and <length>
// (see textmode.go). [Options.TextOnly] makes a modem without PDU mode,
// which answers AT+CMGF=0 with ERROR. Storage is real: SM and ME memories
// with [Options.SMSlots] and [Options.MESlots] places, chosen with
// AT+CPMS, read with AT+CMGR and AT+CMGL (a read marks REC UNREAD as REC
// READ), emptied only by AT+CMGD (by index, or by delflag 1–4).
// AT+CNMI decides how arriving SMS and status reports are announced:
// mt=0 store quietly, mt=1 or 3 store and send +CMTI: "<mem>",<index>,
// mt=2 route them directly as +CMT (acknowledged with AT+CNMA after
// AT+CSMS=1); ds=0 stores status reports quietly, ds=1 routes them as +CDS,
// ds=2 stores them and sends +CDSI. With mode 0 the indications are kept
// until a later AT+CNMI with mode 1 or 2 (and bfr 0) lets them out.
//
// # The network
//
// Every SMS submitted with AT+CMGS (or AT+CMSS) is carried: after
// [Options.SendLatency] the network accepts it and the modem answers
// "+CMGS: <mr>", with a message reference counting up from 1 and wrapping
// at 255 to 0. The simulator keeps what it carried with the text decoded
// and the parts of a concatenated message joined by their reference. When
// the SUBMIT asked for a status report, an SMS-STATUS-REPORT ("delivered")
// arrives [Options.ReportDelay] later. SMS made to arrive through the
// control API are encoded as SMS-DELIVER (several parts for a long Chinese
// text) and stored in the receive memory or routed, as AT+CNMI says.
//
// # Control API
//
// [Sim.Handler] serves JSON over HTTP; `nanhu modemsim --control ADDR` puts
// it on its own listener and `nanhu serve` under /sim/.
//
//	GET /messages
//	    What the network carried, oldest first:
//	    [{"to":"+8613800000000","text":"测试短信","parts":1,"total":1,
//	      "complete":true,"pdus":["0011000D91683108…"],
//	      "at":"2026-11-25T10:00:00+08:00","ref":1,"refs":[1],
//	      "report":true,"mode":"pdu"}]
//	    "parts" counts the parts received, "total" the parts announced in
//	    the concatenation header; "ref" is the first part's message
//	    reference and "refs" all of them; text-mode sends have no "pdus".
//	DELETE /messages
//	    Forgets them.
//	POST /inbound {"from":"+8613900000000","text":"同意"}
//	    An SMS arrives from that number: 200 {"parts":1,"storage":"SM",
//	    "indexes":[1]} (indexes is empty when +CMT routed it directly);
//	    507 when the receive memory is full or storage-full is injected;
//	    503 without network (no-network fault or AT+CFUN=0); 400 for an
//	    empty number or text.
//	POST /ring {"from":"+8613900000000","count":3}
//	    An incoming call: RING (with +CLIP after AT+CLIP=1) every
//	    two seconds, count times or until ATH.
//	GET /status
//	    The modem's settings and the memories' use.
//	GET /faults
//	    The faults in force: [{"kind":"no-network","since":"…"}].
//	POST /faults {"kind":"…","for":"70s","now":false}
//	    Injects a fault (204); an unknown kind gets 400 and the list:
//	      no-network    +CREG stat 2 (searching), +CSQ: 99,99, +COPS: 0;
//	                    sends fail with +CMS ERROR: 331. Until cleared.
//	      sim-pin       AT+CPIN? answers +CPIN: SIM PIN; every command but
//	                    identification, AT+CPIN, AT+CMEE, ATE/ATZ gets
//	                    +CME ERROR: 11 until AT+CPIN="<Options.PIN>"
//	                    (default 1234; a wrong one gets +CME ERROR: 16).
//	      cms-330, cms-331, cms-500, cms-512
//	                    the next send fails with that +CMS ERROR code,
//	                    after the network's latency. Once.
//	      no-prompt     the next AT+CMGS gets no "> "; what is typed is
//	                    still taken, so a client that gives up must ESC.
//	      slow-send     the next send takes "for" (default 70 s) before
//	                    +CMGS; the SMS is carried all the same.
//	      garbage       random bytes on the line, now. Not kept.
//	      storage-full  arriving SMS are refused (507), status reports
//	                    dropped, AT+CMGW gets +CMS ERROR: 322 and AT+CPMS?
//	                    shows every memory full. Until cleared.
//	      vanish        at the next command line (or at once with
//	                    "now":true) the device disappears: the pty is
//	                    closed and the link removed, and "for" later
//	                    (default 1 s) a new pty appears at the same link,
//	                    a modem fresh from reset. A send in hand then is
//	                    not carried.
//	DELETE /faults
//	    Clears them all (and a sim-pin fault's PIN request).
//
// # Codec
//
// The simulator does not encode PDUs itself: it is given a [Codec] (Nanhu's
// smsgateway/pdu, wired by cmd/nanhu), because hardware/ must not import
// the gateway that drives it.
package modemsim
