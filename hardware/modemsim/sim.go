package modemsim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"syscall"
	"time"

	"nanhu/hardware/pty"
)

// Sim is one simulated GSM modem with its network.
type Sim struct {
	opts  Options
	log   *slog.Logger
	codec Codec

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// The line. lineMu guards line and gen; gen counts the ptys, so input
	// read from a vanished one is recognised and dropped.
	lineMu sync.Mutex
	line   *pty.Pty
	gen    int
	// sink, when set, takes the output instead of a pty (in-memory tests).
	sink func([]byte)

	// outMu makes each write to the line whole: a response line or an
	// unsolicited code never lands inside another. Lock order: outMu
	// before mu.
	outMu sync.Mutex

	in chan chunk

	// inp is the input state; only the processing goroutine touches it.
	inp input

	mu         sync.Mutex
	set        settings
	pinNeeded  bool
	stores     map[string]*store
	carried    []*Carried
	faults     map[string]*Fault
	nextMR     int
	promptOpen bool     // in "> " input: unsolicited codes wait in held
	held       []string // framed unsolicited codes waiting for the prompt to close
	tabuf      []string // indications kept while AT+CNMI mode is 0
	cnmaDue    int      // +CMT/+CDS routed with AT+CSMS=1 and not yet acknowledged
	ringStop   chan struct{}
	started    bool
	closed     bool
}

// chunk is what one read from the pty master returned.
type chunk struct {
	gen  int
	data []byte
}

// Errors of Inbound; the control API maps them to HTTP statuses.
var (
	ErrNoNetwork   = errors.New("the modem has no network")
	ErrStorageFull = errors.New("the modem's message memory is full")
	ErrBadRequest  = errors.New("bad request")
)

// New makes a simulator; Start opens its line.
func New(opts Options) (*Sim, error) {
	if opts.Codec == nil {
		return nil, errors.New("modemsim: Options.Codec is required")
	}
	opts = opts.withDefaults()
	s := &Sim{
		opts:   opts,
		log:    opts.Logger.With("modemsim", opts.Link),
		codec:  opts.Codec,
		in:     make(chan chunk, 64),
		faults: map[string]*Fault{},
		stores: map[string]*store{
			"SM": newStore("SM", opts.SMSlots),
			"ME": newStore("ME", opts.MESlots),
		},
		nextMR: 1,
	}
	s.set = defaultSettings(opts.SMSC, opts.TextOnly)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Start opens the pty, links it at Options.Link and starts answering on
// it. The simulator runs until Close or until ctx ends.
func (s *Sim) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.started || s.closed {
		s.mu.Unlock()
		return errors.New("modemsim: already started")
	}
	s.started = true
	s.mu.Unlock()
	if err := s.openLine(); err != nil {
		return err
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.process()
	}()
	if s.opts.RSSIInterval > 0 {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.rssiLoop()
		}()
	}
	go func() {
		select {
		case <-ctx.Done():
			s.Close()
		case <-s.ctx.Done():
		}
	}()
	s.log.Info("simulated GSM modem ready", "device", s.Device(), "link", s.opts.Link, "number", s.opts.Number)
	return nil
}

// Close stops the simulator, closes the pty and removes the link.
func (s *Sim) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.lineMu.Lock()
	if s.line != nil {
		s.line.Close()
		if s.opts.Link != "" {
			pty.Unlink(s.line.Name, s.opts.Link)
		}
		s.line = nil
	}
	s.gen++
	s.lineMu.Unlock()
	s.wg.Wait()
	return nil
}

// Device is the pty slave the link points at now, "" while vanished.
func (s *Sim) Device() string {
	s.lineMu.Lock()
	defer s.lineMu.Unlock()
	if s.line == nil {
		return ""
	}
	return s.line.Name
}

// Link is the path clients open.
func (s *Sim) Link() string { return s.opts.Link }

// openLine makes a new pty, links it and starts reading it.
func (s *Sim) openLine() error {
	p, err := pty.Open()
	if err != nil {
		return fmt.Errorf("modemsim: %w", err)
	}
	if s.opts.Link != "" {
		if err := pty.Link(p.Name, s.opts.Link); err != nil {
			p.Close()
			return fmt.Errorf("modemsim: %w", err)
		}
	}
	s.lineMu.Lock()
	if s.ctx.Err() != nil {
		s.lineMu.Unlock()
		p.Close()
		pty.Unlink(p.Name, s.opts.Link)
		return s.ctx.Err()
	}
	s.line = p
	s.gen++
	gen := s.gen
	s.lineMu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.readLoop(p, gen)
	}()
	return nil
}

// readLoop hands what the client writes to the processing goroutine.
func (s *Sim) readLoop(p *pty.Pty, gen int) {
	buf := make([]byte, 4096)
	for {
		n, err := p.Master.Read(buf)
		if n > 0 {
			data := make([]byte, n)
			copy(data, buf[:n])
			select {
			case s.in <- chunk{gen: gen, data: data}:
			case <-s.ctx.Done():
				return
			}
		}
		if err == nil {
			continue
		}
		if errors.Is(err, os.ErrClosed) || s.ctx.Err() != nil {
			return
		}
		if !errors.Is(err, syscall.EIO) {
			s.log.Warn("pty read", "err", err)
		}
		// EIO: no client has the line open. Wait for one.
		select {
		case <-time.After(50 * time.Millisecond):
		case <-s.ctx.Done():
			return
		}
	}
}

// currentGen is the generation of the line in place.
func (s *Sim) currentGen() int {
	s.lineMu.Lock()
	defer s.lineMu.Unlock()
	return s.gen
}

// process runs the commands, one at a time, as a modem does.
func (s *Sim) process() {
	for {
		select {
		case <-s.ctx.Done():
			return
		case c := <-s.in:
			if c.gen != s.currentGen() {
				continue // typed into a line that has since vanished
			}
			if c.gen != s.inp.gen {
				s.inp = input{gen: c.gen}
			}
			s.feed(c.data)
		}
	}
}

// write puts b on the line whole, or drops it when no client listens:
// a real modem's output into a closed port is lost too.
func (s *Sim) write(b string) {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	s.writeLocked(b)
}

func (s *Sim) writeLocked(b string) {
	s.lineMu.Lock()
	p, sink := s.line, s.sink
	s.lineMu.Unlock()
	if sink != nil {
		sink([]byte(b))
		return
	}
	if p == nil || p.Hungup() {
		return
	}
	p.Master.SetWriteDeadline(time.Now().Add(2 * time.Second))
	if _, err := p.Master.WriteString(b); err != nil && !errors.Is(err, os.ErrClosed) {
		s.log.Debug("pty write", "err", err)
	}
}

// urc sends unsolicited result codes, each whole, or keeps them until the
// "> " input is over.
func (s *Sim) urc(lines ...string) {
	if len(lines) == 0 {
		return
	}
	s.outMu.Lock()
	defer s.outMu.Unlock()
	s.mu.Lock()
	text := s.frameInfoLocked(lines)
	if s.promptOpen {
		s.held = append(s.held, text)
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	s.writeLocked(text)
}

// vanish takes the device away now and brings a new one, fresh from
// reset, to the same link after d.
func (s *Sim) vanish(d time.Duration) {
	if s.ctx.Err() != nil {
		return
	}
	s.log.Info("fault: the modem vanishes", "for", d)
	s.lineMu.Lock()
	old := s.line
	s.line = nil
	s.gen++
	s.lineMu.Unlock()
	if old != nil {
		old.Close()
		if s.opts.Link != "" {
			pty.Unlink(old.Name, s.opts.Link)
		}
	}
	s.mu.Lock()
	s.set = defaultSettings(s.set.csca, s.opts.TextOnly)
	s.promptOpen, s.held, s.tabuf, s.cnmaDue = false, nil, nil, 0
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		select {
		case <-time.After(d):
		case <-s.ctx.Done():
			return
		}
		if err := s.openLine(); err != nil {
			if s.ctx.Err() == nil {
				s.log.Error("modem could not come back after vanishing", "err", err)
			}
			return
		}
		s.log.Info("the modem is back", "device", s.Device())
	}()
}

// sleep waits d, or less when the simulator closes; it reports whether
// the whole wait passed.
func (s *Sim) sleep(d time.Duration) bool {
	if d <= 0 {
		return s.ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.ctx.Done():
		return false
	}
}

// rssiLoop is the Huawei habit of reporting the signal unasked.
func (s *Sim) rssiLoop() {
	t := time.NewTicker(s.opts.RSSIInterval)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		on := s.set.curc == 1 && s.set.cfun == 1
		rssi := s.rssiLocked()
		s.mu.Unlock()
		if on {
			s.urc(fmt.Sprintf("^RSSI: %d", rssi))
		}
	}
}

// garbage puts random bytes on the line, as a noisy cable or a modem
// crashing mid-sentence would.
func (s *Sim) garbage() {
	b := make([]byte, 48)
	for i := range b {
		b[i] = byte(rand.IntN(256))
	}
	s.write(string(b) + "\r\n")
}

// Ring makes a call arrive: RING, and +CLIP after AT+CLIP=1, every two
// seconds, count times or until ATH.
func (s *Sim) Ring(from string, count int) {
	if count <= 0 {
		count = 3
	}
	if s.ctx.Err() != nil {
		return
	}
	stop := make(chan struct{})
	s.mu.Lock()
	if s.ringStop != nil {
		close(s.ringStop)
	}
	s.ringStop = stop
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for i := 0; i < count; i++ {
			if i > 0 {
				select {
				case <-time.After(2 * time.Second):
				case <-stop:
					return
				case <-s.ctx.Done():
					return
				}
			}
			select {
			case <-stop:
				return
			default:
			}
			s.mu.Lock()
			lines := []string{"RING"}
			if s.set.clip {
				lines = append(lines, fmt.Sprintf("+CLIP: %s,%d,,,,0", quote(from), toaOf(from)))
			}
			s.mu.Unlock()
			s.urc(lines...)
		}
	}()
}

func (s *Sim) stopRinging() {
	if s.ringStop != nil {
		close(s.ringStop)
		s.ringStop = nil
	}
}
