package smsgateway

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"nanhu/smsgateway/at"
	"nanhu/smsgateway/pdu"
	"nanhu/smsgateway/store"
)

// indication is a +CMTI or +CDSI: something was stored at index of mem.
type indication struct {
	mem   string
	index int
}

// handle routes the modem's unsolicited codes on line c.
func (m *modem) handle(c *at.Conn, reads chan<- indication) {
	indicate := func(u at.URC) {
		mem, idx, ok := parseIndication(u.Params())
		if !ok {
			m.log.Warn("unreadable indication", "line", u.Line)
			return
		}
		select {
		case reads <- indication{mem, idx}:
		default:
			m.log.Warn("too many indications at once; the sweep will read the rest", "line", u.Line)
		}
	}
	c.Handle("+CMTI", indicate)
	c.Handle("+CDSI", indicate)
	direct := func(u at.URC) {
		m.line.Lock()
		defer m.line.Unlock()
		if m.ls.text {
			m.routedText(u)
			return
		}
		hexPDU, ok := routedPDU(u)
		if !ok {
			m.log.Warn("routed SMS without a PDU", "line", u.Line, "payload", u.Payload)
			return
		}
		if _, err := m.take(context.Background(), hexPDU); err != nil {
			m.log.Error("routed SMS not stored", "err", err, "pdu", hexPDU)
		}
	}
	c.Handle("+CMT", direct)
	c.Handle("+CDS", direct)
	c.Handle("", func(u at.URC) { m.log.Debug("unsolicited line", "line", u.Line) })
}

// routedPDU is the whole PDU (SMSC field first) of a +CMT or +CDS: the
// line after "+CMT: [<alpha>],<length>" or "+CDS: <length>". Some modems
// leave the SMSC field out; the length, which counts TPDU octets, tells.
func routedPDU(u at.URC) (string, bool) {
	if !isHex(u.Payload) {
		return "", false
	}
	n := 0
	if p := u.Params(); len(p) > 0 {
		n, _ = atoi(p[len(p)-1])
	}
	return strings.ToUpper(pdu.EnsureSMSC(u.Payload, n)), true
}

// selectMem makes mem the memory AT+CMGR, AT+CMGL and AT+CMGD work on.
// m.line is held.
func (m *modem) selectMem(ctx context.Context, c *at.Conn, mem string) error {
	if m.mem1 == mem {
		return nil
	}
	if _, err := command(ctx, c, fmt.Sprintf(`AT+CPMS="%s"`, mem)); err != nil {
		return err
	}
	m.mem1 = mem
	return nil
}

// read takes the message or report an indication announced.
func (m *modem) read(ctx context.Context, c *at.Conn, ind indication) {
	m.line.Lock()
	defer m.line.Unlock()
	if err := m.selectMem(ctx, c, ind.mem); err != nil {
		m.log.Warn("cannot select the memory of an indication", "mem", ind.mem, "err", err)
		return
	}
	if m.ls.text {
		m.readText(ctx, c, ind)
		return
	}
	lines, err := command(ctx, c, fmt.Sprintf("AT+CMGR=%d", ind.index))
	if err != nil {
		m.log.Warn("cannot read an announced SMS; the sweep will", "mem", ind.mem, "index", ind.index, "err", err)
		return
	}
	s, ok := parseCMGR(ind.index, lines)
	if !ok {
		return // already taken by a sweep, or never there
	}
	m.takeStored(ctx, c, s)
}

// sweep lists every message in the modem's memory and takes each.
func (m *modem) sweep(ctx context.Context, c *at.Conn) {
	m.line.Lock()
	defer m.line.Unlock()
	if err := m.selectMem(ctx, c, m.cfg.Storage); err != nil {
		m.log.Warn("cannot select the message memory", "storage", m.cfg.Storage, "err", err)
	}
	if m.ls.text {
		m.sweepText(ctx, c)
		return
	}
	lines, err := command(ctx, c, "AT+CMGL=4")
	if err != nil {
		m.log.Warn("cannot list the modem's messages", "err", err)
		return
	}
	for _, s := range parseCMGL(lines) {
		if ctx.Err() != nil || c.Err() != nil {
			return
		}
		m.takeStored(ctx, c, s)
	}
}

// takeStored stores a message read from the modem's memory and then, only
// then, deletes it there. m.line is held.
func (m *modem) takeStored(ctx context.Context, c *at.Conn, s stored) {
	m.takeAt(ctx, c, s.Index, func() (bool, error) { return m.take(ctx, s.PDU) })
}

// takeAt runs take on the message at index of the modem's memory and
// deletes it there once take has stored it. m.line is held.
func (m *modem) takeAt(ctx context.Context, c *at.Conn, index int, take func() (keep bool, err error)) {
	keep, err := take()
	if err != nil {
		m.log.Error("SMS read from the modem not stored; it stays in the modem", "index", index, "err", err)
		return
	}
	if keep {
		return
	}
	if _, err := command(ctx, c, fmt.Sprintf("AT+CMGD=%d", index)); err != nil {
		m.log.Warn("stored SMS not deleted from the modem; it will be read again and recognised", "index", index, "err", err)
	}
}

// take stores one PDU read from the modem: an SMS-DELIVER as an inbound
// part, a status report applied to what it reports on. A PDU that does
// not decode is stored too, with the error, so nothing read is lost.
// keep is true for what is not the gateway's to take (a stored
// SMS-SUBMIT): it stays in the modem.
func (m *modem) take(ctx context.Context, hexPDU string) (keep bool, err error) {
	hexPDU = strings.ToUpper(strings.TrimSpace(hexPDU))
	v, derr := pdu.DecodeMT(hexPDU)
	switch v := v.(type) {
	case pdu.Deliver:
		err = m.g.takeDeliver(ctx, m.cfg.Name, hexPDU, v)
	case pdu.StatusReport:
		err = m.g.takeReport(ctx, m.cfg.Name, hexPDU, v)
	case pdu.Submit:
		return true, nil
	default:
		m.log.Warn("undecodable PDU read from the modem; kept in sms.db", "err", derr, "pdu", hexPDU)
		_, _, err = m.g.st.AddInboundPart(ctx, store.InboundPart{Modem: m.cfg.Name, PDU: hexPDU, Error: errText(derr), ReceivedAt: m.g.opts.Now()})
	}
	if err == nil {
		m.mu.Lock()
		m.st.Received++
		m.mu.Unlock()
	}
	return false, err
}

// takeDeliver stores one received part and, when it completes a message,
// the message.
func (g *Gateway) takeDeliver(ctx context.Context, modem, hexPDU string, d pdu.Deliver) error {
	p := store.InboundPart{Modem: modem, PDU: hexPDU, From: d.From, Total: 1, Seq: 1, ReceivedAt: d.Timestamp}
	if c := d.Concat; c != nil && c.Total > 1 && c.Seq >= 1 && c.Seq <= c.Total {
		p.Ref, p.Total, p.Seq = int(c.Ref), c.Total, c.Seq
	}
	saved, fresh, err := g.st.AddInboundPart(ctx, p)
	if err != nil {
		return err
	}
	if fresh {
		g.assemble(ctx, saved, d)
	}
	return nil
}

// assembler joins one modem's inbound parts. Its Reassembler holds the
// parts in memory; ids maps each to its row in sms.db.
type assembler struct {
	mu  sync.Mutex
	r   *pdu.Reassembler
	ids map[partKey]int64
}

type partKey struct {
	from            string
	ref, total, seq int
}

func (g *Gateway) assembler(modem string) *assembler {
	g.amu.Lock()
	defer g.amu.Unlock()
	a := g.asm[modem]
	if a == nil {
		a = &assembler{r: pdu.NewReassembler(), ids: map[partKey]int64{}}
		a.r.Now = g.opts.Now
		g.asm[modem] = a
	}
	return a
}

// assemble feeds a stored part to its modem's reassembly and stores the
// message it completes.
func (g *Gateway) assemble(ctx context.Context, p store.InboundPart, d pdu.Deliver) {
	a := g.assembler(p.Modem)
	a.mu.Lock()
	k := partKey{p.From, p.Ref, p.Total, p.Seq}
	if _, dup := a.ids[k]; !dup {
		a.ids[k] = p.ID
	}
	msg, ok := a.r.AddAt(d, p.StoredAt)
	var ids []int64
	switch {
	case !ok:
	case p.Total == 1:
		ids = []int64{p.ID}
		delete(a.ids, k)
	default:
		for _, part := range msg.Parts {
			pk := partKey{p.From, p.Ref, p.Total, part.Concat.Seq}
			ids = append(ids, a.ids[pk])
			delete(a.ids, pk)
		}
	}
	a.mu.Unlock()
	if !ok {
		return
	}
	g.saveInbound(ctx, store.Inbound{
		Modem: p.Modem, From: msg.From, Text: msg.Text, Parts: len(msg.Parts), Total: len(msg.Parts),
		ReceivedAt: msg.Parts[0].Timestamp,
	}, ids)
}

func (g *Gateway) saveInbound(ctx context.Context, in store.Inbound, ids []int64) {
	saved, err := g.st.AddInbound(ctx, in, ids)
	if err != nil {
		// The parts stay stored and unjoined; the next start joins them.
		g.log.Error("received SMS not stored as a message", "from", in.From, "err", err)
		return
	}
	g.met.inbound.WithLabelValues(in.Modem).Inc()
	g.log.Info("SMS received", "id", saved.ID, "from", saved.From, "modem", saved.Modem, "parts", saved.Parts, "complete", saved.Complete)
	g.notes.kick()
}

// resumeReassembly feeds the parts stored but not yet joined, as a
// restart finds them, back to the reassembly.
func (g *Gateway) resumeReassembly(ctx context.Context) error {
	parts, err := g.st.OpenInboundParts(ctx)
	if err != nil {
		return err
	}
	for _, p := range parts {
		d, err := pdu.DecodeDeliver(p.PDU)
		if err != nil {
			g.log.Warn("stored inbound part no longer decodes", "id", p.ID, "err", err)
			continue
		}
		g.assemble(ctx, p, d)
	}
	return nil
}

// expireIncomplete stores what came of messages whose other parts did not
// arrive within ReassemblyTimeout.
func (g *Gateway) expireIncomplete(ctx context.Context) {
	g.amu.Lock()
	all := make(map[string]*assembler, len(g.asm))
	for k, v := range g.asm {
		all[k] = v
	}
	g.amu.Unlock()
	for modem, a := range all {
		a.mu.Lock()
		gone := a.r.Expire(g.opts.ReassemblyTimeout)
		type job struct {
			in  store.Inbound
			ids []int64
		}
		var jobs []job
		for _, inc := range gone {
			var text strings.Builder
			var ids []int64
			for _, part := range inc.Parts {
				text.WriteString(part.Text)
				pk := partKey{inc.From, int(inc.Ref), inc.Total, part.Concat.Seq}
				ids = append(ids, a.ids[pk])
				delete(a.ids, pk)
			}
			jobs = append(jobs, job{store.Inbound{
				Modem: modem, From: inc.From, Text: text.String(), Parts: len(inc.Parts), Total: inc.Total,
				ReceivedAt: inc.Parts[0].Timestamp,
			}, ids})
		}
		a.mu.Unlock()
		for _, j := range jobs {
			g.log.Warn("inbound SMS stored without its missing parts", "from", j.in.From, "parts", j.in.Parts, "total", j.in.Total)
			g.saveInbound(ctx, j.in, j.ids)
		}
	}
}

// takeReport applies a status report to the part it is about.
func (g *Gateway) takeReport(ctx context.Context, modem, hexPDU string, r pdu.StatusReport) error {
	rep := store.Report{
		Modem: modem, PDU: hexPDU, MR: int(r.MessageRef), Recipient: r.Recipient,
		Status: int(r.Status), Discharge: r.Discharge,
	}
	outcome := "pending"
	switch {
	case r.Delivered():
		rep.Outcome, outcome = store.Delivered, "delivered"
	case r.Pending():
	default:
		rep.Outcome, rep.Error, outcome = store.Failed, "status report: "+statusText(r.Status), "failed"
	}
	a, err := g.st.ApplyReport(ctx, rep)
	if err != nil {
		return err
	}
	if !a.Fresh {
		return nil
	}
	if !a.Matched {
		g.met.reports.WithLabelValues("unmatched").Inc()
		g.log.Info("status report matches no sent SMS", "modem", modem, "ref", r.MessageRef, "recipient", r.Recipient, "status", fmt.Sprintf("%02X", r.Status))
		return nil
	}
	g.met.reports.WithLabelValues(outcome).Inc()
	if a.Changed {
		g.log.Info("SMS "+string(a.Message.State), "id", a.Message.ID, "to", a.Message.To, "status", fmt.Sprintf("%02X", r.Status))
		g.notes.kick()
	}
	return nil
}

// statusText describes a TP-ST value (3GPP TS 23.040 §9.2.3.15).
func statusText(st byte) string {
	if s, ok := statusTexts[st]; ok {
		return fmt.Sprintf("%s (TP-ST %02X)", s, st)
	}
	switch {
	case st < 0x20:
		return fmt.Sprintf("delivered (TP-ST %02X)", st)
	case st < 0x40:
		return fmt.Sprintf("temporary error, the service centre keeps trying (TP-ST %02X)", st)
	case st < 0x60:
		return fmt.Sprintf("permanent error (TP-ST %02X)", st)
	}
	return fmt.Sprintf("temporary error, the service centre gave up (TP-ST %02X)", st)
}

var statusTexts = map[byte]string{
	0x00: "received by the recipient",
	0x01: "forwarded, delivery unconfirmed",
	0x02: "replaced by the service centre",
	0x20: "congestion",
	0x21: "recipient busy",
	0x22: "no response from the recipient",
	0x23: "service rejected",
	0x24: "quality of service not available",
	0x25: "error in the recipient's phone",
	0x40: "remote procedure error",
	0x41: "incompatible destination",
	0x42: "connection rejected by the recipient",
	0x43: "not obtainable",
	0x44: "quality of service not available",
	0x45: "no interworking available",
	0x46: "validity period expired",
	0x47: "deleted by the sender",
	0x48: "deleted by the service centre's administration",
	0x49: "the message does not exist",
	0x60: "congestion; the service centre gave up",
	0x61: "recipient busy; the service centre gave up",
	0x62: "no response from the recipient; the service centre gave up",
	0x63: "service rejected; the service centre gave up",
	0x64: "quality of service not available; the service centre gave up",
	0x65: "error in the recipient's phone; the service centre gave up",
}
