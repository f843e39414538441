package at

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	ctrlZ = 0x1A
	esc   = 0x1B
)

// Conn is an AT command connection to one modem. Its methods are safe for
// concurrent use; commands are sent one at a time.
type Conn struct {
	rw   io.ReadWriter
	opts Options
	log  *slog.Logger

	sem    chan struct{} // held by the command in hand
	writes chan writeReq

	mu         sync.Mutex // guards the reader's state below
	cur        *pending
	lastCmd    string // echoes of an abandoned command are dropped too
	lastPDU    string
	partial    []byte
	discarding bool
	payloadFor *URC
	resync     bool

	lastRx atomic.Int64 // UnixNano of the last byte read

	hmu      sync.RWMutex
	handlers map[string]Handler

	umu     sync.Mutex
	ucond   *sync.Cond
	uq      []URC
	uclosed bool

	closeOnce sync.Once
	closed    chan struct{}
	closeErr  error
}

// pending is the command in hand.
type pending struct {
	cmd        string
	names      []string
	pdu        string
	sig        string // for the probe: a final result counts only after a line with this prefix
	wantPrompt bool
	promptSeen bool
	prompt     chan struct{}
	lines      []string
	err        error
	done       chan struct{}
}

type writeReq struct {
	b    []byte
	done chan error
}

// New starts a Conn on rw: a reader goroutine, a writer goroutine and one
// that runs the handlers. Close (or a failing port) stops them.
func New(rw io.ReadWriter, o Options) *Conn {
	c := newConn(rw, o)
	go c.readLoop()
	go c.writeLoop()
	go c.dispatchLoop()
	return c
}

// newConn is a Conn without its goroutines.
func newConn(rw io.ReadWriter, o Options) *Conn {
	o.fill()
	c := &Conn{
		rw:       rw,
		opts:     o,
		log:      o.Logger,
		sem:      make(chan struct{}, 1),
		writes:   make(chan writeReq),
		handlers: make(map[string]Handler),
		closed:   make(chan struct{}),
	}
	c.ucond = sync.NewCond(&c.umu)
	return c
}

// Handle registers h for unsolicited result codes with this code ("+CMTI",
// "RING", "^RSSI"); the code "" catches every code without a handler of
// its own, and every stray line. A nil h removes the handler.
func (c *Conn) Handle(code string, h Handler) {
	c.hmu.Lock()
	defer c.hmu.Unlock()
	code = asciiUpper(code)
	if h == nil {
		delete(c.handlers, code)
		return
	}
	c.handlers[code] = h
}

// Done is closed when the Conn is finished: closed, or its port failed.
func (c *Conn) Done() <-chan struct{} { return c.closed }

// Err is why the Conn finished (wrapping ErrPortClosed), nil before.
func (c *Conn) Err() error {
	select {
	case <-c.closed:
		return c.closeErr
	default:
		return nil
	}
}

// Close finishes the Conn and closes the port when it is an io.Closer.
func (c *Conn) Close() error {
	c.fail(errors.New("closed"))
	return nil
}

// fail finishes the Conn once: the command in hand and every later call
// fail with an error wrapping ErrPortClosed and cause.
func (c *Conn) fail(cause error) {
	c.closeOnce.Do(func() {
		c.closeErr = fmt.Errorf("%w: %w", ErrPortClosed, cause)
		close(c.closed)
		if cl, ok := c.rw.(io.Closer); ok {
			cl.Close()
		}
		c.mu.Lock()
		if p := c.cur; p != nil {
			p.err = fmt.Errorf("at: %s: %w", p.cmd, c.closeErr)
			close(p.done)
			c.cur = nil
		}
		c.mu.Unlock()
		c.umu.Lock()
		c.uclosed = true
		c.ucond.Broadcast()
		c.umu.Unlock()
	})
}

// Command sends one command line (without CR) and waits up to timeout (0
// means Options.CommandTimeout) for its final result. It returns the lines
// between, echo and unsolicited codes left out. A failure is an *Error,
// or wraps ErrPortClosed or the context's error.
func (c *Conn) Command(ctx context.Context, cmd string, timeout time.Duration) ([]string, error) {
	if timeout <= 0 {
		timeout = c.opts.CommandTimeout
	}
	return c.run(ctx, cmd, "", false, timeout)
}

// SMSCommand sends AT+CMGS=<n> or AT+CMGW=<n>, waits for the "> " prompt,
// writes pdu and Ctrl-Z and waits up to timeout (0 means
// Options.SMSTimeout) for the final result; the lines returned hold
// "+CMGS: <mr>". On a timeout or when ctx ends it writes ESC so the modem
// drops what it got.
func (c *Conn) SMSCommand(ctx context.Context, cmd, pdu string, timeout time.Duration) ([]string, error) {
	if timeout <= 0 {
		timeout = c.opts.SMSTimeout
	}
	return c.run(ctx, cmd, strings.TrimSpace(pdu), true, timeout)
}

func (c *Conn) run(ctx context.Context, cmd, pdu string, sms bool, timeout time.Duration) ([]string, error) {
	cmd = strings.TrimRight(cmd, "\r\n")
	if err := c.acquire(ctx, cmd); err != nil {
		return nil, err
	}
	defer func() { <-c.sem }()
	if err := c.resyncWait(ctx, cmd); err != nil {
		return nil, err
	}
	p := &pending{
		cmd:        cmd,
		names:      commandNames(cmd),
		wantPrompt: sms,
		prompt:     make(chan struct{}),
		done:       make(chan struct{}),
	}
	c.mu.Lock()
	if err := c.Err(); err != nil {
		c.mu.Unlock()
		return nil, fmt.Errorf("at: %s: %w", cmd, err)
	}
	c.cur, c.lastCmd, c.lastPDU = p, cmd, ""
	c.mu.Unlock()

	if err := c.write(cmd, []byte(cmd+"\r")); err != nil {
		c.abandon(p)
		return nil, err
	}
	sent := false
	if sms {
		t := time.NewTimer(c.opts.PromptTimeout)
		select {
		case <-p.prompt:
			t.Stop()
		case <-p.done: // an error instead of the prompt, or the port went
			t.Stop()
			return p.lines, p.err
		case <-t.C:
			return c.giveUp(p, true, &Error{Kind: Timeout, Command: cmd, Text: fmt.Sprintf(`no "> " prompt within %v`, c.opts.PromptTimeout)})
		case <-ctx.Done():
			t.Stop()
			return c.giveUp(p, true, &Error{Kind: Timeout, Command: cmd, Text: "before the prompt: " + ctx.Err().Error(), Err: ctx.Err()})
		}
		c.mu.Lock()
		p.pdu, c.lastPDU = pdu, pdu
		c.mu.Unlock()
		if err := c.write(cmd, append([]byte(pdu), ctrlZ)); err != nil {
			return c.giveUp(p, true, err)
		}
		sent = true
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.done:
		return p.lines, p.err
	case <-t.C:
		return c.giveUp(p, sms, &Error{Kind: Timeout, Command: cmd, Text: fmt.Sprintf("no final result within %v", timeout), PDUSent: sent})
	case <-ctx.Done():
		return c.giveUp(p, sms, &Error{Kind: Timeout, Command: cmd, Text: ctx.Err().Error(), PDUSent: sent, Err: ctx.Err()})
	}
}

// giveUp abandons p, unless its result came in the meantime, and writes
// ESC when escape is set.
func (c *Conn) giveUp(p *pending, escape bool, err error) ([]string, error) {
	if !c.abandon(p) {
		return p.lines, p.err
	}
	if escape && c.Err() == nil {
		if werr := c.write(p.cmd, []byte{esc}); werr != nil {
			c.log.Debug("at: ESC not written", "command", p.cmd, "err", werr)
		}
	}
	return nil, err
}

// abandon stops waiting for p; false when its result is already in.
func (c *Conn) abandon(p *pending) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-p.done:
		return false
	default:
	}
	if c.cur == p {
		c.cur = nil
	}
	c.resync = true
	return true
}

func (c *Conn) acquire(ctx context.Context, cmd string) error {
	if err := c.Err(); err != nil {
		return fmt.Errorf("at: %s: %w", cmd, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("at: %s: %w", cmd, err)
	}
	select {
	case c.sem <- struct{}{}:
		return nil
	case <-c.closed:
		return fmt.Errorf("at: %s: %w", cmd, c.closeErr)
	case <-ctx.Done():
		return fmt.Errorf("at: %s: waiting for the modem: %w", cmd, ctx.Err())
	}
}

// resyncWait runs after a command was abandoned: it sends the probe and
// waits for the probe's own answer, dropping the late answers before it.
func (c *Conn) resyncWait(ctx context.Context, cmd string) error {
	c.mu.Lock()
	need := c.resync
	c.resync = false
	c.mu.Unlock()
	if !need || c.opts.ResyncProbe == "" {
		return nil
	}
	probe := c.opts.ResyncProbe
	p := &pending{cmd: probe, names: commandNames(probe), prompt: make(chan struct{}), done: make(chan struct{})}
	if len(p.names) > 0 {
		p.sig = p.names[0]
	}
	c.mu.Lock()
	c.cur, c.lastCmd, c.lastPDU = p, probe, ""
	c.mu.Unlock()
	if err := c.write(probe, []byte(probe+"\r")); err != nil {
		c.abandon(p)
		if errors.Is(err, ErrPortClosed) {
			return fmt.Errorf("at: %s: %w", cmd, c.closeErr)
		}
		return nil
	}
	t := time.NewTimer(c.opts.ResyncTimeout)
	defer t.Stop()
	select {
	case <-p.done:
		if errors.Is(p.err, ErrPortClosed) {
			return fmt.Errorf("at: %s: %w", cmd, c.closeErr)
		}
	case <-t.C:
		c.abandon(p)
		c.log.Warn("at: no answer to the resynchronising probe", "probe", probe, "timeout", c.opts.ResyncTimeout)
	case <-ctx.Done():
		c.abandon(p)
		return fmt.Errorf("at: %s: %w", cmd, ctx.Err())
	}
	return nil
}

// write hands b to the writer goroutine and waits for it, at most
// Options.WriteTimeout. A failed write finishes the Conn.
func (c *Conn) write(cmd string, b []byte) error {
	req := writeReq{b: b, done: make(chan error, 1)}
	t := time.NewTimer(c.opts.WriteTimeout)
	defer t.Stop()
	select {
	case c.writes <- req:
	case <-c.closed:
		return fmt.Errorf("at: %s: %w", cmd, c.closeErr)
	case <-t.C:
		return &Error{Kind: Timeout, Command: cmd, Text: "write to the port timed out"}
	}
	select {
	case err := <-req.done:
		if err != nil {
			c.fail(fmt.Errorf("write: %w", err))
			return fmt.Errorf("at: %s: %w", cmd, c.closeErr)
		}
		return nil
	case <-c.closed:
		return fmt.Errorf("at: %s: %w", cmd, c.closeErr)
	case <-t.C:
		return &Error{Kind: Timeout, Command: cmd, Text: "write to the port timed out"}
	}
}

func (c *Conn) writeLoop() {
	for {
		select {
		case req := <-c.writes:
			_, err := c.rw.Write(req.b)
			req.done <- err
		case <-c.closed:
			return
		}
	}
}

func (c *Conn) readLoop() {
	buf := make([]byte, 1024)
	idle := 0
	for {
		n, err := c.rw.Read(buf)
		if n > 0 {
			idle = 0
			c.lastRx.Store(time.Now().UnixNano())
			c.consume(buf[:n])
		}
		if err != nil {
			var te interface{ Timeout() bool }
			if errors.As(err, &te) && te.Timeout() {
				continue // a read deadline, not a dead port
			}
			c.fail(fmt.Errorf("read: %w", err))
			return
		}
		if n == 0 {
			if idle++; idle > 100 {
				time.Sleep(10 * time.Millisecond)
			}
		}
		select {
		case <-c.closed:
			return
		default:
		}
	}
}

// consume takes bytes from the modem: lines end at CR or LF; "> " while a
// send waits for it is the prompt.
func (c *Conn) consume(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, x := range b {
		if x == '\r' || x == '\n' {
			if !c.discarding {
				c.line(c.partial)
			}
			c.partial = c.partial[:0]
			c.discarding = false
			continue
		}
		if c.discarding {
			continue
		}
		if len(c.partial) >= c.opts.MaxLine {
			c.log.Warn("at: over-long line from the modem dropped", "limit", c.opts.MaxLine)
			c.partial = c.partial[:0]
			c.discarding = true
			continue
		}
		c.partial = append(c.partial, x)
		if p := c.cur; p != nil && p.wantPrompt && !p.promptSeen && x == ' ' && len(c.partial) >= 2 && c.partial[len(c.partial)-2] == '>' {
			p.promptSeen = true
			close(p.prompt)
			c.partial = c.partial[:0]
		}
	}
}

// line sorts one line; c.mu is held.
func (c *Conn) line(raw []byte) {
	s := clean(raw)
	if s == "" {
		return
	}
	if u := c.payloadFor; u != nil {
		c.payloadFor = nil
		if !isFinal(s) { // a PDU is never "OK": the payload went missing
			u.Payload = s
			c.enqueue(*u)
			return
		}
		c.enqueue(*u)
	}
	p := c.cur
	if p != nil && p.wantPrompt && !p.promptSeen && (s == ">" || s == "> ") {
		p.promptSeen = true
		close(p.prompt)
		return
	}
	if c.isEcho(s, p) {
		return
	}
	code, args := splitCode(s)
	if isFinal(s) {
		switch {
		case p != nil && p.sig != "" && !p.signed():
			c.log.Debug("at: late final result dropped", "line", s, "stale", p.lines)
			p.lines = nil
		case p != nil:
			p.err = resultError(p.cmd, s)
			close(p.done)
			c.cur = nil
		case finals[asciiUpper(s)] && s != "OK" && s != "ERROR":
			c.enqueue(URC{Code: code, Line: s}) // NO CARRIER after a call
		default:
			c.log.Debug("at: final result with no command in hand dropped", "line", s)
		}
		return
	}
	if p != nil && !p.unsolicited(code) {
		p.lines = append(p.lines, s)
		return
	}
	u := URC{Code: code, Args: args, Line: s}
	if takesPayload(code, args) {
		c.payloadFor = &u
		return
	}
	c.enqueue(u)
}

// isEcho reports whether s is the modem echoing what we wrote: the command
// in hand, its PDU, or those of the command before (after a timeout).
func (c *Conn) isEcho(s string, p *pending) bool {
	t := strings.TrimSpace(strings.TrimPrefix(s, ">"))
	for _, w := range []string{c.lastCmd, c.lastPDU} {
		if w != "" && (strings.EqualFold(s, w) || strings.EqualFold(t, w)) {
			return true
		}
	}
	return p != nil && p.pdu != "" && strings.EqualFold(t, p.pdu)
}

// signed reports whether the probe's own line has come.
func (p *pending) signed() bool {
	for _, l := range p.lines {
		if code, _ := splitCode(l); code == p.sig {
			return true
		}
	}
	return false
}

// unsolicited reports whether a line with this code is unsolicited while p
// is in hand.
func (p *pending) unsolicited(code string) bool {
	for _, n := range p.names {
		if n == code {
			return false
		}
	}
	return knownURC[code] || strings.HasPrefix(code, "^")
}

// clean drops control bytes (Ctrl-Z, ESC, NUL, …) and surrounding blanks.
func clean(b []byte) string {
	out := make([]byte, 0, len(b))
	for _, x := range b {
		if x < 0x20 && x != '\t' || x == 0x7F {
			continue
		}
		out = append(out, x)
	}
	return strings.TrimSpace(string(out))
}

// resultError turns a final result line into nil (OK) or an *Error.
func resultError(cmd, line string) error {
	u := asciiUpper(line)
	switch {
	case u == "OK":
		return nil
	case u == "ERROR":
		return &Error{Kind: Plain, Command: cmd, Text: line}
	case strings.HasPrefix(u, "+CMS ERROR"):
		_, arg := splitCode(line)
		return &Error{Kind: CMS, Code: errorCode(arg, cmsText), Command: cmd, Text: line}
	case strings.HasPrefix(u, "+CME ERROR"):
		_, arg := splitCode(line)
		return &Error{Kind: CME, Code: errorCode(arg, cmeText), Command: cmd, Text: line}
	}
	return &Error{Kind: Other, Command: cmd, Text: line}
}

func (c *Conn) enqueue(u URC) {
	c.umu.Lock()
	c.uq = append(c.uq, u)
	c.ucond.Signal()
	c.umu.Unlock()
}

// dispatchLoop runs the handlers in arrival order, off the reader, so a
// handler may send commands. Codes queued before the Conn finished are
// still handed over.
func (c *Conn) dispatchLoop() {
	for {
		c.umu.Lock()
		for len(c.uq) == 0 && !c.uclosed {
			c.ucond.Wait()
		}
		if len(c.uq) == 0 {
			c.umu.Unlock()
			return
		}
		u := c.uq[0]
		c.uq[0] = URC{}
		c.uq = c.uq[1:]
		c.umu.Unlock()

		c.hmu.RLock()
		h, ok := c.handlers[u.Code]
		if !ok {
			h = c.handlers[""]
		}
		c.hmu.RUnlock()
		if h == nil {
			c.log.Debug("at: unsolicited line without a handler", "line", u.Line)
			continue
		}
		h(u)
	}
}
