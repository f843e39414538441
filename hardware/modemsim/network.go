package modemsim

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Carried is an SMS the simulated network took from the modem, its parts
// joined when it came in several.
type Carried struct {
	To   string `json:"to"`
	Text string `json:"text"`
	// Parts is how many parts arrived, Total how many the concatenation
	// header announced (1 for a single SMS).
	Parts    int      `json:"parts"`
	Total    int      `json:"total"`
	Complete bool     `json:"complete"`
	PDUs     []string `json:"pdus"`
	// At is when the network accepted the first part.
	At time.Time `json:"at"`
	// Ref is the message reference the modem gave the first part, Refs
	// those of every part in the order they were sent.
	Ref  int   `json:"ref"`
	Refs []int `json:"refs"`
	// Report tells whether a status report was requested.
	Report bool `json:"report"`
	// Mode is "pdu" or "text", the AT+CMGF it was sent in.
	Mode string `json:"mode"`

	concat Concat
	texts  map[int]string
}

// Messages returns what the network carried, oldest first.
func (s *Sim) Messages() []Carried {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Carried, len(s.carried))
	for i, c := range s.carried {
		out[i] = *c
		out[i].PDUs = slices.Clone(c.PDUs)
		out[i].Refs = slices.Clone(c.Refs)
		out[i].texts = nil
	}
	return out
}

// ClearMessages forgets what the network carried.
func (s *Sim) ClearMessages() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.carried = nil
}

// sendPDU is AT+CMGS in PDU mode, after Ctrl-Z.
func (s *Sim) sendPDU(hexPDU string, length int) ([]string, string) {
	smsc, tpdu, good := pduLengths(hexPDU)
	if !good || tpdu != length {
		s.log.Debug("AT+CMGS length does not match the PDU", "length", length, "tpdu", tpdu)
		return nil, s.cms(304)
	}
	_ = smsc
	return s.sendPDUAs(hexPDU, "+CMGS")
}

// sendPDUAs submits a PDU to the network and answers "<prefix>: <mr>".
// It returns nil and "" when the line vanished or the simulator closed
// while the network had it: then nothing was carried and no one hears.
func (s *Sim) sendPDUAs(hexPDU, prefix string) ([]string, string) {
	smsc, _, good := pduLengths(hexPDU)
	if !good {
		return nil, s.cms(304)
	}
	sub, err := s.codec.DecodeSubmit(hexPDU)
	if err != nil {
		s.log.Debug("undecodable SMS-SUBMIT", "pdu", hexPDU, "err", err)
		return nil, s.cms(304)
	}
	return s.carry(sub, hexPDU, smsc == 0, "pdu", prefix)
}

// carry is the network's side of a send: checks, latency, faults, then
// the record, the message reference and, when asked, a status report.
func (s *Sim) carry(sub Submit, hexPDU string, noSMSC bool, mode, prefix string) ([]string, string) {
	gen := s.currentGen()
	s.mu.Lock()
	if noSMSC && s.set.csca == "" {
		defer s.mu.Unlock()
		return nil, s.cmsLocked(330)
	}
	if !s.networkLocked() {
		defer s.mu.Unlock()
		return nil, s.cmsLocked(331)
	}
	failWith := 0
	for _, k := range []string{FaultCMS330, FaultCMS331, FaultCMS500, FaultCMS512} {
		if f := s.takeFaultLocked(k); f != nil {
			fmt.Sscanf(k, "cms-%d", &failWith)
			break
		}
	}
	latency := s.opts.SendLatency
	if f := s.takeFaultLocked(FaultSlowSend); f != nil {
		latency = f.duration(s.opts.SlowSend)
	}
	s.mu.Unlock()

	if !s.sleep(latency) || s.currentGen() != gen {
		return nil, ""
	}
	if failWith != 0 {
		return nil, s.cms(failWith)
	}

	now := time.Now()
	s.mu.Lock()
	mr := s.nextMR
	s.nextMR = (s.nextMR + 1) % 256
	s.recordLocked(sub, hexPDU, mr, now, mode)
	s.mu.Unlock()
	s.log.Info("SMS carried", "to", sub.To, "mr", mr, "part", sub.Concat.Seq, "of", sub.Concat.Total)
	if sub.StatusReport {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if s.sleep(s.opts.ReportDelay) {
				s.statusReport(mr, sub.To, now, time.Now())
			}
		}()
	}
	return []string{fmt.Sprintf("%s: %d", prefix, mr)}, ""
}

// recordLocked adds a carried part, to the message it belongs to when
// it is one part of several.
func (s *Sim) recordLocked(sub Submit, hexPDU string, mr int, at time.Time, mode string) {
	total := max(sub.Concat.Total, 1)
	seq := sub.Concat.Seq
	if total == 1 || seq < 1 || seq > total {
		seq, total = 1, 1
	}
	var c *Carried
	if total > 1 {
		for i := len(s.carried) - 1; i >= 0; i-- {
			o := s.carried[i]
			if !o.Complete && o.To == sub.To && o.concat.Ref == sub.Concat.Ref && o.concat.Total == total {
				if _, dup := o.texts[seq]; !dup {
					c = o
				}
				break
			}
		}
	}
	if c == nil {
		c = &Carried{To: sub.To, Total: total, At: at, Ref: mr, Mode: mode, PDUs: []string{}, concat: sub.Concat, texts: map[int]string{}}
		s.carried = append(s.carried, c)
	}
	c.texts[seq] = sub.Text
	c.Parts = len(c.texts)
	c.Complete = c.Parts == c.Total
	c.Refs = append(c.Refs, mr)
	c.Report = c.Report || sub.StatusReport
	if hexPDU != "" {
		c.PDUs = append(c.PDUs, hexPDU)
	}
	var b strings.Builder
	for i := 1; i <= c.Total; i++ {
		b.WriteString(c.texts[i])
	}
	c.Text = b.String()
}

// writePDU is AT+CMGW in PDU mode, after Ctrl-Z.
func (s *Sim) writePDU(hexPDU string, length, stat int) ([]string, string) {
	_, tpdu, good := pduLengths(hexPDU)
	if !good || tpdu != length {
		return nil, s.cms(304)
	}
	if _, err := s.codec.DecodeSubmit(hexPDU); err != nil {
		return nil, s.cms(304)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stores[s.set.cpms[1]]
	if s.faults[FaultStorageFull] != nil {
		return nil, s.cmsLocked(322)
	}
	idx := st.add(&message{stat: stat, kind: kindSubmit, pdu: hexPDU, tpduLen: tpdu})
	if idx == 0 {
		return nil, s.cmsLocked(322)
	}
	return []string{fmt.Sprintf("+CMGW: %d", idx)}, ""
}

// indicateLocked passes indications on, or keeps them while AT+CNMI's
// mode is 0.
func (s *Sim) indicateLocked(lines []string) []string {
	if len(lines) == 0 {
		return nil
	}
	if s.set.cnmi[0] == 0 {
		if len(s.tabuf) < 64 {
			s.tabuf = append(s.tabuf, strings.Join(lines, "\r\n"))
		}
		return nil
	}
	return lines
}

// statusReport is the network's report on an SMS it delivered.
func (s *Sim) statusReport(mr int, to string, submitted, done time.Time) {
	pdu, err := s.codec.EncodeStatusReport(byte(mr), to, submitted, done, 0)
	if err != nil {
		s.log.Error("encode status report", "err", err)
		return
	}
	_, tpdu, _ := pduLengths(pdu)
	s.mu.Lock()
	var lines []string
	if s.set.cnmi[3] == 1 {
		if s.set.cmgf == 0 {
			lines = []string{fmt.Sprintf("+CDS: %d", tpdu), pdu}
		} else {
			lines = []string{fmt.Sprintf("+CDS: 6,%d,%s,%d,%s,%s,0", mr, quote(s.teStringLocked(to)), toaOf(to), quote(scts(submitted)), quote(scts(done)))}
		}
		if s.set.csms == 1 {
			s.cnmaDue++
		}
	} else {
		st := s.stores[s.set.cpms[2]]
		idx := 0
		if s.faults[FaultStorageFull] == nil {
			idx = st.add(&message{stat: recUnread, kind: kindReport, pdu: pdu, tpduLen: tpdu, mr: mr, recipient: to, scts: submitted, dt: done})
		}
		if idx == 0 {
			s.mu.Unlock()
			s.log.Warn("status report dropped: memory full", "mr", mr)
			return
		}
		if s.set.cnmi[3] == 2 {
			lines = []string{fmt.Sprintf("+CDSI: %s,%d", quote(st.name), idx)}
		}
	}
	lines = s.indicateLocked(lines)
	s.mu.Unlock()
	s.urc(lines...)
}

// InboundResult says where an arriving SMS went.
type InboundResult struct {
	Parts   int    `json:"parts"`
	Storage string `json:"storage,omitempty"`
	Indexes []int  `json:"indexes"`
}

// Inbound makes an SMS from a phone arrive at the modem: stored in the
// receive memory and announced, or routed directly, as AT+CNMI says.
func (s *Sim) Inbound(from, text string) (InboundResult, error) {
	if strings.TrimSpace(from) == "" || text == "" {
		return InboundResult{}, fmt.Errorf("%w: an SMS needs a sender and a text", ErrBadRequest)
	}
	pdus, err := s.codec.EncodeDeliver(from, text, time.Now())
	if err != nil {
		return InboundResult{}, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	s.mu.Lock()
	if !s.networkLocked() {
		s.mu.Unlock()
		return InboundResult{}, ErrNoNetwork
	}
	res := InboundResult{Parts: len(pdus), Indexes: []int{}}
	var urcs [][]string
	if s.set.cnmi[1] == 2 {
		for _, p := range pdus {
			_, tpdu, _ := pduLengths(p)
			var lines []string
			if s.set.cmgf == 0 {
				lines = []string{fmt.Sprintf("+CMT: ,%d", tpdu), p}
			} else {
				d, err := s.codec.DecodeDeliver(p)
				if err != nil {
					d = Deliver{From: from, At: time.Now()}
				}
				lines = s.cmtTextLocked(p, d)
			}
			if s.set.csms == 1 {
				s.cnmaDue++
			}
			urcs = append(urcs, s.indicateLocked(lines))
		}
	} else {
		st := s.stores[s.set.cpms[2]]
		if s.faults[FaultStorageFull] != nil || st.free() < len(pdus) {
			s.mu.Unlock()
			return InboundResult{}, ErrStorageFull
		}
		res.Storage = st.name
		for _, p := range pdus {
			_, tpdu, _ := pduLengths(p)
			idx := st.add(&message{stat: recUnread, kind: kindDeliver, pdu: p, tpduLen: tpdu})
			res.Indexes = append(res.Indexes, idx)
			if s.set.cnmi[1] == 1 || s.set.cnmi[1] == 3 {
				urcs = append(urcs, s.indicateLocked([]string{fmt.Sprintf("+CMTI: %s,%d", quote(st.name), idx)}))
			}
		}
	}
	s.mu.Unlock()
	s.log.Info("SMS arrives", "from", from, "parts", len(pdus), "storage", res.Storage, "indexes", res.Indexes)
	for _, u := range urcs {
		s.urc(u...)
	}
	return res, nil
}
