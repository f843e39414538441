package modemsim

import (
	"fmt"
	"strconv"
	"strings"
)

// result is what one command of a chain produced.
type result struct {
	info   []string   // information response lines
	err    string     // a final error result; ends the chain
	prompt *prompt    // the command wants "> " input
	urcs   [][]string // unsolicited codes it releases (AT+CNMI)
	// later, when set, finishes the command outside the lock (a send
	// waiting for the network) and gives its answer.
	later func() (info []string, final string)
}

func ok(info ...string) result { return result{info: info} }

// handler runs one command with s.mu held.
type handler func(s *Sim, c command) result

var handlers map[string]handler

func init() {
	handlers = map[string]handler{
		"E":     cmdEcho,
		"V":     cmdVerbose,
		"Q":     cmdQuiet,
		"Z":     cmdReset,
		"&F":    cmdReset,
		"&W":    cmdNothing,
		"&C":    cmdNothing,
		"&D":    cmdNothing,
		"&K":    cmdNothing,
		"X":     cmdNothing,
		"L":     cmdNothing,
		"M":     cmdNothing,
		"S":     cmdSRegister,
		"I":     cmdInfo,
		"H":     cmdHangUp,
		"+GCAP": cmdGCAP,
		"+CGMI": identity(func(o *Options) string { return o.Manufacturer }),
		"+GMI":  identity(func(o *Options) string { return o.Manufacturer }),
		"+CGMM": identity(func(o *Options) string { return o.Model }),
		"+GMM":  identity(func(o *Options) string { return o.Model }),
		"+CGMR": identity(func(o *Options) string { return o.Revision }),
		"+GMR":  identity(func(o *Options) string { return o.Revision }),
		"+CGSN": identity(func(o *Options) string { return o.IMEI }),
		"+GSN":  identity(func(o *Options) string { return o.IMEI }),
		"+CIMI": identity(func(o *Options) string { return o.IMSI }),
		"+CNUM": cmdCNUM,
		"+CFUN": cmdCFUN,
		"+CPIN": cmdCPIN,
		"+CMEE": intSetting("+CMEE", 0, 2, func(st *settings) *int { return &st.cmee }),
		"+CSQ":  cmdCSQ,
		"+CREG": cmdCREG,
		"+COPS": cmdCOPS,
		"+CLIP": cmdCLIP,
		"+CSCS": cmdCSCS,
		"+CSCA": cmdCSCA,
		"+CMGF": cmdCMGF,
		"+CSDH": intSetting("+CSDH", 0, 1, func(st *settings) *int { return &st.csdh }),
		"+CMMS": intSetting("+CMMS", 0, 2, func(st *settings) *int { return &st.cmms }),
		"^CURC": intSetting("^CURC", 0, 1, func(st *settings) *int { return &st.curc }),
		// Huawei: which port gets unsolicited codes; gammu sets it.
		"^PORTSEL": intSetting("^PORTSEL", 0, 1, func(st *settings) *int { return &st.portsel }),
		"+CSMP":    cmdCSMP,
		"+CSMS":    cmdCSMS,
		"+CPMS":    cmdCPMS,
		"+CNMI":    cmdCNMI,
		"+CMGS":    cmdCMGS,
		"+CMGW":    cmdCMGW,
		"+CMSS":    cmdCMSS,
		"+CMGL":    cmdCMGL,
		"+CMGR":    cmdCMGR,
		"+CMGD":    cmdCMGD,
		"+CNMA":    cmdCNMA,
		"+CHUP":    nil, // gammu probes AT+CHUP=?; this modem has no voice
		"+MODE":    nil,
		"+CPROT":   nil,
	}
}

// withoutPIN are the commands a modem answers before the SIM is unlocked.
var withoutPIN = map[string]bool{
	"E": true, "V": true, "Q": true, "Z": true, "&F": true, "&W": true, "&C": true, "&D": true, "&K": true,
	"X": true, "L": true, "M": true, "S": true, "I": true, "H": true, "+GCAP": true,
	"+CGMI": true, "+GMI": true, "+CGMM": true, "+GMM": true, "+CGMR": true, "+GMR": true,
	"+CGSN": true, "+GSN": true, "+CPIN": true, "+CMEE": true, "+CFUN": true, "+CSCS": true, "^CURC": true, "^PORTSEL": true,
	"+CSQ": true, "+CREG": true,
}

// runChain runs the commands of one line and writes their answers; the
// first error ends the line. A command that opens "> " input ends it too,
// and its final result comes when the input does.
func (s *Sim) runChain(cmds []command) {
	for _, c := range cmds {
		s.mu.Lock()
		r := s.execLocked(c)
		var info, final string
		if len(r.info) > 0 {
			info = s.frameInfoLocked(r.info)
		}
		if r.err != "" {
			final = s.frameFinalLocked(r.err)
		}
		s.mu.Unlock()
		if r.prompt != nil {
			s.openPrompt(r.prompt)
			return
		}
		if r.later != nil {
			s.flushEcho()
			li, lf := r.later()
			if li == nil && lf == "" {
				return // the line vanished meanwhile, or the simulator closed
			}
			r.err = lf
			s.mu.Lock()
			if len(li) > 0 {
				info = s.frameInfoLocked(li)
			}
			if lf != "" {
				final = s.frameFinalLocked(lf)
			}
			s.mu.Unlock()
		}
		if info != "" || final != "" {
			s.out(info + final)
		}
		for _, u := range r.urcs {
			s.urc(u...)
		}
		if r.err != "" {
			return
		}
	}
	s.mu.Lock()
	final := s.frameFinalLocked("OK")
	s.mu.Unlock()
	s.out(final)
}

// execLocked runs one command.
func (s *Sim) execLocked(c command) result {
	h, known := handlers[c.name]
	if !known || h == nil {
		return result{err: "ERROR"}
	}
	if s.pinNeeded && !withoutPIN[c.name] {
		return result{err: s.cmeLocked(11)}
	}
	return h(s, c)
}

// openPrompt shows "> " (unless a no-prompt fault eats it) and holds back
// unsolicited codes until the input is over.
func (s *Sim) openPrompt(p *prompt) {
	s.inp.prompt = p
	s.outMu.Lock()
	defer s.outMu.Unlock()
	s.mu.Lock()
	s.promptOpen = true
	eaten := p.kind == "+CMGS" && s.takeFaultLocked(FaultNoPrompt) != nil
	s.mu.Unlock()
	text := string(s.inp.echo)
	s.inp.echo = s.inp.echo[:0]
	if !eaten {
		text += "\r\n> "
	}
	if text != "" {
		s.writeLocked(text)
	}
}

// releasePrompt ends the hold on unsolicited codes that "> " put.
func (s *Sim) releasePrompt() {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	s.mu.Lock()
	held := s.held
	s.promptOpen, s.held = false, nil
	s.mu.Unlock()
	for _, h := range held {
		s.writeLocked(h)
	}
}

// closePrompt ends "> " input with a final result (ESC: OK).
func (s *Sim) closePrompt(final string, info ...string) {
	s.releasePrompt()
	s.mu.Lock()
	var text string
	if len(info) > 0 {
		text = s.frameInfoLocked(info)
	}
	text += s.frameFinalLocked(final)
	s.mu.Unlock()
	s.out(text)
}

// promptDone acts on the input that Ctrl-Z ended.
func (s *Sim) promptDone(p *prompt) {
	s.releasePrompt()
	var info []string
	var final string
	switch {
	case p.overflow && p.text:
		final = s.cms(305)
	case p.overflow:
		final = s.cms(304)
	case p.kind == "+CMGW":
		info, final = s.writePDU(strings.TrimSpace(string(p.data)), p.length, p.stat)
	case p.text:
		info, final = s.sendText(p.to, string(p.data))
	default:
		info, final = s.sendPDU(strings.TrimSpace(string(p.data)), p.length)
	}
	if final == "" && info == nil {
		return // the line vanished meanwhile, or the simulator closed
	}
	if final == "" {
		final = "OK"
	}
	s.mu.Lock()
	var text string
	if len(info) > 0 {
		text = s.frameInfoLocked(info)
	}
	text += s.frameFinalLocked(final)
	s.mu.Unlock()
	s.out(text)
}

func (s *Sim) cms(code int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmsLocked(code)
}

// --- basic commands

func cmdNothing(s *Sim, c command) result { return ok() }

func flagArg(c command) (bool, bool) {
	switch c.args {
	case "", "0":
		return false, true
	case "1":
		return true, true
	}
	return false, false
}

// cmdSwitch makes a command that sets an on/off setting (ATE, ATV, ATQ).
func cmdSwitch(field func(*settings) *bool) func(*Sim, command) result {
	return func(s *Sim, c command) result {
		v, good := flagArg(c)
		if !good {
			return result{err: "ERROR"}
		}
		*field(&s.set) = v
		return ok()
	}
}

var (
	cmdEcho    = cmdSwitch(func(t *settings) *bool { return &t.echo })
	cmdVerbose = cmdSwitch(func(t *settings) *bool { return &t.verbose })
	cmdQuiet   = cmdSwitch(func(t *settings) *bool { return &t.quiet })
)

func cmdReset(s *Sim, c command) result {
	if c.args != "" && c.args != "0" {
		return result{err: "ERROR"}
	}
	s.set = defaultSettings(s.set.csca, s.opts.TextOnly)
	s.tabuf = nil
	return ok()
}

func cmdSRegister(s *Sim, c command) result {
	reg, val, _ := strings.Cut(c.args, "=")
	n, err := strconv.Atoi(reg)
	if err != nil || n > 255 {
		return result{err: "ERROR"}
	}
	if c.op == '?' {
		defaults := map[int]int{3: 13, 4: 10, 5: 8, 7: 50}
		return ok(fmt.Sprintf("%03d", defaults[n]))
	}
	if c.op == '=' {
		if _, err := strconv.Atoi(val); err != nil {
			return result{err: "ERROR"}
		}
	}
	return ok()
}

func cmdInfo(s *Sim, c command) result {
	o := &s.opts
	return ok(
		"Manufacturer: "+o.Manufacturer,
		"Model: "+o.Model,
		"Revision: "+o.Revision,
		"IMEI: "+o.IMEI,
		"+GCAP: +CGSM,+DS,+ES",
	)
}

func cmdHangUp(s *Sim, c command) result {
	s.stopRinging()
	return ok()
}

func cmdGCAP(s *Sim, c command) result {
	if c.op == 't' {
		return ok()
	}
	return ok("+GCAP: +CGSM,+DS,+ES")
}

// identity answers an identification command with one line.
func identity(get func(*Options) string) handler {
	return func(s *Sim, c command) result {
		switch c.op {
		case 't':
			return ok()
		case 0:
			return ok(get(&s.opts))
		}
		return result{err: s.cmeLocked(4)}
	}
}

// intSetting is a command that only sets and reads one number.
func intSetting(name string, lo, hi int, field func(*settings) *int) handler {
	return func(s *Sim, c command) result {
		p := field(&s.set)
		switch c.op {
		case '?':
			return ok(fmt.Sprintf("%s: %d", name, *p))
		case 't':
			return ok(fmt.Sprintf("%s: (%d-%d)", name, lo, hi))
		case '=':
			args, good := parseArgs(c.args)
			if !good || len(args) != 1 {
				return result{err: s.cmeLocked(50)}
			}
			n, good := intArg(args, 0, -1)
			if !good || n < lo || n > hi {
				return result{err: s.cmeLocked(50)}
			}
			*p = n
			return ok()
		}
		return result{err: s.cmeLocked(4)}
	}
}

// --- 27.007 commands

func cmdCNUM(s *Sim, c command) result {
	if c.op == 't' {
		return ok()
	}
	if c.op != 0 {
		return result{err: s.cmeLocked(4)}
	}
	n := s.opts.Number
	return ok(fmt.Sprintf(`+CNUM: "",%s,%d`, quote(s.teStringLocked(n)), toaOf(n)))
}

func cmdCFUN(s *Sim, c command) result {
	switch c.op {
	case '?':
		return ok(fmt.Sprintf("+CFUN: %d", s.set.cfun))
	case 't':
		return ok("+CFUN: (0,1,4),(0-1)")
	case '=':
		args, good := parseArgs(c.args)
		if !good || len(args) < 1 || len(args) > 2 {
			return result{err: s.cmeLocked(50)}
		}
		fun, good := intArg(args, 0, -1)
		rst, good2 := intArg(args, 1, 0)
		if !good || !good2 || (fun != 0 && fun != 1 && fun != 4) || (rst != 0 && rst != 1) {
			return result{err: s.cmeLocked(50)}
		}
		before := s.registrationLocked()
		s.set.cfun = fun
		if rst == 1 {
			s.set = defaultSettings(s.set.csca, s.opts.TextOnly)
			s.set.cfun = fun
		}
		var r result
		if u := s.cregChangeLocked(before); u != nil {
			r.urcs = append(r.urcs, u)
		}
		return r
	}
	return result{err: s.cmeLocked(4)}
}

func cmdCPIN(s *Sim, c command) result {
	switch c.op {
	case '?':
		if s.pinNeeded {
			return ok("+CPIN: SIM PIN")
		}
		return ok("+CPIN: READY")
	case 't':
		return ok()
	case '=':
		args, good := parseArgs(c.args)
		if !good || len(args) < 1 || len(args) > 2 {
			return result{err: s.cmeLocked(50)}
		}
		if !s.pinNeeded {
			return result{err: s.cmeLocked(3)}
		}
		if args[0].val != s.opts.PIN {
			return result{err: s.cmeLocked(16)}
		}
		s.pinNeeded = false
		delete(s.faults, FaultSIMPIN)
		return ok()
	}
	return result{err: s.cmeLocked(4)}
}

// registrationLocked is the +CREG <stat>: 1 home, 2 searching, 0 not
// searching (radio off).
func (s *Sim) registrationLocked() int {
	switch {
	case s.set.cfun != 1:
		return 0
	case s.faults[FaultNoNetwork] != nil || s.pinNeeded:
		return 2
	}
	return 1
}

func (s *Sim) networkLocked() bool { return s.registrationLocked() == 1 }

// rssiLocked is the signal as +CSQ reports it.
func (s *Sim) rssiLocked() int {
	if s.set.cfun != 1 || s.faults[FaultNoNetwork] != nil {
		return 99
	}
	return s.opts.Signal
}

// Location of the simulated cell, for AT+CREG=2.
const lac, cellID = "5A1C", "0C3B"

func (s *Sim) cregLineLocked(solicited bool) string {
	stat := s.registrationLocked()
	prefix := "+CREG: "
	if solicited {
		prefix += strconv.Itoa(s.set.creg) + ","
	}
	if s.set.creg == 2 && (stat == 1 || stat == 5) {
		return fmt.Sprintf(`%s%d,"%s","%s"`, prefix, stat, lac, cellID)
	}
	return prefix + strconv.Itoa(stat)
}

// cregChangeLocked is the unsolicited +CREG for a change of registration,
// when AT+CREG asked for them.
func (s *Sim) cregChangeLocked(before int) []string {
	if s.set.creg == 0 || s.registrationLocked() == before {
		return nil
	}
	return []string{s.cregLineLocked(false)}
}

func cmdCSQ(s *Sim, c command) result {
	switch c.op {
	case 0:
		if s.rssiLocked() == 99 {
			return ok("+CSQ: 99,99")
		}
		return ok(fmt.Sprintf("+CSQ: %d,99", s.rssiLocked()))
	case 't':
		return ok("+CSQ: (0-31,99),(0-7,99)")
	}
	return result{err: s.cmeLocked(4)}
}

func cmdCREG(s *Sim, c command) result {
	switch c.op {
	case '?':
		return ok(s.cregLineLocked(true))
	case 't':
		return ok("+CREG: (0-2)")
	case '=':
		args, good := parseArgs(c.args)
		n, good2 := intArg(args, 0, 0)
		if !good || !good2 || len(args) > 1 || n < 0 || n > 2 {
			return result{err: s.cmeLocked(50)}
		}
		s.set.creg = n
		return ok()
	}
	return result{err: s.cmeLocked(4)}
}

func cmdCOPS(s *Sim, c command) result {
	switch c.op {
	case '?':
		if !s.networkLocked() {
			return ok("+COPS: 0")
		}
		return ok(fmt.Sprintf("+COPS: 0,0,%s,0", quote(s.opts.Operator)))
	case 't':
		return ok(fmt.Sprintf(`+COPS: (2,%s,"CMCC","46000",0),,(0-4),(0-2)`, quote(s.opts.Operator)))
	case '=':
		return ok()
	}
	return result{err: s.cmeLocked(4)}
}

func cmdCLIP(s *Sim, c command) result {
	switch c.op {
	case '?':
		n := 0
		if s.set.clip {
			n = 1
		}
		return ok(fmt.Sprintf("+CLIP: %d,1", n))
	case 't':
		return ok("+CLIP: (0,1)")
	case '=':
		args, good := parseArgs(c.args)
		n, good2 := intArg(args, 0, 0)
		if !good || !good2 || n < 0 || n > 1 {
			return result{err: s.cmeLocked(50)}
		}
		s.set.clip = n == 1
		return ok()
	}
	return result{err: s.cmeLocked(4)}
}

var charsets = []string{"IRA", "GSM", "UCS2"}

func cmdCSCS(s *Sim, c command) result {
	switch c.op {
	case '?':
		return ok(fmt.Sprintf("+CSCS: %s", quote(s.set.cscs)))
	case 't':
		return ok(`+CSCS: ("IRA","GSM","UCS2")`)
	case '=':
		args, good := parseArgs(c.args)
		if !good || len(args) != 1 {
			return result{err: s.cmeLocked(50)}
		}
		v := strings.ToUpper(args[0].val)
		for _, cs := range charsets {
			if v == cs {
				s.set.cscs = cs
				return ok()
			}
		}
		return result{err: s.cmeLocked(4)}
	}
	return result{err: s.cmeLocked(4)}
}

func cmdCSCA(s *Sim, c command) result {
	switch c.op {
	case '?':
		return ok(fmt.Sprintf("+CSCA: %s,%d", quote(s.teStringLocked(s.set.csca)), s.set.cscaTOA))
	case 't':
		return ok()
	case '=':
		args, good := parseArgs(c.args)
		if !good || len(args) > 2 {
			return result{err: s.cmsLocked(304)}
		}
		if len(args) == 0 || args[0].val == "" {
			return ok() // Kannel's bare AT+CSCA= keeps the SIM's
		}
		addr, good := s.fromTELocked(args[0].val)
		if !good {
			return result{err: s.cmsLocked(304)}
		}
		toa, good := intArg(args, 1, toaOf(addr))
		if !good {
			return result{err: s.cmsLocked(304)}
		}
		s.set.csca, s.set.cscaTOA = addr, toa
		return ok()
	}
	return result{err: s.cmsLocked(303)}
}

// --- 27.005 commands

func cmdCSMP(s *Sim, c command) result {
	switch c.op {
	case '?':
		p := s.set.csmp
		return ok(fmt.Sprintf("+CSMP: %d,%d,%d,%d", p[0], p[1], p[2], p[3]))
	case 't':
		return ok()
	case '=':
		args, good := parseArgs(c.args)
		if !good || len(args) > 4 {
			return result{err: s.cmsLocked(305)}
		}
		next := s.set.csmp
		for i := range args {
			n, good := intArg(args, i, next[i])
			if !good || n < 0 || n > 255 {
				return result{err: s.cmsLocked(305)}
			}
			next[i] = n
		}
		s.set.csmp = next
		return ok()
	}
	return result{err: s.cmsLocked(303)}
}

// cmdCMGF selects PDU (0) or text mode (1); a text-only modem refuses
// PDU mode with ERROR.
func cmdCMGF(s *Sim, c command) result {
	if s.opts.TextOnly {
		switch c.op {
		case 't':
			return ok("+CMGF: (1)")
		case '=':
			if args, good := parseArgs(c.args); good && len(args) == 1 && args[0].val == "0" && !args[0].quoted {
				return result{err: "ERROR"}
			}
		}
	}
	return intSetting("+CMGF", 0, 1, func(st *settings) *int { return &st.cmgf })(s, c)
}

func cmdCSMS(s *Sim, c command) result {
	switch c.op {
	case '?':
		return ok(fmt.Sprintf("+CSMS: %d,1,1,1", s.set.csms))
	case 't':
		return ok("+CSMS: (0,1)")
	case '=':
		args, good := parseArgs(c.args)
		n, good2 := intArg(args, 0, -1)
		if !good || !good2 || len(args) != 1 || n < 0 || n > 1 {
			return result{err: s.cmsLocked(302)}
		}
		s.set.csms = n
		return ok("+CSMS: 1,1,1")
	}
	return result{err: s.cmsLocked(303)}
}

// usageLocked is "<used>,<total>" of a memory; storage-full shows it full.
func (s *Sim) usageLocked(name string) string {
	st := s.stores[name]
	used := st.used()
	if s.faults[FaultStorageFull] != nil {
		used = st.total()
	}
	return fmt.Sprintf("%d,%d", used, st.total())
}

func cmdCPMS(s *Sim, c command) result {
	switch c.op {
	case '?':
		p := s.set.cpms
		return ok(fmt.Sprintf("+CPMS: %s,%s,%s,%s,%s,%s", quote(p[0]), s.usageLocked(p[0]), quote(p[1]), s.usageLocked(p[1]), quote(p[2]), s.usageLocked(p[2])))
	case 't':
		return ok(`+CPMS: ("SM","ME"),("SM","ME"),("SM","ME")`)
	case '=':
		args, good := parseArgs(c.args)
		if !good || len(args) < 1 || len(args) > 3 {
			return result{err: s.cmsLocked(302)}
		}
		next := s.set.cpms
		for i, a := range args {
			if a.val == "" {
				continue
			}
			name := strings.ToUpper(a.val)
			if s.stores[name] == nil {
				return result{err: s.cmsLocked(302)}
			}
			next[i] = name
		}
		s.set.cpms = next
		return ok(fmt.Sprintf("+CPMS: %s,%s,%s", s.usageLocked(next[0]), s.usageLocked(next[1]), s.usageLocked(next[2])))
	}
	return result{err: s.cmsLocked(303)}
}

func cmdCNMI(s *Sim, c command) result {
	switch c.op {
	case '?':
		n := s.set.cnmi
		return ok(fmt.Sprintf("+CNMI: %d,%d,%d,%d,%d", n[0], n[1], n[2], n[3], n[4]))
	case 't':
		return ok("+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)")
	case '=':
		args, good := parseArgs(c.args)
		if !good || len(args) < 1 || len(args) > 5 {
			return result{err: s.cmsLocked(302)}
		}
		limits := [5][2]int{{0, 2}, {0, 3}, {0, 2}, {0, 2}, {0, 1}}
		next := s.set.cnmi
		for i := range args {
			n, good := intArg(args, i, next[i])
			if !good || n < limits[i][0] || n > limits[i][1] || i == 2 && n == 1 {
				return result{err: s.cmsLocked(303)}
			}
			next[i] = n
		}
		s.set.cnmi = next
		var r result
		if next[0] != 0 {
			// Indications kept in mode 0 go out now (bfr 0) or are dropped.
			if next[4] == 0 {
				for _, t := range s.tabuf {
					r.urcs = append(r.urcs, strings.Split(t, "\r\n"))
				}
			}
			s.tabuf = nil
		}
		return r
	}
	return result{err: s.cmsLocked(303)}
}

func cmdCMGS(s *Sim, c command) result {
	switch c.op {
	case 't':
		return ok()
	case '=':
	default:
		return result{err: s.cmsLocked(302)}
	}
	args, good := parseArgs(c.args)
	if !good || len(args) < 1 || len(args) > 2 {
		return result{err: s.cmsLocked(304 + s.set.cmgf)}
	}
	if s.set.cmgf == 1 {
		to, good := s.fromTELocked(args[0].val)
		if !good || to == "" {
			return result{err: s.cmsLocked(305)}
		}
		return result{prompt: &prompt{kind: "+CMGS", text: true, to: to}}
	}
	n, good := intArg(args, 0, -1)
	if !good || n < 7 || n > 164 {
		return result{err: s.cmsLocked(304)}
	}
	return result{prompt: &prompt{kind: "+CMGS", length: n}}
}

func cmdCMGW(s *Sim, c command) result {
	switch c.op {
	case 't':
		return ok()
	case '=':
	default:
		return result{err: s.cmsLocked(302)}
	}
	if s.set.cmgf == 1 {
		return result{err: s.cmsLocked(303)} // text-mode writing is not simulated
	}
	args, good := parseArgs(c.args)
	n, good2 := intArg(args, 0, -1)
	stat, good3 := intArg(args, 1, stoUnsent)
	if !good || !good2 || !good3 || n < 7 || n > 164 || stat < 0 || stat > 3 {
		return result{err: s.cmsLocked(304)}
	}
	return result{prompt: &prompt{kind: "+CMGW", length: n, stat: stat}}
}

// indexArg reads the one memory index of AT+CMGR=<i> or AT+CMSS=<i>: the
// test form answers OK, any other form +CMS ERROR 302, a bad index
// +CMS ERROR bad. done says res is the answer.
func (s *Sim) indexArg(c command, bad int) (idx int, res result, done bool) {
	switch c.op {
	case 't':
		return 0, ok(), true
	case '=':
	default:
		return 0, result{err: s.cmsLocked(302)}, true
	}
	args, good := parseArgs(c.args)
	idx, good2 := intArg(args, 0, -1)
	if !good || !good2 || len(args) != 1 {
		return 0, result{err: s.cmsLocked(bad)}, true
	}
	return idx, result{}, false
}

// cmdCMSS sends a stored SMS-SUBMIT; the network's wait runs outside the
// lock, in result.later.
func cmdCMSS(s *Sim, c command) result {
	idx, res, done := s.indexArg(c, 303)
	if done {
		return res // (303: sending to another destination is not simulated)
	}
	st := s.stores[s.set.cpms[1]]
	m, inRange := st.get(idx)
	if !inRange || m == nil || m.kind != kindSubmit {
		return result{err: s.cmsLocked(321)}
	}
	return result{later: func() ([]string, string) {
		info, final := s.sendPDUAs(m.pdu, "+CMSS")
		if final == "" && info != nil {
			s.mu.Lock()
			if cur, _ := st.get(idx); cur == m {
				m.stat = stoSent
			}
			s.mu.Unlock()
		}
		return info, final
	}}
}

// listLocked renders one stored message for +CMGL or +CMGR.
func (s *Sim) renderLocked(prefix string, index int, m *message) []string {
	head := prefix + ": "
	if index > 0 {
		head += strconv.Itoa(index) + ","
	}
	if s.set.cmgf == 1 {
		return s.renderTextLocked(prefix, index, m)
	}
	return []string{fmt.Sprintf("%s%d,,%d", head, m.stat, m.tpduLen), m.pdu}
}

func cmdCMGL(s *Sim, c command) result {
	textMode := s.set.cmgf == 1
	switch c.op {
	case 't':
		if textMode {
			return ok(`+CMGL: ("REC UNREAD","REC READ","STO UNSENT","STO SENT","ALL")`)
		}
		return ok("+CMGL: (0-4)")
	case 0, '=':
	default:
		return result{err: s.cmsLocked(302)}
	}
	want := recUnread
	args, good := parseArgs(c.args)
	if !good || len(args) > 1 {
		return result{err: s.cmsLocked(304 + s.set.cmgf)}
	}
	if len(args) == 1 {
		if textMode {
			want = -1
			for i, n := range statNames {
				if strings.EqualFold(args[0].val, n) {
					want = i
				}
			}
			if want < 0 || !args[0].quoted {
				return result{err: s.cmsLocked(305)}
			}
		} else {
			n, good := intArg(args, 0, -1)
			if !good || n < 0 || n > statAll {
				return result{err: s.cmsLocked(304)}
			}
			want = n
		}
	}
	st := s.stores[s.set.cpms[0]]
	var lines []string
	for _, idx := range st.indexes() {
		m, _ := st.get(idx)
		if want != statAll && m.stat != want {
			continue
		}
		lines = append(lines, s.renderLocked("+CMGL", idx, m)...)
		if m.stat == recUnread {
			m.stat = recRead
		}
	}
	return ok(lines...)
}

func cmdCMGR(s *Sim, c command) result {
	idx, res, done := s.indexArg(c, 321)
	if done {
		return res
	}
	m, inRange := s.stores[s.set.cpms[0]].get(idx)
	if !inRange {
		return result{err: s.cmsLocked(321)}
	}
	if m == nil {
		return ok() // an empty place reads as nothing, as on a Huawei
	}
	lines := s.renderLocked("+CMGR", 0, m)
	if m.stat == recUnread {
		m.stat = recRead
	}
	return ok(lines...)
}

func cmdCMGD(s *Sim, c command) result {
	st := s.stores[s.set.cpms[0]]
	switch c.op {
	case 't':
		used := st.indexes()
		parts := make([]string, len(used))
		for i, n := range used {
			parts[i] = strconv.Itoa(n)
		}
		return ok(fmt.Sprintf("+CMGD: (%s),(0-4)", strings.Join(parts, ",")))
	case '=':
	default:
		return result{err: s.cmsLocked(302)}
	}
	args, good := parseArgs(c.args)
	idx, good2 := intArg(args, 0, 0)
	flag, good3 := intArg(args, 1, 0)
	if !good || !good2 || !good3 || len(args) < 1 || len(args) > 2 || flag < 0 || flag > 4 {
		return result{err: s.cmsLocked(302)}
	}
	if flag == 0 {
		if _, inRange := st.get(idx); !inRange {
			return result{err: s.cmsLocked(321)}
		}
		st.remove(idx)
		return ok()
	}
	// delflag: 1 read, 2 read and sent, 3 read, sent and unsent, 4 all.
	for _, i := range st.indexes() {
		m, _ := st.get(i)
		del := false
		switch flag {
		case 1:
			del = m.stat == recRead
		case 2:
			del = m.stat == recRead || m.stat == stoSent
		case 3:
			del = m.stat != recUnread
		case 4:
			del = true
		}
		if del {
			st.remove(i)
		}
	}
	return ok()
}

func cmdCNMA(s *Sim, c command) result {
	switch c.op {
	case 't':
		if s.set.cmgf == 0 {
			return ok("+CNMA: (0-2)")
		}
		return ok()
	case 0, '=':
	default:
		return result{err: s.cmsLocked(302)}
	}
	if s.set.csms != 1 || s.cnmaDue == 0 {
		return result{err: s.cmsLocked(340)}
	}
	s.cnmaDue--
	return ok()
}
