package serial

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"nanhu/hardware/pty"
)

// modem is the far end of a pty pair, linked at a stable path the way udev
// links /dev/serial/by-id/… to whatever ttyUSB the stick got this time.
type modem struct {
	t    *testing.T
	p    *pty.Pty
	link string
}

func newModem(t *testing.T, link string) *modem {
	t.Helper()
	p, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	if err := pty.Link(p.Name, link); err != nil {
		t.Fatal(err)
	}
	m := &modem{t: t, p: p, link: link}
	t.Cleanup(func() { p.Close() })
	return m
}

// vanish is the stick dropping off the bus: the device closes and its name
// goes away.
func (m *modem) vanish() {
	m.p.Close()
	pty.Unlink(m.p.Name, m.link)
}

func (m *modem) send(s string) {
	m.t.Helper()
	if _, err := m.p.Master.WriteString(s); err != nil {
		m.t.Fatal(err)
	}
}

// expect reads from the modem end until it has seen want.
func (m *modem) expect(want string) {
	m.t.Helper()
	var got []byte
	buf := make([]byte, 256)
	deadline := time.Now().Add(3 * time.Second)
	for !strings.Contains(string(got), want) {
		m.p.Master.SetReadDeadline(deadline)
		n, err := m.p.Master.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			m.t.Fatalf("modem got %q, want %q: %v", got, want, err)
		}
	}
}

// readUntil reads from the port until want has arrived, skipping timeouts.
func readUntil(t *testing.T, p *Port, want string) {
	t.Helper()
	var got []byte
	buf := make([]byte, 256)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(string(got), want) {
		if time.Now().After(deadline) {
			t.Fatalf("port read %q, want %q", got, want)
		}
		n, err := p.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil && !errors.Is(err, ErrTimeout) {
			t.Fatalf("read after %q: %v", got, err)
		}
	}
}

func TestReadWrite(t *testing.T) {
	link := filepath.Join(t.TempDir(), "modem")
	m := newModem(t, link)
	p, err := Open(Config{Path: link, ReadTimeout: 300 * time.Millisecond, RTSCTS: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	if _, err := p.Write([]byte("AT\r")); err != nil {
		t.Fatal(err)
	}
	m.expect("AT\r")
	m.send("\r\nOK\r\n")
	readUntil(t, p, "\r\nOK\r\n")

	// A quiet line is a timeout, not a hang-up.
	start := time.Now()
	_, err = p.Read(make([]byte, 10))
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("quiet line: %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d < 250*time.Millisecond || d > 2*time.Second {
		t.Errorf("timeout after %v, want about 300ms", d)
	}
	if p.Reopens() != 0 {
		t.Errorf("reopens = %d on a quiet line", p.Reopens())
	}
}

func TestReopenAfterVanish(t *testing.T) {
	link := filepath.Join(t.TempDir(), "usb-HUAWEI_Mobile-if00-port0")
	m := newModem(t, link)
	reopened := make(chan struct{}, 4)
	p, err := Open(Config{
		Path:        link,
		ReadTimeout: 200 * time.Millisecond,
		ReopenMin:   20 * time.Millisecond,
		ReopenMax:   100 * time.Millisecond,
		OnReopen:    func() { reopened <- struct{}{} },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	m.send("^BOOT\r\n")
	readUntil(t, p, "^BOOT")

	// The stick drops off the bus while we wait for an answer.
	m.vanish()
	buf := make([]byte, 64)
	var lostErr error
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); {
		_, err := p.Read(buf)
		if err != nil && !errors.Is(err, ErrTimeout) {
			lostErr = err
			break
		}
	}
	if !errors.Is(lostErr, ErrLineLost) {
		t.Fatalf("read on a vanished device: %v, want ErrLineLost", lostErr)
	}
	// Meanwhile writes fail fast instead of going to a dead descriptor.
	if _, err := p.Write([]byte("AT\r")); !errors.Is(err, ErrLineLost) {
		t.Fatalf("write while the device is away: %v, want ErrLineLost", err)
	}
	// Reads wait, within their timeout, for the device to come back.
	if _, err := p.Read(buf); !errors.Is(err, ErrTimeout) {
		t.Fatalf("read while the device is away: %v, want ErrTimeout", err)
	}

	// It comes back under the same stable name, as another pts.
	time.Sleep(150 * time.Millisecond)
	m2 := newModem(t, link)
	select {
	case <-reopened:
	case <-time.After(5 * time.Second):
		t.Fatal("OnReopen was not called")
	}
	if p.Reopens() != 1 {
		t.Errorf("reopens = %d, want 1", p.Reopens())
	}
	if _, err := p.Write([]byte("ATE0\r")); err != nil {
		t.Fatal(err)
	}
	m2.expect("ATE0\r")
	m2.send("\r\nOK\r\n")
	readUntil(t, p, "OK")
}

// A device replaced behind our back (the old descriptor still quiet, the
// path now naming a new device) is re-opened too.
func TestReopenWhenPathNamesAnotherDevice(t *testing.T) {
	link := filepath.Join(t.TempDir(), "modem")
	newModem(t, link)
	reopened := make(chan struct{}, 1)
	p, err := Open(Config{Path: link, ReadTimeout: 150 * time.Millisecond, ReopenMin: 10 * time.Millisecond, OnReopen: func() { reopened <- struct{}{} }})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	m2 := newModem(t, link) // relinked while the first pty is still open
	go func() {
		for {
			if _, err := p.Read(make([]byte, 16)); errors.Is(err, ErrClosed) {
				return
			}
		}
	}()
	select {
	case <-reopened:
	case <-time.After(5 * time.Second):
		t.Fatal("no re-open after the path changed device")
	}
	p.Write([]byte("AT\r"))
	m2.expect("AT\r")
}

func TestCloseUnblocksRead(t *testing.T) {
	link := filepath.Join(t.TempDir(), "modem")
	newModem(t, link)
	p, err := Open(Config{Path: link}) // no read timeout: Read waits
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := p.Read(make([]byte, 8))
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	p.Close()
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("read after close: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not end a blocked Read")
	}
	if _, err := p.Write([]byte("AT\r")); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	link := filepath.Join(t.TempDir(), "modem")
	newModem(t, link)
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no path", Config{}, "no device path"},
		{"missing device", Config{Path: link + "-missing"}, "no such file"},
		{"parity", Config{Path: link, Parity: 'M'}, "parity"},
		{"stop bits", Config{Path: link, StopBits: 3}, "stop bits"},
		{"data bits", Config{Path: link, DataBits: 9}, "data bits"},
		{"baud", Config{Path: link, Baud: 12345}, "baud"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Open(tc.cfg)
			if err == nil {
				p.Close()
				t.Fatal("opened")
			}
			if !strings.Contains(strings.ToLower(err.Error()), tc.want) {
				t.Fatalf("error %q, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestSettingsApplied(t *testing.T) {
	link := filepath.Join(t.TempDir(), "modem")
	newModem(t, link)
	for _, tc := range []struct {
		cfg        Config
		set, clear uint32
	}{
		// A pty forces 8 data bits without parity whatever it is asked
		// (Linux pty_set_termios), so only stop bits, flow control and
		// speed can be seen here.
		{Config{Path: link, Baud: 9600, Parity: ParityEven, StopBits: 2, DataBits: 7}, unix.CSTOPB | unix.B9600, unix.CRTSCTS},
		{Config{Path: link, Baud: 115200, Parity: ParityOdd, RTSCTS: true}, unix.CRTSCTS | unix.B115200, unix.CSTOPB},
	} {
		p, err := Open(tc.cfg)
		if err != nil {
			t.Fatalf("%+v: %v", tc.cfg, err)
		}
		fd, err := unix.Open(link, unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
		if err != nil {
			t.Fatal(err)
		}
		tio, err := unix.IoctlGetTermios(fd, unix.TCGETS)
		unix.Close(fd)
		p.Close()
		if err != nil {
			t.Fatal(err)
		}
		if tio.Cflag&tc.set != tc.set || tio.Cflag&tc.clear != 0 {
			t.Errorf("%+v: cflag %#o, want %#o set and %#o clear", tc.cfg, tio.Cflag, tc.set, tc.clear)
		}
	}
}
