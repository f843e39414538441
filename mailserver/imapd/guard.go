package imapd

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// guardConn stands between the client and go-imap's parser. go-imap owns
// the wire, but a few things strict clients need happen before a command
// reaches a session hook, or never reach one:
//
//   - ID (RFC 2971): go-imap does not know the command, and before login it
//     answers an unknown command by hanging up. The guard answers it.
//   - A literal announced before login that is larger than any LOGIN
//     needs: go-imap waits 30 s for bytes that never come. The guard
//     refuses it at once and hangs up.
//   - Client mistakes go-imap reports as NO [SERVERBUG] (a mailbox name
//     that is not modified UTF-7, 8-bit names without UTF8=ACCEPT, message
//     numbers of 0 or beyond 2^32-1, searches nested too deep): the guard
//     answers BAD or NO with the reason, and logs it at Info.
//   - STARTTLS: the guard does the TLS handshake itself, so that it keeps
//     seeing the commands afterwards (go-imap would put its TLS layer above
//     the guard); the session refuses a login without TLS where it is
//     required, and the guard names STARTTLS, LOGINDISABLED and ID in the
//     CAPABILITY lists go-imap writes.
//
// The guard splits the client's bytes into lines and literals exactly as
// go-imap does, and hands go-imap one line (or literal) at a time, so a
// command the guard answers is answered in order with the ones around it.
type guardConn struct {
	net.Conn // the client: TCP (corked) or TLS
	log      *slog.Logger
	starttls *tls.Config // offers STARTTLS until TLS is on
	isTLS    bool
	plainOK  bool // login allowed without TLS (loopback tools)

	authed atomic.Bool                 // set by the session at login
	utf8   atomic.Pointer[func() bool] // UTF8=ACCEPT or IMAP4rev2 enabled
	// quota answers the QUOTA commands (session.quotaCommand); it runs
	// on the goroutine that runs go-imap's commands, which is the one
	// reading, and never during IDLE.
	quota atomic.Pointer[func(tag, name, args string) string]
	// selected reports whether the session has a mailbox selected.
	selected atomic.Pointer[func() bool]
	cmd      string // the command go-imap has now, as the guard passed it on
	idling   bool   // an IDLE passed on: until DONE, lines are go-imap's
	idleTag  string // its tag: go-imap's answer to it ends it too

	mu       sync.Mutex
	in       []byte    // read from the client, not yet looked at
	out      []byte    // looked at, for go-imap
	literal  int64     // bytes of a literal still to pass (or drop)
	drop     bool      // the current command is answered: drop its remaining bytes
	cont     bool      // the next line continues a command (after a literal)
	waitSync string    // the tag of a command that announced a synchronizing literal
	small    [512]byte // the read buffer of a connection that waits
	busy     bool      // the last read filled its buffer: more is coming
	err      error     // the client is gone, or the guard hung up
	wmu      sync.Mutex
}

// preAuthLiteralMax is the largest literal accepted before login: enough
// for any user name or password.
const preAuthLiteralMax = 4096

// bufferedLiteralMax is go-imap's limit on a literal in any command but
// APPEND.
const bufferedLiteralMax = 4096

// guardLineMax bounds a line the guard holds back while it waits for its
// end; go-imap's own limit on a command is 50 KiB.
const guardLineMax = 64 << 10

var guardBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// guardListener hands out guardConns.
type guardListener struct {
	net.Listener
	log      *slog.Logger
	starttls *tls.Config
	isTLS    bool
	plainOK  bool
}

func (l guardListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &guardConn{Conn: c, log: l.log, starttls: l.starttls, isTLS: l.isTLS, plainOK: l.plainOK}, nil
}

// NetConn is the connection under the guard (for corkOf).
func (g *guardConn) NetConn() net.Conn {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.Conn
}

// secure reports whether a login may go ahead on this connection.
func (g *guardConn) secure() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.isTLS || g.plainOK
}

func (g *guardConn) Read(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for len(g.out) == 0 {
		if g.err != nil {
			return 0, g.err
		}
		if err := g.step(); err != nil {
			// go-imap reads on after an error other than EOF: the
			// error stays.
			g.err = err
			return 0, err
		}
	}
	n := copy(p, g.out)
	g.out = g.out[n:]
	if len(g.out) == 0 {
		g.out = g.out[:0:0] // keep no large buffer past its use
	}
	return n, nil
}

// step moves what it can from in to out, reading from the client when it
// has nothing whole to look at.
func (g *guardConn) step() error {
	if g.literal > 0 && len(g.in) > 0 {
		n := int(min(g.literal, int64(len(g.in))))
		if !g.drop {
			g.out = append(g.out, g.in[:n]...)
		}
		g.in = g.in[n:]
		g.literal -= int64(n)
		return nil
	}
	if g.literal == 0 {
		if i := bytes.IndexByte(g.in, '\n'); i >= 0 {
			line := g.in[:i+1]
			g.in = g.in[i+1:]
			return g.line(line)
		}
		if len(g.in) > guardLineMax {
			// Not a command the guard answers: go-imap refuses it.
			g.out = append(g.out, g.in...)
			g.in = g.in[:0]
			return nil
		}
	}
	// Writes go on while the guard waits for the client (updates during
	// IDLE): the lock is not held over the read. Only this goroutine, the
	// reader, changes g.Conn.
	conn := g.Conn
	// Ten thousand idle connections each wait in a read: they wait on a
	// small buffer; a large one, from a pool, only while data flows.
	buf := g.small[:]
	var big *[]byte
	if g.busy || g.literal > 0 {
		big = guardBufs.Get().(*[]byte)
		buf = *big
	}
	g.mu.Unlock()
	n, err := conn.Read(buf)
	g.mu.Lock()
	g.busy = n == len(buf)
	if len(g.in) == 0 {
		g.in = nil // no buffer kept past its use
	}
	g.in = append(g.in, buf[:n]...)
	if big != nil {
		guardBufs.Put(big)
	}
	if n > 0 {
		return nil
	}
	if err != nil && len(g.in) > 0 && g.literal == 0 {
		// The client's last bytes, without an end of line.
		g.out = append(g.out, g.in...)
		g.in = g.in[:0]
		return nil
	}
	return err
}

// line handles one line of the client's: a command, or the part of one
// after a literal.
func (g *guardConn) line(line []byte) error {
	cont := g.cont
	lit, sync := literalAt(line)
	g.cont = lit >= 0
	if lit >= 0 {
		g.literal = lit
		if sync {
			// Until go-imap answers "+", the client sends nothing more.
			g.waitSync = string(tagOf(line))
		}
	}
	if cont {
		if !g.drop {
			g.out = append(g.out, line...)
		}
		if lit < 0 {
			g.drop = false
		}
		return nil
	}
	g.drop = false
	answered, err := g.command(line, lit, sync)
	if err != nil {
		return err
	}
	g.cmd = commandName(line)
	if !answered {
		g.out = append(g.out, line...)
		return nil
	}
	g.cmd = ""
	// The command is answered here; what the client still sends of it is
	// dropped. A synchronizing literal it will not send: there is no "+".
	g.drop = true
	g.waitSync = ""
	if lit >= 0 && sync {
		g.literal, g.cont, g.drop = 0, false, false
	}
	return nil
}

// literalAt finds a literal announced at the end of line ({n}, {n+} or
// ~{n}): its size, or -1, and whether it is synchronizing.
func literalAt(line []byte) (int64, bool) {
	l := bytes.TrimRight(line, "\r\n")
	if !bytes.HasSuffix(l, []byte("}")) {
		return -1, false
	}
	i := bytes.LastIndexByte(l, '{')
	if i < 0 {
		return -1, false
	}
	num := l[i+1 : len(l)-1]
	sync := true
	if n := len(num); n > 0 && (num[n-1] == '+' || num[n-1] == '-') {
		num, sync = num[:n-1], false
	}
	n, err := strconv.ParseInt(string(num), 10, 64)
	if err != nil || n < 0 || len(num) == 0 {
		return -1, false
	}
	return n, sync
}

func tagOf(line []byte) []byte {
	tag, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(" "))
	return tag
}

// command looks at the first line of a command and answers it when it is
// one for the guard. lit is the size of a literal that ends the line, or -1.
func (g *guardConn) command(line []byte, lit int64, sync bool) (bool, error) {
	text := string(bytes.TrimRight(line, "\r\n"))
	if g.idling {
		g.idling = !strings.EqualFold(text, "DONE")
		return false, nil
	}
	tag, rest, _ := strings.Cut(text, " ")
	if tag == "" || rest == "" {
		return false, nil
	}
	name, args, _ := strings.Cut(rest, " ")
	name = strings.ToUpper(name)
	if name == "UID" {
		sub, a, _ := strings.Cut(args, " ")
		name, args = "UID "+strings.ToUpper(sub), a
	}
	authed := g.authed.Load()
	if !authed && lit > preAuthLiteralMax {
		g.log.Warn("imap: literal too large before login; hanging up", "remote", g.RemoteAddr(), "size", lit)
		g.write(fmt.Sprintf("%s BAD [TOOBIG] Literal of %d bytes refused before login\r\n* BYE Too much data before login\r\n", tag, lit))
		return true, io.EOF // go-imap ends the session quietly
	}
	if lit > bufferedLiteralMax && name != "APPEND" {
		// go-imap reads every literal but APPEND's into memory and
		// refuses larger ones, but only after the client's next line,
		// which a client waiting for "+" never sends.
		g.log.Info("imap client error", "remote", g.RemoteAddr(), "command", name, "reason", "literal too large", "size", lit)
		g.write(fmt.Sprintf("%s NO [TOOBIG] Literals are limited to %d bytes for this command\r\n", tag, bufferedLiteralMax))
		return true, nil
	}
	switch name {
	case "ID":
		if lit >= 0 {
			return false, nil // go-imap answers: an ID with a literal is not worth it
		}
		return true, g.id(tag, args)
	case "IDLE":
		g.idling, g.idleTag = true, tag
		return false, nil
	case "CHECK":
		// go-imap takes CHECK as NOOP in any state; it is a command
		// of the selected state (RFC 3501 §6.4.1).
		if sel := g.selected.Load(); sel != nil && !(*sel)() {
			g.write(tag + " BAD [CLIENTBUG] CHECK needs a selected mailbox\r\n")
			return true, nil
		}
		return false, nil
	case "GETQUOTAROOT", "GETQUOTA", "SETQUOTA":
		q := g.quota.Load()
		if !authed || q == nil || lit >= 0 {
			return false, nil // go-imap refuses it
		}
		g.write((*q)(tag, name, args))
		return true, nil
	case "STARTTLS":
		if g.starttls == nil || g.isTLS || authed || args != "" {
			return false, nil // go-imap refuses it as it should
		}
		return true, g.startTLS(tag)
	}
	if lit >= 0 && !sync {
		// The command goes on past a literal the guard does not read;
		// go-imap checks it.
		return false, nil
	}
	args = strings.TrimSuffix(args, literalSuffix(args, lit))
	if status, reason := checkCommand(name, args); reason != "" {
		if status == "OK" {
			// A LIST whose pattern no mailbox name can match.
			g.write(fmt.Sprintf("%s OK %s completed\r\n", tag, name))
			return true, nil
		}
		g.log.Info("imap client error", "remote", g.RemoteAddr(), "command", name, "reason", reason)
		g.write(fmt.Sprintf("%s %s %s\r\n", tag, status, reason))
		return true, nil
	}
	return false, nil
}

// literalSuffix is the literal announcement that ends args, if lit >= 0.
func literalSuffix(args string, lit int64) string {
	if lit < 0 {
		return ""
	}
	if i := strings.LastIndexByte(args, '{'); i >= 0 {
		return args[i:]
	}
	return ""
}

// write sends the guard's own answer; go-imap is waiting for input then,
// so nothing of its own is in between.
func (g *guardConn) write(s string) {
	g.wmu.Lock()
	defer g.wmu.Unlock()
	g.Conn.SetWriteDeadline(time.Now().Add(30 * time.Second))
	g.Conn.Write([]byte(s))
	g.Conn.SetWriteDeadline(time.Time{})
}

// startTLS answers STARTTLS and does the handshake. Whatever the client
// sent after the command, before TLS, is thrown away (RFC 3207's
// injection attack).
func (g *guardConn) startTLS(tag string) error {
	g.write(tag + " OK Begin TLS negotiation now\r\n")
	g.in = nil
	tc := tls.Server(g.Conn, g.starttls)
	tc.SetDeadline(time.Now().Add(30 * time.Second))
	if err := tc.Handshake(); err != nil {
		return fmt.Errorf("imap STARTTLS handshake: %w", err)
	}
	tc.SetDeadline(time.Time{})
	g.Conn = tc
	g.isTLS = true
	return nil
}

// Write passes go-imap's responses on, naming in each CAPABILITY list what
// the guard adds, and follows synchronizing literals: after one, either
// go-imap asks for the literal ("+") or answers the command without it.
func (g *guardConn) Write(p []byte) (int, error) {
	g.mu.Lock()
	if g.waitSync != "" {
		if bytes.HasPrefix(p, []byte("+")) {
			g.waitSync = ""
		} else if bytes.HasPrefix(p, []byte(g.waitSync+" ")) {
			g.waitSync, g.literal, g.cont = "", 0, false
		}
	}
	if g.idling && bytes.HasPrefix(p, []byte(g.idleTag+" ")) {
		g.idling = false // refused, or done
	}
	conn := g.Conn
	out := p
	if bytes.Contains(firstLine(p), []byte("CAPABILITY ")) {
		out = g.rewriteCaps(p)
	}
	g.mu.Unlock()
	g.wmu.Lock()
	defer g.wmu.Unlock()
	if _, err := conn.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

func firstLine(p []byte) []byte {
	if i := bytes.IndexByte(p, '\n'); i >= 0 {
		return p[:i]
	}
	return nil // not a whole line: leave it alone
}

// rewriteCaps edits the capability list in the first line of p: ID always,
// STARTTLS while it is offered, LOGINDISABLED instead of AUTH= while a
// login would be refused. g.mu is held.
func (g *guardConn) rewriteCaps(p []byte) []byte {
	line := firstLine(p)
	rest := p[len(line):]
	s := string(line)
	i := strings.Index(s, "CAPABILITY ")
	head, list := s[:i+len("CAPABILITY ")], s[i+len("CAPABILITY "):]
	tail := ""
	if j := strings.IndexByte(list, ']'); j >= 0 {
		list, tail = list[:j], list[j:]
	} else {
		list = strings.TrimRight(list, "\r")
		tail = s[len(head)+len(list):]
	}
	authed := g.authed.Load()
	var caps []string
	for _, c := range strings.Fields(list) {
		if strings.HasPrefix(c, "AUTH=") && !g.isTLS && !g.plainOK && !authed {
			continue
		}
		if c == "STARTTLS" || c == "LOGINDISABLED" || c == "ID" || strings.HasPrefix(c, "QUOTA") {
			continue
		}
		caps = append(caps, c)
		if strings.HasPrefix(c, "IMAP4rev1") {
			caps = append(caps, "ID")
		}
	}
	if authed {
		caps = append(caps, quotaCaps...)
	}
	if !authed && !g.isTLS && g.starttls != nil {
		caps = append(caps, "STARTTLS")
	}
	if !authed && !g.isTLS && !g.plainOK {
		caps = append(caps, "LOGINDISABLED")
	}
	out := make([]byte, 0, len(p)+32)
	out = append(out, head...)
	out = append(out, strings.Join(caps, " ")...)
	out = append(out, tail...)
	return append(out, rest...)
}

// commandName is the upper-case name of the command on line ("UID FETCH"
// for UID commands), or "".
func commandName(line []byte) string {
	f := strings.Fields(string(line))
	if len(f) < 2 {
		return ""
	}
	name := strings.ToUpper(f[1])
	if name == "UID" && len(f) > 2 {
		name += " " + strings.ToUpper(f[2])
	}
	return name
}

// current is the command go-imap is handling now (its handlers run on the
// goroutine that reads).
func (g *guardConn) current() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.cmd
}
