package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// imapConn is a minimal IMAP client: it sends a command and reads up to
// its tagged response, literals included, handing each untagged response
// (with its literals inline) to a callback when one is given. What it does
// per response is the same for every server, so it weighs equally on both.
type imapConn struct {
	c   net.Conn
	r   *bufio.Reader
	tag int
	buf []byte
}

func dialIMAP(addr string, useTLS bool) (*imapConn, error) {
	c, err := net.DialTimeout("tcp", addr, 30*time.Second)
	if err != nil {
		return nil, err
	}
	if useTLS {
		tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true, ServerName: "localhost"}) // loopback, self-signed
		if err := tc.Handshake(); err != nil {
			c.Close()
			return nil, err
		}
		c = tc
	}
	ic := &imapConn{c: c, r: bufio.NewReaderSize(c, 64<<10)}
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	line, err := ic.readResponse(true)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("greeting: %w", err)
	}
	if !bytes.HasPrefix(line, []byte("* OK")) {
		c.Close()
		return nil, fmt.Errorf("greeting: %q", line)
	}
	return ic, nil
}

func (ic *imapConn) Close() error { return ic.c.Close() }

// login logs in and selects nothing.
func (ic *imapConn) login(user, pass string) error {
	return ic.do("LOGIN "+quote(user)+" "+quote(pass), nil)
}

func quote(s string) string { return strconv.Quote(s) }

// literal is s as a non-synchronising literal (LITERAL+).
func literal(s string) string { return fmt.Sprintf("{%d+}\r\n%s", len(s), s) }

// do sends cmd and reads its responses; onLine, when not nil, sees every
// untagged response. A tagged NO or BAD is an error.
func (ic *imapConn) do(cmd string, onLine func(line []byte)) error {
	ic.tag++
	tag := "b" + strconv.Itoa(ic.tag)
	ic.c.SetDeadline(time.Now().Add(10 * time.Minute))
	if _, err := io.WriteString(ic.c, tag+" "+cmd+"\r\n"); err != nil {
		return err
	}
	prefix := []byte(tag + " ")
	for {
		line, err := ic.readResponse(onLine != nil)
		if err != nil {
			return fmt.Errorf("%s: %w", firstLine(cmd), err)
		}
		if bytes.HasPrefix(line, prefix) {
			if bytes.HasPrefix(line[len(prefix):], []byte("OK")) {
				return nil
			}
			return fmt.Errorf("%s: %s", firstLine(cmd), bytes.TrimSpace(line))
		}
		if onLine != nil {
			onLine(line)
		}
	}
}

func firstLine(s string) string {
	if i := bytes.IndexByte([]byte(s), '\r'); i >= 0 {
		return s[:i]
	}
	return s
}

// readResponse reads one response. With collect it returns the whole of it
// (literals inline); without, only its first line, the literals skipped.
func (ic *imapConn) readResponse(collect bool) ([]byte, error) {
	ic.buf = ic.buf[:0]
	first := true
	for {
		seg, err := ic.readLine()
		if err != nil {
			return nil, err
		}
		if collect || first {
			ic.buf = append(ic.buf, seg...)
		}
		first = false
		n := literalSize(seg)
		if n < 0 {
			return ic.buf, nil
		}
		if collect {
			start := len(ic.buf)
			ic.buf = append(ic.buf, make([]byte, n)...)
			if _, err := io.ReadFull(ic.r, ic.buf[start:]); err != nil {
				return nil, err
			}
		} else if _, err := ic.r.Discard(n); err != nil {
			return nil, err
		}
	}
}

// readLine reads up to and including LF, however long the line.
func (ic *imapConn) readLine() ([]byte, error) {
	line, err := ic.r.ReadSlice('\n')
	if err == nil {
		return line, nil
	}
	if err != bufio.ErrBufferFull {
		return nil, err
	}
	long := append([]byte(nil), line...)
	for {
		line, err = ic.r.ReadSlice('\n')
		long = append(long, line...)
		if err == nil {
			return long, nil
		}
		if err != bufio.ErrBufferFull {
			return nil, err
		}
	}
}

// literalSize returns n when line ends with {n} (or {n+}), else -1.
func literalSize(line []byte) int {
	line = bytes.TrimRight(line, "\r\n")
	if len(line) < 3 || line[len(line)-1] != '}' {
		return -1
	}
	open := bytes.LastIndexByte(line, '{')
	if open < 0 {
		return -1
	}
	n, err := strconv.Atoi(string(bytes.TrimSuffix(line[open+1:len(line)-1], []byte("+"))))
	if err != nil {
		return -1
	}
	return n
}
