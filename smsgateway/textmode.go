package smsgateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"nanhu/smsgateway/at"
	"nanhu/smsgateway/pdu"
	"nanhu/smsgateway/store"
)

// Text mode (TS 27.005 AT+CMGF=1) is the fallback for modems that refuse
// PDU mode, or are configured with Mode "text". What changes:
//
//   - Sending: AT+CSMP sets the first octet (17, or 49 with a status
//     report requested), the validity and the coding (TP-DCS 8 for UCS2,
//     0 for GSM 7-bit); AT+CMGS="<number>" takes the text. A text of plain
//     ASCII letters, digits and punctuation is typed as it is after
//     AT+CSCS="GSM"; any other goes after AT+CSCS="UCS2", number and text
//     in hex. UCS2 user data is hex whatever the character set.
//   - Long texts: a message that needs several parts is sent as that many
//     separate SMS, one per part, each with its part's text and no user
//     data header, so the phone shows them one after another and does not
//     join them. Each part is recorded as in PDU mode (modem, message
//     reference, states), and its status report counts for it. TS 27.005
//     lets text mode carry a header (TP-UDHI in <fo>, the user data in
//     hex), but how a modem takes one with GSM 7-bit text is not settled,
//     and a modem that ignores the bit shows the header to the reader as
//     stray characters. Of the reference systems only gammu joins parts
//     in text mode, and only of GSM text (hex user data with the header):
//     it refuses Unicode text in text mode on all but Nokia phones, so a
//     Chinese text does not go at all; smstools and Kannel send in PDU
//     mode, which a text-only modem lacks. Separate SMS reach every phone
//     readably.
//   - Reading: AT+CSCS="UCS2" (when the modem has it) makes every string
//     hex, so no text can pass for a result code or a line break;
//     AT+CSDH=1 (when taken) adds <fo> and <dcs>, which tell UCS2 text and
//     user data headers apart, so long texts received are joined as in
//     PDU mode. The PDU is rebuilt from the fields shown (see
//     textRecord.pdu) and goes the way of a PDU read in PDU mode: stored,
//     then deleted from the modem.
//
// Without the UCS2 character set, text that is not plain ASCII cannot be
// sent in GSM 7-bit (Chinese texts still can: their user data is hex) and
// texts received are read as the modem types them.

// Values of ModemConfig.Mode and ModemStatus.Mode.
const (
	ModeAuto = ""     // PDU mode when the modem takes it, else text mode
	ModePDU  = "pdu"  // TS 27.005 PDU mode only
	ModeText = "text" // TS 27.005 text mode
)

// lineSetup is what initialise set up on the current line; guarded by
// modem.line.
type lineSetup struct {
	text    bool   // text mode (AT+CMGF=1), else PDU mode
	ucs2    bool   // the modem takes AT+CSCS="UCS2"
	details bool   // AT+CSDH=1 was taken: +CMGR and +CMT show <fo>, <dcs>…
	cscs    string // the character set now
	csmp    string // the AT+CSMP command last taken
}

// refused reports whether err is the modem answering a command with an
// error, as opposed to the line failing or nothing coming in time.
func refused(err error) bool {
	var ae *at.Error
	return errors.As(err, &ae) && ae.Kind != at.Timeout
}

// setMode chooses PDU or text mode as the configuration says, and sets
// text mode up. m.line is held.
func (m *modem) setMode(ctx context.Context, c *at.Conn) error {
	m.ls = lineSetup{}
	if m.cfg.Mode != ModeText {
		_, err := command(ctx, c, "AT+CMGF=0")
		switch {
		case err == nil:
			command(ctx, c, `AT+CSCS="GSM"`) // PDU mode does not use it; some firmware wants it set
			return nil
		case m.cfg.Mode == ModePDU || !refused(err):
			return fmt.Errorf("initialise: PDU mode: %w", err)
		}
		m.log.Warn("modem refuses PDU mode; trying text mode, in which long texts go as separate SMS", "err", err)
	}
	if _, err := command(ctx, c, "AT+CMGF=1"); err != nil {
		return fmt.Errorf("initialise: text mode: %w", err)
	}
	m.ls.text = true
	if _, err := command(ctx, c, `AT+CSCS="UCS2"`); err == nil {
		m.ls.ucs2, m.ls.cscs = true, "UCS2"
	} else {
		if !refused(err) {
			return fmt.Errorf("initialise: %w", err)
		}
		m.log.Warn(`modem in text mode refuses AT+CSCS="UCS2": texts that are not plain ASCII or Chinese cannot be sent, received ones are read as typed`, "err", err)
		if _, err := command(ctx, c, `AT+CSCS="GSM"`); err == nil {
			m.ls.cscs = "GSM"
		}
	}
	if _, err := command(ctx, c, "AT+CSDH=1"); err == nil {
		m.ls.details = true
	} else if !refused(err) {
		return fmt.Errorf("initialise: %w", err)
	}
	return nil
}

// charset makes cs the TE character set. m.line is held.
func (m *modem) charset(ctx context.Context, c *at.Conn, cs string) error {
	if m.ls.cscs == cs {
		return nil
	}
	if _, err := command(ctx, c, fmt.Sprintf(`AT+CSCS="%s"`, cs)); err != nil {
		return err
	}
	m.ls.cscs = cs
	return nil
}

// sender prepares msg for m's line: how many parts it takes there, and a
// function that sends part i (from 0) with m.line held.
func (m *modem) sender(msg Message, log *slog.Logger) (int, func(context.Context, *at.Conn, int) ([]string, error), error) {
	m.line.Lock()
	text := m.ls.text
	m.line.Unlock()
	if !text {
		pdus, err := pdu.EncodeSubmit(msg.To, msg.Text, pdu.SubmitOptions{
			StatusReport: msg.StatusReport, Validity: msg.Validity(), ConcatRef: uint16(msg.ConcatRef),
		})
		return len(pdus), func(ctx context.Context, c *at.Conn, i int) ([]string, error) {
			return c.SMSCommand(ctx, fmt.Sprintf("AT+CMGS=%d", pdus[i].TPDULen), pdus[i].Hex, 0)
		}, err
	}
	parts, enc := pdu.Split(msg.Text, false)
	if len(parts) > 1 {
		log.Info("text mode: the SMS goes as separate messages, one per part, which the phone does not join", "parts", len(parts))
	}
	return len(parts), func(ctx context.Context, c *at.Conn, i int) ([]string, error) {
		return m.sendText(ctx, c, msg, parts[i], enc)
	}, nil
}

// errNoUCS2 fails a text that needs the UCS2 character set on a modem
// without it.
var errNoUCS2 = errors.New(`the modem is in text mode without the UCS2 character set, which this text needs (only plain ASCII or Chinese text can go through it)`)

// sendText sends one SMS in text mode: AT+CSMP, the character set the
// text needs, AT+CMGS="<number>" and the text. m.line is held.
func (m *modem) sendText(ctx context.Context, c *at.Conn, msg Message, text string, enc pdu.Encoding) ([]string, error) {
	fo, dcs := 0x11, 0 // SMS-SUBMIT, relative validity; GSM 7-bit
	if msg.StatusReport {
		fo |= 0x20
	}
	if enc == pdu.UCS2 {
		dcs = 8
	}
	csmp := fmt.Sprintf("AT+CSMP=%d,%d,0,%d", fo, pdu.RelativeValidity(msg.Validity()), dcs)
	if m.ls.csmp != csmp {
		if _, err := command(ctx, c, csmp); err != nil {
			if !refused(err) {
				return nil, err
			}
			// Some modems take no <vp>; the service centre's default
			// validity applies then.
			alt := fmt.Sprintf("AT+CSMP=%d,,0,%d", fo, dcs)
			if _, err2 := command(ctx, c, alt); err2 != nil {
				return nil, err
			}
		}
		m.ls.csmp = csmp
	}
	cs := m.ls.cscs
	switch {
	case enc == pdu.UCS2: // the text is hex whatever the character set
	case plainGSM(text):
		cs = "GSM"
	case m.ls.ucs2:
		cs = "UCS2"
	default:
		return nil, errNoUCS2
	}
	if err := m.charset(ctx, c, cs); err != nil {
		return nil, err
	}
	to, body := msg.To, text
	if cs == "UCS2" {
		to = toUCS2Hex(to)
	}
	if cs == "UCS2" || enc == pdu.UCS2 {
		body = toUCS2Hex(text)
	}
	return c.SMSCommand(ctx, fmt.Sprintf(`AT+CMGS="%s"`, to), body, 0)
}

// readCharset puts back the character set texts are read in, after a
// plain text was sent in GSM. m.line is held.
func (m *modem) readCharset(ctx context.Context, c *at.Conn) {
	if m.ls.ucs2 {
		if err := m.charset(ctx, c, "UCS2"); err != nil {
			m.log.Warn(`cannot set AT+CSCS="UCS2" to read SMS`, "err", err)
		}
	}
}

// readText reads the SMS or report an indication announced, in text mode.
// m.line is held.
func (m *modem) readText(ctx context.Context, c *at.Conn, ind indication) {
	m.readCharset(ctx, c)
	lines, err := command(ctx, c, fmt.Sprintf("AT+CMGR=%d", ind.index))
	if err != nil {
		m.log.Warn("cannot read an announced SMS; the sweep will", "mem", ind.mem, "index", ind.index, "err", err)
		return
	}
	r, ok := parseTextCMGR(ind.index, lines)
	if !ok {
		if len(lines) > 0 {
			m.log.Warn("unreadable answer to AT+CMGR in text mode; the message stays in the modem", "index", ind.index, "lines", lines)
		}
		return
	}
	m.takeAt(ctx, c, r.Index, func() (bool, error) { return m.takeText(ctx, r) })
}

// sweepText lists the modem's memory in text mode and takes each message.
// The listing lacks <fo> and <dcs>, so with AT+CSDH=1 each SMS is read
// again with AT+CMGR, as an indication would have read it. m.line is held.
func (m *modem) sweepText(ctx context.Context, c *at.Conn) {
	m.readCharset(ctx, c)
	lines, err := command(ctx, c, `AT+CMGL="ALL"`)
	if err != nil {
		m.log.Warn("cannot list the modem's messages", "err", err)
		return
	}
	for _, r := range parseTextCMGL(lines) {
		if ctx.Err() != nil || c.Err() != nil {
			return
		}
		if r.Kind == textSubmit {
			continue
		}
		if r.Kind == textDeliver && m.ls.details {
			lines, err := command(ctx, c, fmt.Sprintf("AT+CMGR=%d", r.Index))
			full, ok := parseTextCMGR(r.Index, lines)
			if err != nil || !ok {
				m.log.Warn("cannot read a listed SMS again; it stays in the modem", "index", r.Index, "err", err)
				continue
			}
			r = full
		}
		m.takeAt(ctx, c, r.Index, func() (bool, error) { return m.takeText(ctx, r) })
	}
}

// routedText stores a +CMT or +CDS routed in text mode. m.line is held.
func (m *modem) routedText(u at.URC) {
	var r textRecord
	var ok bool
	switch u.Code {
	case "+CMT":
		r, ok = parseTextCMT(u.Args, u.Payload)
	case "+CDS":
		r, ok = parseTextCDS(u.Args)
	}
	if !ok {
		m.log.Warn("unreadable routed SMS in text mode", "line", u.Line, "payload", u.Payload)
		return
	}
	if _, err := m.takeText(context.Background(), r); err != nil {
		m.log.Error("routed SMS not stored", "err", err, "line", u.Line)
	}
}

// takeText stores one SMS or report read in text mode, as take does a
// PDU. A record whose PDU cannot be rebuilt is stored with the error
// under a key of its fields, so nothing read is lost. m.line is held.
func (m *modem) takeText(ctx context.Context, r textRecord) (keep bool, err error) {
	if r.Kind == textSubmit {
		return true, nil
	}
	hexPDU, perr := r.pdu(m.ls.cscs == "UCS2")
	if perr == nil {
		return m.take(ctx, hexPDU)
	}
	m.log.Warn("unreadable SMS read in text mode; kept in sms.db", "err", perr, "from", r.Addr, "data", r.Data)
	_, _, err = m.g.st.AddInboundPart(ctx, store.InboundPart{
		Modem: m.cfg.Name, PDU: r.key(), From: teAddress(r.Addr, m.ls.cscs == "UCS2", r.AddrType),
		Error: "text mode: " + perr.Error(), ReceivedAt: m.g.opts.Now(),
	})
	if err == nil {
		m.mu.Lock()
		m.st.Received++
		m.mu.Unlock()
	}
	return false, err
}
