// Package serial is the serial line to a GSM modem: a [Port] opened by
// path through github.com/tarm/serial, with the settings of [Config], that
// survives the modem going away and coming back.
//
// USB modems re-enumerate: the stick resets after a firmware hiccup or a
// brown-out, the kernel hangs up the old /dev/ttyUSBn (reads return end of
// file, writes fail with EIO) and makes a new one, often with another
// number. A client that keeps the dead descriptor never hears from the
// modem again (gammu issues #552 and #687). A Port therefore notices the
// hang-up, closes the descriptor, re-opens the configured path with
// backoff and calls [Config.OnReopen] so the caller initialises the modem
// again. Configure a stable udev name such as /dev/serial/by-id/usb-HUAWEI_…
// or a udev rule's SYMLINK, not /dev/ttyUSB0, so the path finds the modem
// whatever number it comes back with.
//
// # Promises
//
// A Port never writes to a descriptor it has seen hang up. The Read or
// Write that meets the hang-up returns an error wrapping [ErrLineLost]; a
// command that was in flight then is the caller's to retry after
// OnReopen, since the port cannot know how much of it the modem acted on.
// Reads after that wait for the new descriptor. Nothing written before the
// hang-up is written again.
//
// A hang-up is recognised by EIO, ENXIO, ENODEV or EPIPE from the system,
// by reads that return end of file at once (a hung-up terminal does that;
// a quiet line returns after the read timeout instead), and by the path
// having gone or now naming another device.
//
// # Flow control
//
// tarm/serial has no flow control setting (its RTSFlowControl field is
// commented out). When [Config.RTSCTS] is set the port sets CRTSCTS on the
// device itself, through a second descriptor, after tarm has configured it.
package serial

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"syscall"
	"time"

	tarm "github.com/tarm/serial"
	"golang.org/x/sys/unix"
)

// Parity is the parity bit setting.
type Parity byte

// Parity settings that tarm/serial supports on Linux.
const (
	ParityNone Parity = 'N'
	ParityOdd  Parity = 'O'
	ParityEven Parity = 'E'
)

// Config is how to open one serial line. The zero value of each field but
// Path means its default.
type Config struct {
	// Path is the device, preferably a stable name such as
	// /dev/serial/by-id/usb-HUAWEI_Technology_HUAWEI_Mobile-if00-port0.
	Path string
	// Baud is the line speed; default 115200. USB modems ignore it.
	Baud int
	// DataBits is 5 to 8; default 8.
	DataBits int
	// Parity is N, O or E; default N.
	Parity Parity
	// StopBits is 1 or 2; default 1.
	StopBits int
	// RTSCTS turns on hardware flow control.
	RTSCTS bool
	// ReadTimeout is how long Read waits for the first byte before it
	// returns an error wrapping ErrTimeout. Zero waits as long as it takes.
	// The device's own timer counts in tenths of a second.
	ReadTimeout time.Duration
	// ReopenMin and ReopenMax bound the wait between attempts to re-open
	// a vanished device: the first wait is ReopenMin, each failure doubles
	// it up to ReopenMax. Defaults 100 ms and 5 s.
	ReopenMin, ReopenMax time.Duration
	// OnReopen, if set, is called in a goroutine of its own each time the
	// device has been opened again after a hang-up; the port is usable
	// while it runs. This is where the modem is initialised again.
	OnReopen func()
	// Logger receives the hang-ups and re-opens; default slog.Default().
	Logger *slog.Logger
}

// Errors a Port returns; test for them with errors.Is.
var (
	// ErrClosed: the port was closed with Close.
	ErrClosed = errors.New("serial port closed")
	// ErrTimeout: no byte arrived within Config.ReadTimeout. It wraps
	// os.ErrDeadlineExceeded, like a net.Conn read past its deadline.
	ErrTimeout = fmt.Errorf("serial read timeout: %w", os.ErrDeadlineExceeded)
	// ErrLineLost: the device hung up; the port is re-opening it.
	ErrLineLost = errors.New("serial line lost")
)

// pollInterval is the longest a single read system call blocks, so that a
// Close or a hang-up is noticed in good time even when ReadTimeout is zero.
const pollInterval = 200 * time.Millisecond

// Port is a serial line that re-opens itself. Read and Write may be called
// from different goroutines at once, as with tarm/serial.
type Port struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	cur     *tarm.Port    // nil while the device is being re-opened
	rdev    uint64        // device number the path named when cur was opened
	gen     int           // counts opens; a hang-up names the gen it saw
	ready   chan struct{} // closed when cur is set again, or on Close
	closed  bool
	reopens int
	done    chan struct{} // closed by Close: stops the backoff sleeps
}

// Open opens the device at cfg.Path. It fails if the device is not there:
// a wrong path in the configuration should be heard at start-up, not
// retried forever.
func Open(cfg Config) (*Port, error) {
	if cfg.Path == "" {
		return nil, errors.New("serial: no device path configured")
	}
	if cfg.Baud == 0 {
		cfg.Baud = 115200
	}
	if cfg.DataBits == 0 {
		cfg.DataBits = 8
	}
	if cfg.Parity == 0 {
		cfg.Parity = ParityNone
	}
	if cfg.StopBits == 0 {
		cfg.StopBits = 1
	}
	if cfg.ReopenMin <= 0 {
		cfg.ReopenMin = 100 * time.Millisecond
	}
	if cfg.ReopenMax < cfg.ReopenMin {
		cfg.ReopenMax = max(5*time.Second, cfg.ReopenMin)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	switch cfg.Parity {
	case ParityNone, ParityOdd, ParityEven:
	default:
		return nil, fmt.Errorf("serial %s: parity %q is not supported (use N, O or E)", cfg.Path, rune(cfg.Parity))
	}
	if cfg.StopBits != 1 && cfg.StopBits != 2 {
		return nil, fmt.Errorf("serial %s: %d stop bits is not supported (use 1 or 2)", cfg.Path, cfg.StopBits)
	}
	if cfg.DataBits < 5 || cfg.DataBits > 8 {
		return nil, fmt.Errorf("serial %s: %d data bits is not supported (use 5 to 8)", cfg.Path, cfg.DataBits)
	}
	p := &Port{cfg: cfg, log: cfg.Logger.With("device", cfg.Path), ready: make(chan struct{}), done: make(chan struct{})}
	tp, rdev, err := p.open()
	if err != nil {
		return nil, err
	}
	p.cur, p.rdev, p.gen = tp, rdev, 1
	close(p.ready)
	return p, nil
}

// open opens and configures the device once.
func (p *Port) open() (*tarm.Port, uint64, error) {
	c := &tarm.Config{
		Name:        p.cfg.Path,
		Baud:        p.cfg.Baud,
		Size:        byte(p.cfg.DataBits),
		Parity:      tarm.Parity(p.cfg.Parity),
		StopBits:    tarm.StopBits(p.cfg.StopBits),
		ReadTimeout: pollInterval,
	}
	tp, err := tarm.OpenPort(c)
	if err != nil {
		return nil, 0, fmt.Errorf("open serial %s: %w", p.cfg.Path, err)
	}
	if err := setFlowControl(p.cfg.Path, p.cfg.RTSCTS); err != nil {
		tp.Close()
		return nil, 0, fmt.Errorf("flow control on %s: %w", p.cfg.Path, err)
	}
	// What a modem said before we listened (or to the previous owner of
	// the line) is not an answer to anything we will ask.
	tp.Flush()
	rdev, _ := deviceOf(p.cfg.Path)
	return tp, rdev, nil
}

// setFlowControl sets or clears CRTSCTS. Terminal settings belong to the
// device, not the descriptor, so a short-lived second descriptor will do.
func setFlowControl(path string, on bool) error {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return err
	}
	if on {
		t.Cflag |= unix.CRTSCTS
	} else {
		t.Cflag &^= unix.CRTSCTS
	}
	return unix.IoctlSetTermios(fd, unix.TCSETS, t)
}

// deviceOf is the device number that path (after symbolic links) names.
func deviceOf(path string) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, err
	}
	return st.Rdev, nil
}

// current waits, up to the read timeout, for an open descriptor.
func (p *Port) current(deadline time.Time) (*tarm.Port, int, error) {
	for {
		p.mu.Lock()
		tp, gen, ready, closed := p.cur, p.gen, p.ready, p.closed
		p.mu.Unlock()
		if closed {
			return nil, 0, ErrClosed
		}
		if tp != nil {
			return tp, gen, nil
		}
		if deadline.IsZero() {
			<-ready
			continue
		}
		d := time.Until(deadline)
		if d <= 0 {
			return nil, 0, ErrTimeout
		}
		t := time.NewTimer(d)
		select {
		case <-ready:
		case <-t.C:
		}
		t.Stop()
	}
}

// Read reads what the modem sent. It returns at least one byte, or an
// error: ErrTimeout after Config.ReadTimeout without a byte, ErrLineLost
// once when the device hangs up, ErrClosed after Close.
func (p *Port) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	var deadline time.Time
	if p.cfg.ReadTimeout > 0 {
		deadline = time.Now().Add(p.cfg.ReadTimeout)
	}
	quickEOFs := 0
	for {
		tp, gen, err := p.current(deadline)
		if err != nil {
			return 0, err
		}
		start := time.Now()
		n, err := tp.Read(b)
		if n > 0 {
			return n, nil
		}
		if p.isClosed() {
			return 0, ErrClosed
		}
		switch {
		case err == io.EOF:
			// The device timer ran out, or the terminal hung up: a hung-up
			// terminal answers at once, and a vanished path settles it.
			if time.Since(start) < pollInterval/2 {
				quickEOFs++
			} else {
				quickEOFs = 0
			}
			if quickEOFs >= 3 || p.pathChanged(gen) {
				return 0, p.lost(gen, errors.New("end of file"))
			}
		case err != nil:
			if hangup(err) {
				return 0, p.lost(gen, err)
			}
			return 0, fmt.Errorf("read serial %s: %w", p.cfg.Path, err)
		}
		if !deadline.IsZero() && !time.Now().Before(deadline) {
			return 0, ErrTimeout
		}
	}
}

// Write writes b to the modem. A hang-up fails it with ErrLineLost; while
// the device is being re-opened it fails at once with ErrLineLost too,
// rather than queueing bytes for a modem that will have been reset.
func (p *Port) Write(b []byte) (int, error) {
	p.mu.Lock()
	tp, gen, closed := p.cur, p.gen, p.closed
	p.mu.Unlock()
	if closed {
		return 0, ErrClosed
	}
	if tp == nil {
		return 0, fmt.Errorf("write serial %s: %w (re-opening)", p.cfg.Path, ErrLineLost)
	}
	n, err := tp.Write(b)
	if err != nil {
		if p.isClosed() {
			return n, ErrClosed
		}
		if hangup(err) {
			return n, p.lost(gen, err)
		}
		return n, fmt.Errorf("write serial %s: %w", p.cfg.Path, err)
	}
	return n, nil
}

// Flush discards what was received but not read and what was written but
// not yet sent.
func (p *Port) Flush() error {
	p.mu.Lock()
	tp := p.cur
	p.mu.Unlock()
	if tp == nil {
		return nil
	}
	return tp.Flush()
}

// Reopens is how many times the device has been opened again after a
// hang-up.
func (p *Port) Reopens() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reopens
}

// Path is the configured device path.
func (p *Port) Path() string { return p.cfg.Path }

// Close closes the device and stops re-opening it. Reads and writes in
// progress return ErrClosed.
func (p *Port) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	close(p.done)
	select {
	case <-p.ready:
	default:
		close(p.ready)
	}
	if p.cur != nil {
		err := p.cur.Close()
		p.cur = nil
		return err
	}
	return nil
}

func (p *Port) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// pathChanged reports whether the configured path no longer names the
// device opened as generation gen.
func (p *Port) pathChanged(gen int) bool {
	rdev, err := deviceOf(p.cfg.Path)
	p.mu.Lock()
	defer p.mu.Unlock()
	if gen != p.gen {
		return false
	}
	return err != nil || rdev != p.rdev
}

// hangup reports whether err means the device is gone.
func hangup(err error) bool {
	for _, e := range []error{syscall.EIO, syscall.ENXIO, syscall.ENODEV, syscall.EPIPE, syscall.EBADF, io.EOF, os.ErrClosed} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// lost closes the descriptor of generation gen, once, and starts
// re-opening. It returns the error for the caller that noticed.
func (p *Port) lost(gen int, cause error) error {
	err := fmt.Errorf("serial %s: %w: %v", p.cfg.Path, ErrLineLost, cause)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	if gen != p.gen || p.cur == nil {
		return err // someone else noticed first
	}
	p.log.Warn("serial line lost; re-opening", "err", cause)
	p.cur.Close()
	p.cur = nil
	p.ready = make(chan struct{})
	go p.reopen()
	return err
}

// reopen opens the configured path again, with backoff, until it works or
// the port is closed.
func (p *Port) reopen() {
	wait := p.cfg.ReopenMin
	for attempt := 1; ; attempt++ {
		t := time.NewTimer(wait)
		select {
		case <-p.done:
			t.Stop()
			return
		case <-t.C:
		}
		tp, rdev, err := p.open()
		if err != nil {
			if attempt == 1 || attempt%10 == 0 {
				p.log.Info("serial device not back yet", "attempt", attempt, "err", err)
			}
			wait = min(wait*2, p.cfg.ReopenMax)
			continue
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			tp.Close()
			return
		}
		p.cur, p.rdev = tp, rdev
		p.gen++
		p.reopens++
		close(p.ready)
		p.mu.Unlock()
		p.log.Info("serial device re-opened", "attempts", attempt)
		if p.cfg.OnReopen != nil {
			go p.cfg.OnReopen()
		}
		return
	}
}
