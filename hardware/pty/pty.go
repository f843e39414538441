// Package pty opens Unix 98 pseudo-terminals for the GSM modem simulator
// and for tests of serial code: the master end stays in this process, the
// slave end (/dev/pts/N) is what a modem client such as gammu, smsd or the
// Nanhu gateway opens as if it were /dev/ttyUSB0.
//
// Both ends are put in raw mode when the pair is made, so that no line
// discipline echoes, translates CR to LF or swallows control characters
// such as Ctrl-Z (0x1A) and ESC (0x1B), which the AT protocol needs intact.
// Linux keeps the slave's settings while the master is open, across clients
// that open and close it.
package pty

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// Pty is an open pseudo-terminal pair.
type Pty struct {
	// Master is the controlling end, non-blocking and registered with the
	// Go runtime's poller, so read and write deadlines work on it.
	Master *os.File
	// Name is the path of the slave end, /dev/pts/N.
	Name string
}

// Open makes a new pseudo-terminal pair with both ends in raw mode.
func Open() (*Pty, error) {
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("open /dev/ptmx: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			unix.Close(fd)
		}
	}()
	// unlockpt(3)
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		return nil, fmt.Errorf("unlock pty: %w", err)
	}
	// ptsname(3)
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		return nil, fmt.Errorf("pty number: %w", err)
	}
	name := "/dev/pts/" + strconv.Itoa(n)
	if err := makeRaw(fd); err != nil {
		return nil, fmt.Errorf("raw mode on the pty master: %w", err)
	}
	// The slave's settings are what a client sees before it sets its own;
	// a cooked slave would echo the modem's answers back into the master.
	sfd, err := unix.Open(name, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	err = makeRaw(sfd)
	unix.Close(sfd)
	if err != nil {
		return nil, fmt.Errorf("raw mode on %s: %w", name, err)
	}
	ok = true
	return &Pty{Master: os.NewFile(uintptr(fd), "/dev/ptmx"), Name: name}, nil
}

// Close closes the master end. A client holding the slave then reads end
// of file and gets EIO on writes, as when a USB modem is unplugged, and
// the slave's /dev/pts entry disappears.
func (p *Pty) Close() error { return p.Master.Close() }

// Hungup reports whether no client has the slave end open (after one had
// it open): the master then polls with POLLHUP and reads fail with EIO.
func (p *Pty) Hungup() bool {
	rc, err := p.Master.SyscallConn()
	if err != nil {
		return true
	}
	hup := false
	rc.Control(func(fd uintptr) {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if n, err := unix.Poll(fds, 0); err == nil && n > 0 && fds[0].Revents&unix.POLLHUP != 0 {
			hup = true
		}
	})
	return hup
}

// makeRaw is cfmakeraw(3): 8 data bits, no echo, no signals, no CR/LF
// translation, no flow control characters; reads return each byte as it
// arrives.
func makeRaw(fd int) error {
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return err
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON | unix.IXOFF
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	return unix.IoctlSetTermios(fd, unix.TCSETS, t)
}

// Link makes link a symbolic link to target, replacing whatever link was
// there (a stale one from a crashed run, say) in one rename, so a client
// never sees the path missing or half made. It refuses to replace a file
// that is not a symbolic link.
func Link(target, link string) error {
	if fi, err := os.Lstat(link); err == nil && fi.Mode()&os.ModeSymlink == 0 {
		return fmt.Errorf("link %s: exists and is not a symbolic link", link)
	}
	tmp := filepath.Join(filepath.Dir(link), "."+filepath.Base(link)+".tmp"+strconv.Itoa(os.Getpid()))
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return fmt.Errorf("link %s: %w", link, err)
	}
	if err := os.Rename(tmp, link); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("link %s: %w", link, err)
	}
	return nil
}

// Unlink removes link if it is a symbolic link to target; a link that
// meanwhile points elsewhere (another simulator took the path) is left.
func Unlink(target, link string) error {
	cur, err := os.Readlink(link)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("unlink %s: %w", link, err)
	}
	if cur != target {
		return nil
	}
	if err := os.Remove(link); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("unlink %s: %w", link, err)
	}
	return nil
}
