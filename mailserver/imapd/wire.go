package imapd

import (
	"mime"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"

	"nanhu/mailserver/store"
)

// The FETCH responses a client asks for most (UID, FLAGS, INTERNALDATE,
// RFC822.SIZE, ENVELOPE of every message when it opens a folder) are
// written here straight into a buffer, with each message's ENVELOPE
// encoded once and kept, instead of item by item through go-imap's
// encoder, which builds every string anew and flushes after every message.
// The bytes are exactly those go-imap would write (a test compares them).

// corkConn holds back what is written to it while corked, so that a
// command answered with many responses goes out in large writes rather
// than one system call (and, under TLS, one record) per response.
type corkConn struct {
	net.Conn
	mu     sync.Mutex
	corked bool
	buf    []byte
}

const corkMax = 64 << 10

var corkBufs = sync.Pool{New: func() any { b := make([]byte, 0, corkMax); return &b }}

func (c *corkConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.corked {
		return c.Conn.Write(p)
	}
	if len(c.buf)+len(p) > corkMax {
		if err := c.flushLocked(); err != nil {
			return 0, err
		}
		if len(p) >= corkMax {
			return c.Conn.Write(p)
		}
	}
	c.buf = append(c.buf, p...)
	return len(p), nil
}

func (c *corkConn) flushLocked() error {
	if len(c.buf) == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.buf)
	c.buf = c.buf[:0]
	return err
}

// cork starts holding writes back.
func (c *corkConn) cork() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.corked {
		c.corked = true
		c.buf = (*corkBufs.Get().(*[]byte))[:0]
	}
}

// Read first writes what was held back (and stops holding): a server
// that waits for its client has nothing more to say before it hears from
// it. So a command's responses and its tagged answer, written after the
// handler corked the connection, go out together.
func (c *corkConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	if c.corked {
		c.Conn.SetWriteDeadline(time.Now().Add(30 * time.Second))
		err := c.flushLocked()
		c.Conn.SetWriteDeadline(time.Time{})
		c.release()
		if err != nil {
			c.mu.Unlock()
			return 0, err
		}
	}
	c.mu.Unlock()
	return c.Conn.Read(p)
}

// release stops holding writes back; c.mu is held and the buffer written.
func (c *corkConn) release() {
	c.corked = false
	b := c.buf[:0]
	c.buf = nil
	corkBufs.Put(&b)
}

// Close writes what was held back, then closes.
func (c *corkConn) Close() error {
	c.mu.Lock()
	if c.corked {
		c.Conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		c.flushLocked()
		c.release()
	}
	c.mu.Unlock()
	return c.Conn.Close()
}

// corkListener hands out corkConns.
type corkListener struct{ net.Listener }

func (l corkListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &corkConn{Conn: c}, nil
}

// corkOf finds the corkConn under c (under TLS when there is TLS).
func corkOf(c net.Conn) *corkConn {
	for c != nil {
		switch x := c.(type) {
		case *corkConn:
			return x
		case interface{ NetConn() net.Conn }:
			c = x.NetConn()
		default:
			return nil
		}
	}
	return nil
}

// wireEnvelope is an ENVELOPE as the server writes it, in the two forms a
// connection may need: 8-bit strings as literals, or (after ENABLE
// IMAP4rev2 or UTF8=ACCEPT) quoted.
type wireEnvelope struct {
	plain, utf8 []byte
}

func encodeEnvelope(env *imap.Envelope) wireEnvelope {
	plain := appendEnvelope(nil, env, false)
	if !has8bit(plain) {
		return wireEnvelope{plain: plain, utf8: plain}
	}
	return wireEnvelope{plain: plain, utf8: appendEnvelope(nil, env, true)}
}

func has8bit(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

func (w wireEnvelope) bytes(utf8 bool) []byte {
	if utf8 {
		return w.utf8
	}
	return w.plain
}

// noEnvelope is the envelope of a message without a header.
var noEnvelope = &cachedEnvelope{env: &imap.Envelope{}, wire: encodeEnvelope(&imap.Envelope{})}

const envelopeDateLayout = "Mon, 02 Jan 2006 15:04:05 -0700"

// appendEnvelope appends env as RFC 9051's envelope: sender and reply-to
// default to from, names and the subject are encoded words.
func appendEnvelope(b []byte, env *imap.Envelope, utf8 bool) []byte {
	if env == nil {
		env = new(imap.Envelope)
	}
	sender, replyTo := env.Sender, env.ReplyTo
	if sender == nil {
		sender = env.From
	}
	if replyTo == nil {
		replyTo = env.From
	}
	b = append(b, '(')
	if env.Date.IsZero() {
		b = append(b, "NIL"...)
	} else {
		b = appendString(b, env.Date.Format(envelopeDateLayout), utf8)
	}
	b = append(b, ' ')
	b = appendNString(b, mime.QEncoding.Encode("utf-8", env.Subject), utf8)
	for _, l := range [][]imap.Address{env.From, sender, replyTo, env.To, env.Cc, env.Bcc} {
		b = append(b, ' ')
		b = appendAddressList(b, l, utf8)
	}
	b = append(b, ' ')
	if len(env.InReplyTo) > 0 {
		b = appendString(b, "<"+strings.Join(env.InReplyTo, "> <")+">", utf8)
	} else {
		b = append(b, "NIL"...)
	}
	b = append(b, ' ')
	if env.MessageID != "" {
		b = appendString(b, "<"+env.MessageID+">", utf8)
	} else {
		b = append(b, "NIL"...)
	}
	return append(b, ')')
}

func appendAddressList(b []byte, l []imap.Address, utf8 bool) []byte {
	if len(l) == 0 {
		return append(b, "NIL"...)
	}
	b = append(b, '(')
	for i, a := range l {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, '(')
		b = appendNString(b, mime.QEncoding.Encode("utf-8", a.Name), utf8)
		b = append(b, " NIL "...)
		b = appendNString(b, a.Mailbox, utf8)
		b = append(b, ' ')
		b = appendNString(b, a.Host, utf8)
		b = append(b, ')')
	}
	return append(b, ')')
}

func appendNString(b []byte, s string, utf8 bool) []byte {
	if s == "" {
		return append(b, "NIL"...)
	}
	return appendString(b, s, utf8)
}

// appendString writes s quoted when it can be, else as a literal.
func appendString(b []byte, s string, utf8 bool) []byte {
	if !quotable(s, utf8) {
		b = append(b, '{')
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, "}\r\n"...)
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

func quotable(s string, utf8 bool) bool {
	if len(s) > 4096 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == 0 || c == '\r' || c == '\n':
			return false
		case c >= 0x80 && !utf8:
			return false
		}
	}
	return true
}

const internalDateLayout = "_2-Jan-2006 15:04:05 -0700"

// appendFlags appends a flag list.
func appendFlags(b []byte, flags []string) []byte {
	b = append(b, '(')
	for i, f := range flags {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, f...)
	}
	return append(b, ')')
}

// flagsWire is each interned flag set's list as written, made once.
var flagsWire sync.Map // flagSet → []byte

func (f flagSet) wire() []byte {
	if b, ok := flagsWire.Load(f); ok {
		return b.([]byte)
	}
	b := appendFlags(nil, f.list())
	flagsWire.Store(f, b)
	return b
}

// recentSets is each interned flag set's twin with \Recent added.
var recentSets sync.Map // flagSet → flagSet

// withRecent is f with \Recent, interned.
func (f flagSet) withRecent() flagSet {
	if r, ok := recentSets.Load(f); ok {
		return r.(flagSet)
	}
	r := internFlags(append(append([]string{}, f.list()...), string(flagRecent)))
	recentSets.Store(f, r)
	return r
}

// metaItems says which items a FETCH asks for when it asks for nothing
// but these; fetchMeta writes them.
type metaItems struct {
	uid, flags, internalDate, size, envelope bool
}

// metaOnly reports whether options ask only for what fetchMeta writes.
func metaOnly(o *imap.FetchOptions) (metaItems, bool) {
	if o.BodyStructure != nil || len(o.BodySection) > 0 || len(o.BinarySection) > 0 || len(o.BinarySectionSize) > 0 || o.ModSeq {
		return metaItems{}, false
	}
	return metaItems{uid: o.UID, flags: o.Flags, internalDate: o.InternalDate, size: o.RFC822Size, envelope: o.Envelope}, true
}

// fetchMeta writes the FETCH responses for items straight to the
// connection. It is called from the command's handler, which is the only
// writer of the connection then, after go-imap has flushed everything it
// wrote before (its encoder flushes at the end of each response).
func (s *session) fetchMeta(v *view, items metaItems, seqs, uids []uint32) error {
	metas, err := s.srv.store.Metas(s.ctx, v.box.ID, uids[0], uids[len(uids)-1])
	if err != nil {
		return s.storeErr("fetch", err)
	}
	// metas and uids are both in UID order: pair them up.
	type pair struct {
		seq  uint32
		meta *store.MessageMeta
		env  *cachedEnvelope
	}
	pairs := make([]pair, 0, len(uids))
	var missing []uint32 // envelopes not in the cache
	j := 0
	for i, uid := range uids {
		for j < len(metas) && metas[j].UID < uid {
			j++
		}
		if j == len(metas) || metas[j].UID != uid {
			continue // expunged by another session; the view learns it at the next poll
		}
		p := pair{seq: seqs[i], meta: &metas[j]}
		if items.envelope {
			if p.env = s.srv.envelopes.lookup(p.meta.ContentID); p.env == nil {
				missing = append(missing, uid)
			}
		}
		pairs = append(pairs, p)
	}
	if len(missing) > 0 {
		var withHeaders map[uint32]store.MessageInfo
		if len(missing) > len(uids)/4 {
			withHeaders, err = s.srv.store.InfosWithHeaders(s.ctx, v.box.ID, missing)
		} else {
			withHeaders, err = s.srv.store.InfosOfWithHeaders(s.ctx, v.box.ID, missing)
		}
		if err != nil {
			return s.storeErr("fetch", err)
		}
		for i := range pairs {
			if p := &pairs[i]; p.env == nil {
				if in, ok := withHeaders[p.meta.UID]; ok {
					p.env = s.srv.envelopes.get(in.ContentID, in.Header)
				} else {
					p.env = noEnvelope // expunged meanwhile
				}
			}
		}
	}

	nc := s.conn.NetConn()
	if cc := corkOf(nc); cc != nil {
		cc.cork() // the tagged answer goes out with the last responses
	}
	caps := s.conn.EnabledCaps()
	utf8 := caps.Has(imap.CapIMAP4rev2) || caps.Has(imap.CapUTF8Accept)
	nc.SetWriteDeadline(time.Now().Add(30 * time.Second))
	defer nc.SetWriteDeadline(time.Time{})
	bp := corkBufs.Get().(*[]byte)
	b := (*bp)[:0]
	defer func() { *bp = b[:0]; corkBufs.Put(bp) }()
	for _, p := range pairs {
		b = append(b, "* "...)
		b = strconv.AppendUint(b, uint64(p.seq), 10)
		b = append(b, " FETCH ("...)
		sep := false
		item := func(name string) {
			if sep {
				b = append(b, ' ')
			}
			sep = true
			b = append(b, name...)
		}
		if items.uid {
			item("UID ")
			b = strconv.AppendUint(b, uint64(p.meta.UID), 10)
		}
		if items.flags {
			item("FLAGS ")
			b = append(b, v.shownSet(p.seq).wire()...)
		}
		if items.internalDate {
			item(`INTERNALDATE "`)
			b = p.meta.InternalDate.AppendFormat(b, internalDateLayout)
			b = append(b, '"')
		}
		if items.size {
			item("RFC822.SIZE ")
			b = strconv.AppendInt(b, p.meta.Size, 10)
		}
		if items.envelope {
			item("ENVELOPE ")
			b = append(b, p.env.wire.bytes(utf8)...)
		}
		b = append(b, ")\r\n"...)
		if len(b) >= corkMax-4096 {
			if _, err := nc.Write(b); err != nil {
				return err
			}
			b = b[:0]
		}
	}
	if len(b) > 0 {
		if _, err := nc.Write(b); err != nil {
			return err
		}
	}
	return nil
}
