package outbound

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The queue speaks SMTP itself rather than through go-smtp's client: it
// needs its own EHLO name before STARTTLS, a retry of the handshake without
// certificate checks, the raw reply of every command for DSNs, and control
// over the moment the final dot is written (see conn.abort).

// reply is one SMTP reply, possibly of several lines.
type reply struct {
	code     int
	enhanced string   // "5.1.1", or "" when the server sent none
	lines    []string // text of each line, enhanced code removed
}

func (r reply) text() string { return strings.Join(r.lines, " ") }

// replyError is a 4xx or 5xx reply: the remote's word on a command.
type replyError struct {
	cmd string // the command verb, for logs
	reply
}

func (e *replyError) Error() string {
	s := strconv.Itoa(e.code)
	if e.enhanced != "" {
		s += " " + e.enhanced
	}
	if t := e.text(); t != "" {
		s += " " + t
	}
	return s
}

func (e *replyError) permanent() bool { return e.code >= 500 }

// parseReplyLine splits one reply line: "250-SIZE 1000", "250 OK", "354".
// last is false on a continuation line (a '-' after the code).
func parseReplyLine(line string) (code int, last bool, text string, err error) {
	if len(line) < 3 {
		return 0, false, "", fmt.Errorf("short SMTP reply line %q", line)
	}
	for i := 0; i < 3; i++ {
		if line[i] < '0' || line[i] > '9' {
			return 0, false, "", fmt.Errorf("malformed SMTP reply line %q", line)
		}
	}
	code = int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
	if code < 200 || code > 599 {
		return 0, false, "", fmt.Errorf("SMTP reply code out of range in %q", line)
	}
	if len(line) == 3 {
		return code, true, "", nil
	}
	switch line[3] {
	case ' ':
		last = true
	case '-':
	default:
		return 0, false, "", fmt.Errorf("malformed SMTP reply line %q", line)
	}
	return code, last, line[4:], nil
}

// splitEnhanced takes an RFC 3463 code such as "4.7.1" off the front of a
// reply text when its class agrees with the reply code.
func splitEnhanced(code int, text string) (enhanced, rest string) {
	word, rest, _ := strings.Cut(text, " ")
	parts := strings.Split(word, ".")
	if len(parts) != 3 || len(parts[0]) != 1 || parts[0][0] != byte('0'+code/100) {
		return "", text
	}
	for _, p := range parts[1:] {
		if len(p) == 0 || len(p) > 3 {
			return "", text
		}
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return "", text
			}
		}
	}
	return word, rest
}

// maxReplyLines bounds a reply so a hostile peer cannot grow it forever.
const maxReplyLines = 100

// conn is one SMTP client connection.
type conn struct {
	nc      net.Conn
	r       *bufio.Reader
	w       *bufio.Writer
	host    string // the peer's name, for logs and Remote-MTA
	timeout time.Duration
	ext     map[string]string // EHLO keywords, upper case, to their parameters
	tls     bool
	// verified is true when the TLS peer's certificate checked out (or the
	// caller's TLSConfig accepted it).
	verified bool

	mu      sync.Mutex
	pastDot bool // the final dot is on its way: let the reply come
	aborted bool // closed by cancellation
}

func newConn(nc net.Conn, host string, timeout time.Duration) *conn {
	c := &conn{host: host, timeout: timeout}
	c.setNetConn(nc)
	return c
}

func (c *conn) setNetConn(nc net.Conn) {
	c.nc = nc
	c.r = bufio.NewReaderSize(nc, 4096)
	c.w = bufio.NewWriterSize(nc, 32*1024)
}

// watch closes the connection when ctx ends, unless the final dot has
// been sent: a message the remote may already have accepted is given its
// reply (bounded by the command timeout) rather than cut off, which keeps
// duplicates after a shutdown to the unavoidable minimum.
func (c *conn) watch(ctx context.Context) (stop func() bool) {
	return context.AfterFunc(ctx, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if !c.pastDot {
			c.aborted = true
			c.nc.Close()
		}
	})
}

func (c *conn) close() error { return c.nc.Close() }

func (c *conn) deadline() {
	c.nc.SetDeadline(time.Now().Add(c.timeout))
}

func (c *conn) readReply() (reply, error) {
	var r reply
	for n := 0; ; n++ {
		if n >= maxReplyLines {
			return r, errors.New("SMTP reply too long")
		}
		line, err := c.r.ReadString('\n')
		if err != nil {
			return r, err
		}
		if len(line) > 4096 {
			return r, errors.New("SMTP reply line too long")
		}
		line = strings.TrimRight(line, "\r\n")
		code, last, text, err := parseReplyLine(line)
		if err != nil {
			return r, err
		}
		if n == 0 {
			r.code = code
			r.enhanced, text = splitEnhanced(code, text)
		} else {
			if code != r.code {
				return r, fmt.Errorf("SMTP reply changes code from %d to %d", r.code, code)
			}
			if r.enhanced != "" {
				text = strings.TrimPrefix(text, r.enhanced+" ")
			}
		}
		r.lines = append(r.lines, text)
		if last {
			return r, nil
		}
	}
}

// cmd sends one command line and reads its reply. A reply outside the
// wanted class (2 for 2xx, 3 for 3xx) comes back as a *replyError.
func (c *conn) cmd(class int, line string) (reply, error) {
	c.deadline()
	if _, err := c.w.WriteString(line + "\r\n"); err != nil {
		return reply{}, err
	}
	if err := c.w.Flush(); err != nil {
		return reply{}, err
	}
	return c.expect(class, verb(line))
}

func (c *conn) expect(class int, what string) (reply, error) {
	c.deadline()
	r, err := c.readReply()
	if err != nil {
		return r, err
	}
	if r.code/100 != class {
		return r, &replyError{cmd: what, reply: r}
	}
	return r, nil
}

func verb(line string) string {
	v, _, _ := strings.Cut(line, " ")
	if strings.EqualFold(v, "AUTH") {
		return "AUTH" // never log credentials
	}
	return strings.ToUpper(v)
}

// greet reads the server's greeting.
func (c *conn) greet() error {
	_, err := c.expect(2, "greeting")
	return err
}

// hello sends EHLO, falling back to HELO when the server does not know it.
func (c *conn) hello(name string) error {
	r, err := c.cmd(2, "EHLO "+name)
	var re *replyError
	if errors.As(err, &re) && re.code >= 500 && re.code <= 504 {
		c.ext = map[string]string{}
		_, err = c.cmd(2, "HELO "+name)
		return err
	}
	if err != nil {
		return err
	}
	c.ext = map[string]string{}
	for _, l := range r.lines[1:] {
		k, v, _ := strings.Cut(l, " ")
		c.ext[strings.ToUpper(k)] = v
	}
	return nil
}

func (c *conn) has(ext string) bool {
	_, ok := c.ext[ext]
	return ok
}

// tlsHandshakeError marks a failed TLS handshake, after which the caller
// may reconnect with a weaker TLS policy.
type tlsHandshakeError struct{ err error }

func (e *tlsHandshakeError) Error() string { return "TLS handshake: " + e.err.Error() }
func (e *tlsHandshakeError) Unwrap() error { return e.err }

// startTLS runs STARTTLS and the handshake; the caller sends EHLO again.
func (c *conn) startTLS(cfg *tls.Config, verified bool) error {
	if _, err := c.cmd(2, "STARTTLS"); err != nil {
		return err
	}
	return c.handshake(cfg, verified)
}

func (c *conn) handshake(cfg *tls.Config, verified bool) error {
	tc := tls.Client(c.nc, cfg)
	c.deadline()
	if err := tc.Handshake(); err != nil {
		return &tlsHandshakeError{err}
	}
	c.setNetConn(tc)
	c.tls = true
	c.verified = verified
	return nil
}

// authPlain authenticates with AUTH PLAIN (RFC 4616).
func (c *conn) authPlain(user, password string) error {
	resp := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password))
	_, err := c.cmd(2, "AUTH PLAIN "+resp)
	return err
}

// data sends DATA and the message, dot-stuffed, and reads the final reply.
// raw must use CRLF line ends.
func (c *conn) data(raw []byte) error {
	if _, err := c.cmd(3, "DATA"); err != nil {
		return err
	}
	c.nc.SetDeadline(time.Time{})
	if err := writeDotStuffed(c.w, raw, c.nc, c.timeout); err != nil {
		return err
	}
	c.mu.Lock()
	if c.aborted {
		c.mu.Unlock()
		return context.Canceled
	}
	c.pastDot = true
	c.mu.Unlock()
	c.deadline()
	if _, err := c.w.WriteString(".\r\n"); err != nil {
		return err
	}
	if err := c.w.Flush(); err != nil {
		return err
	}
	_, err := c.expect(2, "DATA")
	return err
}

// writeDotStuffed writes raw as a DATA body: a '.' doubled at each line
// start and a CRLF added if raw does not end with one. The deadline moves
// with every buffer so a slow but live peer is not cut off.
func writeDotStuffed(w *bufio.Writer, raw []byte, nc net.Conn, timeout time.Duration) error {
	bol := true
	start := 0
	flush := func(end int) error {
		nc.SetDeadline(time.Now().Add(timeout))
		_, err := w.Write(raw[start:end])
		start = end
		return err
	}
	for i, b := range raw {
		if bol && b == '.' {
			if err := flush(i); err != nil {
				return err
			}
			if err := w.WriteByte('.'); err != nil {
				return err
			}
		}
		bol = b == '\n'
	}
	if err := flush(len(raw)); err != nil {
		return err
	}
	if len(raw) > 0 && !bol {
		if _, err := w.WriteString("\r\n"); err != nil {
			return err
		}
	}
	return nil
}

func (c *conn) quit() {
	c.nc.SetDeadline(time.Now().Add(min(c.timeout, 10*time.Second)))
	c.w.WriteString("QUIT\r\n")
	if c.w.Flush() == nil {
		c.readReply()
	}
}

func (c *conn) wasAborted() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.aborted
}
