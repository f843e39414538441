package pty

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestOpenRawAndHangup(t *testing.T) {
	p, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if !p.Hungup() {
		t.Error("no client yet, but not hung up")
	}
	f, err := os.OpenFile(p.Name, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	tio, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if tio.Lflag&(unix.ECHO|unix.ICANON) != 0 || tio.Iflag&unix.ICRNL != 0 || tio.Oflag&unix.OPOST != 0 {
		t.Fatalf("slave not raw: %+v", tio)
	}
	if p.Hungup() {
		t.Error("a client is there, but hung up")
	}
	// Control characters pass untouched both ways, and nothing echoes.
	f.Write([]byte("AT\r\x1a\x1b"))
	buf := make([]byte, 16)
	p.Master.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, err := p.Master.Read(buf)
	if err != nil || string(buf[:n]) != "AT\r\x1a\x1b" {
		t.Fatalf("master read %q, %v", buf[:n], err)
	}
	p.Master.WriteString("\r\nOK\r\n")
	n, _ = f.Read(buf)
	if string(buf[:n]) != "\r\nOK\r\n" {
		t.Fatalf("slave read %q", buf[:n])
	}
	p.Master.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, _ := p.Master.Read(buf); n != 0 {
		t.Fatalf("echo: %q", buf[:n])
	}
	f.Close()
	if !p.Hungup() {
		t.Error("client gone, but not hung up")
	}
}

func TestLink(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "modem")
	if err := Link("/dev/pts/1", link); err != nil {
		t.Fatal(err)
	}
	if err := Link("/dev/pts/2", link); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.Readlink(link); got != "/dev/pts/2" {
		t.Fatalf("link -> %q", got)
	}
	Unlink("/dev/pts/1", link) // not ours any more: kept
	if _, err := os.Lstat(link); err != nil {
		t.Fatal("unlinked another's link")
	}
	Unlink("/dev/pts/2", link)
	if _, err := os.Lstat(link); !os.IsNotExist(err) {
		t.Fatal("link not removed")
	}
	os.WriteFile(link, nil, 0o600)
	if err := Link("/dev/pts/3", link); err == nil {
		t.Fatal("replaced a regular file")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("left temporary files: %v", entries)
	}
}
