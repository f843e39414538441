package smsgateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"nanhu/smsgateway/at"
)

// Modem states as ModemStatus.State gives them.
const (
	ModemStarting = "starting" // opening the line, initialising
	ModemUp       = "up"       // registered and taking messages
	ModemDown     = "down"     // see ModemStatus.Error
)

// ModemStatus is what the gateway knows of one modem now.
type ModemStatus struct {
	Name  string `json:"name"`
	Path  string `json:"path"`
	State string `json:"state"`
	// Mode is how SMS are exchanged on the line: "pdu", or "text" for a
	// modem that refuses PDU mode or is configured so (see ModeText); ""
	// before the first initialisation.
	Mode string `json:"mode,omitempty"`
	// Charset is the TE character set texts are read in, in text mode.
	Charset string `json:"charset,omitempty"`
	// Error says why the modem is down, or what went wrong last.
	Error string `json:"error,omitempty"`
	// Busy: a message is being sent through it.
	Busy bool `json:"busy"`
	// Signal is the RSSI of AT+CSQ: 0–31, 99 unknown; SignalDBm its value
	// in dBm (0 when unknown).
	Signal    int `json:"signal"`
	SignalDBm int `json:"signal_dbm,omitempty"`
	// Registration is the +CREG status (1 home, 5 roaming, 2 searching…).
	Registration     int       `json:"registration"`
	RegistrationText string    `json:"registration_text"`
	Operator         string    `json:"operator,omitempty"`
	Manufacturer     string    `json:"manufacturer,omitempty"`
	Model            string    `json:"model,omitempty"`
	IMEI             string    `json:"imei,omitempty"`
	PartsSent        int64     `json:"parts_sent"`
	SendErrors       int64     `json:"send_errors"`
	Received         int64     `json:"received"` // PDUs read and stored
	Connects         int       `json:"connects"` // times the line was opened and initialised
	LastUsed         time.Time `json:"last_used,omitzero"`
	LastCheck        time.Time `json:"last_check,omitzero"`
}

// modem is one modem of the pool: a supervisor goroutine keeps its line
// open and initialised and watches its health; the dispatcher hands it one
// message at a time.
type modem struct {
	g   *Gateway
	cfg ModemConfig
	log *slog.Logger

	// line is held across a send and the commit of its result, and across
	// reading a stored message, storing it and deleting it: a status
	// report is never looked at before the part it is about is recorded.
	line sync.Mutex
	mem1 string    // memory AT+CMGR/CMGL/CMGD work on now; guarded by line
	ls   lineSetup // PDU or text mode and its settings; guarded by line

	mu        sync.Mutex
	conn      *at.Conn // nil while down
	st        ModemStatus
	nextSlot  time.Time // rate limit: the next part may go then
	restUntil time.Time // after a failed send, not up again before
	recheck   chan struct{}
}

// fatalError is a failure that retrying would make worse (a wrong PIN).
type fatalError struct{ error }

func newModem(g *Gateway, cfg ModemConfig) *modem {
	return &modem{
		g:       g,
		cfg:     cfg,
		log:     g.log.With("modem", cfg.Name),
		st:      ModemStatus{Name: cfg.Name, Path: cfg.Path, State: ModemStarting, Signal: 99},
		recheck: make(chan struct{}, 1),
	}
}

func (m *modem) status() ModemStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st
}

// available reports whether the dispatcher may give m a message now, and
// otherwise when its rate limit lets it (zero when something else holds
// it back).
func (m *modem) available(now time.Time) (bool, time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.conn == nil || m.st.State != ModemUp || m.st.Busy {
		return false, time.Time{}
	}
	if m.nextSlot.After(now) {
		return false, m.nextSlot
	}
	return true, time.Time{}
}

func (m *modem) setUp(c *at.Conn) {
	m.mu.Lock()
	changed := m.conn == c && m.st.State != ModemUp
	if m.conn == c {
		m.st.State, m.st.Error = ModemUp, ""
	}
	m.mu.Unlock()
	if changed {
		m.log.Info("modem up", "signal", m.status().Signal)
		m.g.kick()
	}
}

// setDown takes m out of the pool while c is its line (c nil: whatever
// line it has).
func (m *modem) setDown(c *at.Conn, why string) {
	m.mu.Lock()
	if c != nil && m.conn != c {
		m.mu.Unlock()
		return
	}
	was := m.st.State
	m.st.State, m.st.Error = ModemDown, why
	m.mu.Unlock()
	if was != ModemDown {
		m.log.Warn("modem down", "why", why)
	}
}

// failed is called when a send through c failed in a way that may be the
// modem's: it rests for RecheckDelay, then a health check decides.
func (m *modem) failed(c *at.Conn, err error) {
	m.mu.Lock()
	m.restUntil = time.Now().Add(m.g.opts.RecheckDelay)
	m.mu.Unlock()
	m.setDown(c, "send failed: "+err.Error())
	select {
	case m.recheck <- struct{}{}:
	default:
	}
}

// run keeps the modem's line open and initialised until ctx ends.
func (m *modem) run(ctx context.Context) {
	wait := 200 * time.Millisecond
	for ctx.Err() == nil {
		err := m.session(ctx)
		if ctx.Err() != nil {
			break
		}
		var fatal fatalError
		if errors.As(err, &fatal) {
			m.setDown(nil, err.Error())
			m.log.Error("modem left down until its configuration is fixed", "err", err)
			return
		}
		if err != nil {
			m.setDown(nil, err.Error())
		} else {
			wait = 200 * time.Millisecond // it was up: try again soon
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(wait*2, 10*time.Second)
	}
	m.mu.Lock()
	m.conn = nil
	m.st.State, m.st.Error = ModemDown, "stopped"
	m.mu.Unlock()
}

// session opens the line, initialises the modem and serves it until the
// line fails or ctx ends. A nil error means it was up and then lost.
func (m *modem) session(ctx context.Context) error {
	m.mu.Lock()
	m.st.State = ModemStarting
	m.mu.Unlock()
	rwc, err := m.g.opts.Dial(m.cfg)
	if err != nil {
		return fmt.Errorf("open %s: %w", m.cfg.Path, err)
	}
	o := m.g.opts.AT
	if o.Logger == nil {
		o.Logger = m.log
	}
	c := at.New(rwc, o)
	defer c.Close()
	reads := make(chan indication, 64)
	m.handle(c, reads)
	m.line.Lock()
	err = m.initialise(ctx, c)
	m.line.Unlock()
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.conn = c
	m.st.Connects++
	m.restUntil = time.Time{}
	m.mu.Unlock()
	defer func() {
		// No new message for this line; the one in hand finishes first
		// (the AT driver bounds its wait) before the line is closed.
		m.mu.Lock()
		m.conn = nil
		m.mu.Unlock()
		for m.status().Busy {
			time.Sleep(20 * time.Millisecond)
		}
	}()
	m.check(ctx, c)
	m.sweep(ctx, c)
	m.watch(ctx, c, reads)
	if ctx.Err() == nil {
		m.setDown(c, "line lost: "+errText(c.Err()))
	}
	return nil
}

func errText(err error) string {
	if err == nil {
		return "closed"
	}
	return err.Error()
}

// watch runs the health checks, sweeps and reads of one line until it
// fails or ctx ends.
func (m *modem) watch(ctx context.Context, c *at.Conn, reads <-chan indication) {
	health := time.NewTicker(m.g.opts.HealthInterval)
	defer health.Stop()
	sweep := time.NewTicker(m.g.opts.SweepInterval)
	defer sweep.Stop()
	var recheck <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.Done():
			return
		case <-m.recheck:
			recheck = time.After(m.g.opts.RecheckDelay)
		case <-recheck:
			recheck = nil
			m.check(ctx, c)
		case <-health.C:
			m.check(ctx, c)
		case <-sweep.C:
			m.sweep(ctx, c)
		case ind := <-reads:
			m.read(ctx, c, ind)
		}
	}
}

// command runs one AT command.
func command(ctx context.Context, c *at.Conn, cmd string) ([]string, error) {
	return c.Command(ctx, cmd, 0)
}

// initialise brings a freshly opened modem to the state the gateway
// needs: echo off, numeric errors, SIM unlocked, PDU mode (or text mode,
// see setMode), messages and status reports stored and announced, the
// service centre set.
func (m *modem) initialise(ctx context.Context, c *at.Conn) error {
	// ESC drops whatever half a command a previous user left on the line;
	// a modem just powered up may take a few tries to answer.
	c.Command(ctx, "\x1bAT", 2*time.Second)
	var err error
	for range 3 {
		if _, err = c.Command(ctx, "AT", 2*time.Second); err == nil {
			break
		}
		if errors.Is(err, at.ErrPortClosed) || ctx.Err() != nil {
			return fmt.Errorf("initialise: %w", err)
		}
	}
	if err != nil {
		return fmt.Errorf("initialise: the modem does not answer AT: %w", err)
	}
	if _, err := command(ctx, c, "ATE0"); err != nil {
		return fmt.Errorf("initialise: %w", err)
	}
	if _, err := command(ctx, c, "AT+CMEE=1"); err != nil {
		m.log.Warn("modem refuses numeric errors (AT+CMEE=1)", "err", err)
	}
	if err := m.unlock(ctx, c); err != nil {
		return err
	}
	if err := m.setMode(ctx, c); err != nil {
		return err
	}
	mode, charset := ModePDU, ""
	if m.ls.text {
		mode, charset = ModeText, m.ls.cscs
	}
	mem := m.cfg.Storage
	m.mem1 = ""
	if _, err := command(ctx, c, fmt.Sprintf(`AT+CPMS="%s","%s","%s"`, mem, mem, mem)); err != nil {
		m.log.Warn("modem refuses the message memory", "storage", mem, "err", err)
	} else {
		m.mem1 = mem
	}
	// Store SMS and status reports and announce them (+CMTI, +CDSI), so
	// nothing is lost between arrival and our storing it; fall back to
	// what the modem takes. The AT+CMGL sweep finds what is not announced.
	cnmi := ""
	for _, v := range []string{"2,1,0,2,0", "1,1,0,2,0", "2,1,0,1,0", "1,1,0,1,0", "2,1,0,0,0", "1,1,0,0,0"} {
		if _, err := command(ctx, c, "AT+CNMI="+v); err == nil {
			cnmi = v
			break
		} else if errors.Is(err, at.ErrPortClosed) {
			return fmt.Errorf("initialise: %w", err)
		}
	}
	if cnmi == "" {
		m.log.Warn("modem takes no AT+CNMI setting: inbound SMS are found by the periodic sweep only")
	}
	if m.cfg.SMSC != "" {
		toa := 129
		if strings.HasPrefix(m.cfg.SMSC, "+") {
			toa = 145
		}
		if _, err := command(ctx, c, fmt.Sprintf(`AT+CSCA="%s",%d`, m.cfg.SMSC, toa)); err != nil {
			return fmt.Errorf("initialise: set the service centre %s: %w", m.cfg.SMSC, err)
		}
	}
	id := func(cmd string) string {
		lines, err := command(ctx, c, cmd)
		if err != nil || len(lines) == 0 {
			return ""
		}
		return strings.TrimSpace(lines[0])
	}
	manu, model, imei := id("AT+CGMI"), id("AT+CGMM"), id("AT+CGSN")
	var op string
	if lines, err := command(ctx, c, "AT+COPS?"); err == nil {
		op = parseCOPS(lines)
	}
	m.mu.Lock()
	m.st.Manufacturer, m.st.Model, m.st.IMEI, m.st.Operator = manu, model, imei, op
	m.st.Mode, m.st.Charset = mode, charset
	m.mu.Unlock()
	m.log.Info("modem initialised", "manufacturer", manu, "model", model, "mode", mode, "cnmi", cnmi, "operator", op)
	return ctx.Err()
}

// unlock enters the PIN when the SIM asks for it and waits for the SIM.
func (m *modem) unlock(ctx context.Context, c *at.Conn) error {
	for attempt := 0; ; attempt++ {
		lines, err := command(ctx, c, "AT+CPIN?")
		var ae *at.Error
		if errors.As(err, &ae) && ae.Kind == at.CME && ae.Code == 14 && attempt < 10 { // SIM busy
			if err := sleep(ctx, 500*time.Millisecond); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("initialise: SIM state: %w", err)
		}
		state, _ := parseCPIN(lines)
		switch state {
		case "READY":
			return nil
		case "SIM PIN":
			if attempt > 0 {
				return fatalError{fmt.Errorf("the SIM still asks for its PIN after it was entered")}
			}
			if m.cfg.PIN == "" {
				return fatalError{errors.New("the SIM asks for a PIN and none is configured")}
			}
			if _, err := command(ctx, c, fmt.Sprintf(`AT+CPIN="%s"`, m.cfg.PIN)); err != nil {
				if errors.As(err, &ae) && (ae.Kind == at.CME || ae.Kind == at.Plain) {
					return fatalError{fmt.Errorf("the SIM refused the configured PIN (%v); it is not tried again", err)}
				}
				return fmt.Errorf("initialise: enter PIN: %w", err)
			}
			m.log.Info("PIN entered")
			if err := sleep(ctx, 500*time.Millisecond); err != nil {
				return err
			}
		case "":
			return fmt.Errorf("initialise: no +CPIN answer to AT+CPIN?")
		default:
			return fatalError{fmt.Errorf("the SIM asks for %s", state)}
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// check asks the signal and the registration. A modem that does not
// answer, or answers with an error, has its line closed so that it is
// opened and initialised again; one that is not registered is down.
func (m *modem) check(ctx context.Context, c *at.Conn) {
	csq, err := command(ctx, c, "AT+CSQ")
	if err == nil {
		var creg []string
		if creg, err = command(ctx, c, "AT+CREG?"); err == nil {
			m.healthy(c, csq, creg)
			return
		}
	}
	if ctx.Err() != nil {
		return
	}
	m.setDown(c, "health check: "+err.Error())
	c.Close()
}

func (m *modem) healthy(c *at.Conn, csq, creg []string) {
	rssi, ok := parseCSQ(csq)
	if !ok {
		rssi = 99
	}
	stat, ok := parseCREG(creg)
	if !ok {
		stat = 4
	}
	now := time.Now()
	m.mu.Lock()
	m.st.Signal, m.st.SignalDBm = rssi, 0
	if rssi <= 31 {
		m.st.SignalDBm = -113 + 2*rssi
	}
	m.st.Registration, m.st.RegistrationText = stat, cregText(stat)
	m.st.LastCheck = m.g.opts.Now()
	resting := now.Before(m.restUntil)
	m.mu.Unlock()
	switch {
	case !registered(stat):
		m.setDown(c, "no network: "+cregText(stat))
	case resting:
	default:
		m.setUp(c)
	}
}

// waitSlot waits for the modem's rate limit to let the next part go.
func (m *modem) waitSlot(ctx context.Context) error {
	if m.cfg.RatePerMinute <= 0 {
		return nil
	}
	interval := time.Minute / time.Duration(m.cfg.RatePerMinute)
	m.mu.Lock()
	now := time.Now()
	at := now
	if m.nextSlot.After(now) {
		at = m.nextSlot
	}
	m.nextSlot = at.Add(interval)
	m.mu.Unlock()
	return sleep(ctx, at.Sub(now))
}
