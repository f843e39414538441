package imapd

import (
	"bufio"
	"bytes"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-message/textproto"

	"nanhu/mailserver/store"
)

func (s *session) selected() (*view, error) {
	if s.sel == nil {
		return nil, &imap.Error{Type: imap.StatusResponseTypeBad, Text: "No mailbox selected"}
	}
	return s.sel, nil
}

// Fetch writes the requested items of each message. FETCH of a body section
// without PEEK sets \Seen (not in a read-only mailbox), and the new flags
// are part of the response.
func (s *session) Fetch(w *imapserver.FetchWriter, numSet imap.NumSet, options *imap.FetchOptions) error {
	v, err := s.selected()
	if err != nil {
		return err
	}
	if err := v.checkSeqs(numSet); err != nil {
		return err
	}
	seqs, uids := v.resolve(numSet)
	if len(uids) == 0 {
		return nil
	}
	if items, ok := metaOnly(options); ok && !s.srv.slowFetch {
		return s.fetchMeta(v, items, seqs, uids)
	}
	needFull := options.BodyStructure != nil || len(options.BinarySection) > 0 || len(options.BinarySectionSize) > 0
	needHeader := options.Envelope
	setSeen := false
	for _, bs := range options.BodySection {
		if bs.Specifier == imap.PartSpecifierHeader && len(bs.Part) == 0 {
			needHeader = true
		} else {
			needFull = true
		}
		if !bs.Peek {
			setSeen = true
		}
	}
	var infos map[uint32]store.MessageInfo
	if needFull && len(uids) <= 16 {
		// A few messages (a client opening one): their bytes come in the
		// same query.
		infos, err = s.srv.store.InfosOfWithContent(s.ctx, v.box.ID, uids)
	} else if needHeader && !needFull {
		infos, err = s.srv.store.InfosWithHeaders(s.ctx, v.box.ID, uids)
	} else {
		infos, err = s.srv.store.Infos(s.ctx, v.box.ID, uids)
	}
	if err != nil {
		return s.storeErr("fetch", err)
	}
	for _, bs := range options.BinarySection {
		if !bs.Peek {
			setSeen = true
		}
	}
	// Responses of many messages go out in large writes.
	// A body goes out as a literal between two pieces of the response:
	// they too go out in one write.
	if cc := corkOf(s.conn.NetConn()); cc != nil && (len(uids) > 1 || len(options.BodySection) > 0 || len(options.BinarySection) > 0) {
		cc.cork() // until the server reads the next command
	}
	if setSeen && !v.readOnly {
		var unseen []uint32
		for _, uid := range uids {
			if _, ok := infos[uid]; ok && !hasFlag(v.flagsOf(uid), `\Seen`) {
				unseen = append(unseen, uid)
			}
		}
		if len(unseen) > 0 {
			states, err := s.srv.store.StoreFlags(s.ctx, v.box.ID, unseen, store.FlagsAdd, []string{`\Seen`})
			if err != nil {
				return s.storeErr("fetch", err)
			}
			// Keywords another session set are announced in FLAGS
			// before a FETCH shows them.
			if err := s.announceKeywords(v, states, nil); err != nil {
				return err
			}
			for _, st := range states {
				v.setFlags(st.UID, st.Flags)
				info := infos[st.UID]
				info.Flags = st.Flags
				infos[st.UID] = info
			}
		}
	}
	for i, uid := range uids {
		info, ok := infos[uid]
		if !ok {
			continue // expunged by another session; the view learns it at the next poll
		}
		var raw, header []byte
		if needFull {
			if raw = info.Raw; raw == nil {
				if s.srv.fetchGap != nil {
					s.srv.fetchGap()
				}
				raw, err = s.srv.store.Content(s.ctx, info.ContentID, 0)
				if errors.Is(err, store.ErrNoSuchUID) {
					// Expunged by another session since the list was
					// read: answer for the messages that still exist
					// (RFC 3501 §7.4.1); the view learns of it at the
					// next command that may announce expunges.
					continue
				}
				if err != nil {
					return s.storeErr("fetch", err)
				}
			}
			header = raw[:min(info.HeaderLen, len(raw))]
		} else if needHeader {
			header = info.Header
		}
		var partials [][]byte // the partial BINARY items, which go-imap writes without their origin
		for _, bs := range options.BinarySection {
			if bs.Partial == nil {
				continue
			}
			b, ok := binarySection(raw, bs)
			if !ok {
				return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeUnknownCTE, Text: "The part has a transfer encoding this server cannot decode"}
			}
			partials = append(partials, b)
		}
		if len(partials) > 0 && options.BodyStructure == nil && len(options.BodySection) == 0 {
			// Every item is one this file writes: one response.
			o := *options
			o.Flags = options.Flags || setSeen
			if err := s.writeFetchRaw(v, seqs[i], info, header, &o, raw, partials); err != nil {
				return err
			}
			continue
		}
		m := w.CreateMessage(seqs[i])
		if options.UID {
			m.WriteUID(imap.UID(uid))
		}
		if options.Flags || setSeen {
			m.WriteFlags(toFlags(v.shown(uid, v.flagsOf(uid))))
		}
		if options.InternalDate {
			m.WriteInternalDate(info.InternalDate)
		}
		if options.RFC822Size {
			m.WriteRFC822Size(info.Size)
		}
		if options.Envelope {
			m.WriteEnvelope(s.srv.envelopes.get(info.ContentID, header).env)
		}
		if options.BodyStructure != nil {
			m.WriteBodyStructure(bodyStructure(readEntity(raw), 0))
		}
		for _, bs := range options.BodySection {
			src := raw
			if src == nil {
				src = header
			}
			var b []byte
			if len(bs.Part) == 0 && bs.Specifier == imap.PartSpecifierNone && len(bs.HeaderFields) == 0 && len(bs.HeaderFieldsNot) == 0 {
				b = partial(src, bs.Partial) // the message as stored, byte for byte
			} else {
				b = imapserver.ExtractBodySection(bytes.NewReader(src), bs)
			}
			wc := m.WriteBodySection(bs, int64(len(b)))
			wc.Write(b)
			wc.Close()
		}
		for _, bs := range options.BinarySection {
			if bs.Partial != nil {
				continue // below, in a response of its own
			}
			b, ok := binarySection(raw, bs)
			if !ok {
				m.Close()
				return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeUnknownCTE, Text: "The part has a transfer encoding this server cannot decode"}
			}
			wc := m.WriteBinarySection(bs, int64(len(b)))
			wc.Write(b)
			wc.Close()
		}
		for _, bs := range options.BinarySectionSize {
			b, ok := binarySection(raw, &imap.FetchItemBinarySection{Part: bs.Part})
			if !ok {
				m.Close()
				return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeUnknownCTE, Text: "The part has a transfer encoding this server cannot decode"}
			}
			m.WriteBinarySectionSize(bs, uint32(len(b)))
		}
		if err := m.Close(); err != nil {
			return err
		}
		if len(partials) > 0 {
			// With BODYSTRUCTURE or BODY[…], which go-imap writes, the
			// partial BINARY items follow in a second FETCH response for
			// the message (RFC 9051 §7.5.2 allows several).
			only := &imap.FetchOptions{UID: options.UID, BinarySection: options.BinarySection}
			if err := s.writeFetchRaw(v, seqs[i], info, nil, only, raw, partials); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeFetchRaw writes one FETCH response straight to the connection, for
// the items fetchMeta writes and BINARY, so that a partial BINARY names its
// origin (BINARY[1]<0>, RFC 3516 and RFC 9051 §7.5.2), which go-imap's
// writer leaves out. partials are the partial BINARY items' bytes, in
// order. go-imap has flushed what it wrote before (its encoder flushes at
// the end of each response).
func (s *session) writeFetchRaw(v *view, seq uint32, info store.MessageInfo, header []byte, o *imap.FetchOptions, raw []byte, partials [][]byte) error {
	caps := s.conn.EnabledCaps()
	utf8 := caps.Has(imap.CapIMAP4rev2) || caps.Has(imap.CapUTF8Accept)
	b := []byte("* ")
	b = strconv.AppendUint(b, uint64(seq), 10)
	b = append(b, " FETCH ("...)
	sep := false
	item := func(name string) {
		if sep {
			b = append(b, ' ')
		}
		sep = true
		b = append(b, name...)
	}
	if o.UID {
		item("UID ")
		b = strconv.AppendUint(b, uint64(info.UID), 10)
	}
	if o.Flags {
		item("FLAGS ")
		b = appendFlags(b, v.shown(info.UID, v.flagsOf(info.UID)))
	}
	if o.InternalDate {
		item(`INTERNALDATE "`)
		b = info.InternalDate.AppendFormat(b, internalDateLayout)
		b = append(b, '"')
	}
	if o.RFC822Size {
		item("RFC822.SIZE ")
		b = strconv.AppendInt(b, info.Size, 10)
	}
	if o.Envelope {
		item("ENVELOPE ")
		b = append(b, s.srv.envelopes.get(info.ContentID, header).wire.bytes(utf8)...)
	}
	j := 0
	for _, bs := range o.BinarySection {
		var data []byte
		if bs.Partial != nil {
			data = partials[j]
			j++
		} else {
			var ok bool
			if data, ok = binarySection(raw, bs); !ok {
				return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeUnknownCTE, Text: "The part has a transfer encoding this server cannot decode"}
			}
		}
		item("BINARY[")
		b = appendPart(b, bs.Part)
		b = append(b, ']')
		if bs.Partial != nil {
			b = append(b, '<')
			b = strconv.AppendInt(b, bs.Partial.Offset, 10)
			b = append(b, '>')
		}
		b = appendLiteral(b, data)
	}
	for _, bs := range o.BinarySectionSize {
		data, ok := binarySection(raw, &imap.FetchItemBinarySection{Part: bs.Part})
		if !ok {
			return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeUnknownCTE, Text: "The part has a transfer encoding this server cannot decode"}
		}
		item("BINARY.SIZE[")
		b = appendPart(b, bs.Part)
		b = append(b, "] "...)
		b = strconv.AppendInt(b, int64(len(data)), 10)
	}
	b = append(b, ")\r\n"...)
	nc := s.conn.NetConn()
	nc.SetWriteDeadline(time.Now().Add(5 * time.Minute))
	defer nc.SetWriteDeadline(time.Time{})
	_, err := nc.Write(b)
	return err
}

func appendPart(b []byte, part []int) []byte {
	for i, n := range part {
		if i > 0 {
			b = append(b, '.')
		}
		b = strconv.AppendInt(b, int64(n), 10)
	}
	return b
}

// appendLiteral writes data as a literal, never a quoted string: a
// literal8 (~{n}) when it holds NUL, which only a literal8 may (RFC 3516).
func appendLiteral(b, data []byte) []byte {
	b = append(b, ' ')
	if bytes.IndexByte(data, 0) >= 0 {
		b = append(b, '~')
	}
	b = append(b, '{')
	b = strconv.AppendInt(b, int64(len(data)), 10)
	b = append(b, "}\r\n"...)
	return append(b, data...)
}

// announceKeywords writes an untagged FLAGS when states or names hold a
// keyword the view has not announced, straight to the connection from a
// FETCH or STORE handler (go-imap's FetchWriter cannot write FLAGS); go-imap
// has flushed what it wrote before.
func (s *session) announceKeywords(v *view, states []store.MessageState, names []string) error {
	added := v.noteKeywords(names)
	for _, st := range states {
		added = v.noteKeywords(st.Flags) || added
	}
	if !added {
		return nil
	}
	list := v.flagList()
	flags := make([]string, len(list))
	for i, f := range list {
		flags[i] = string(f)
	}
	b := append([]byte("* FLAGS "), appendFlags(nil, flags)...)
	b = append(b, "\r\n"...)
	nc := s.conn.NetConn()
	nc.SetWriteDeadline(time.Now().Add(30 * time.Second))
	defer nc.SetWriteDeadline(time.Time{})
	_, err := nc.Write(b)
	return err
}

// partial cuts BODY[]<offset.size> out of b.
func partial(b []byte, p *imap.SectionPartial) []byte {
	if p == nil {
		return b
	}
	if p.Offset >= int64(len(b)) {
		return nil
	}
	b = b[p.Offset:]
	if p.Size >= 0 && p.Size < int64(len(b)) {
		b = b[:p.Size]
	}
	return b
}

// envelopeCache keeps parsed envelopes, and their encoding on the wire, by
// content id. A message's bytes never change, so an entry is never stale;
// the cache only bounds memory.
type envelopeCache struct {
	mu      sync.Mutex
	max     int
	entries map[int64]*cachedEnvelope
	order   []int64 // insertion order, for eviction
}

type cachedEnvelope struct {
	env  *imap.Envelope
	wire wireEnvelope
}

func newEnvelopeCache(max int) *envelopeCache {
	return &envelopeCache{max: max, entries: make(map[int64]*cachedEnvelope)}
}

// lookup returns the cached envelope of content, or nil.
func (c *envelopeCache) lookup(content int64) *cachedEnvelope {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.entries[content]
}

// get returns content's envelope, parsing header when it is not cached.
func (c *envelopeCache) get(content int64, header []byte) *cachedEnvelope {
	if e := c.lookup(content); e != nil {
		return e
	}
	env := envelope(header)
	e := &cachedEnvelope{env: env, wire: encodeEnvelope(env)}
	c.mu.Lock()
	if old, ok := c.entries[content]; ok {
		e = old
	} else {
		c.entries[content] = e
		c.order = append(c.order, content)
		for len(c.order) > c.max {
			delete(c.entries, c.order[0])
			c.order = c.order[1:]
		}
	}
	c.mu.Unlock()
	return e
}

func envelope(header []byte) *imap.Envelope {
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(header)))
	if err != nil && h.Len() == 0 {
		return &imap.Envelope{}
	}
	return imapserver.ExtractEnvelope(h)
}

// Store changes flags. A keyword the session has not announced yet, the
// client's own or one another session set on these messages, is announced
// in an untagged FLAGS before the FETCH responses show it (a client must
// not see a keyword before FLAGS lists it).
func (s *session) Store(w *imapserver.FetchWriter, numSet imap.NumSet, flags *imap.StoreFlags, options *imap.StoreOptions) error {
	defer s.changing()()
	v, err := s.selected()
	if err != nil {
		return err
	}
	if err := v.checkSeqs(numSet); err != nil {
		return err
	}
	if v.readOnly {
		return imapErr(imap.ResponseCodeCannot, "The mailbox is read-only (EXAMINE)")
	}
	seqs, uids := v.resolve(numSet)
	if len(uids) == 0 {
		return nil
	}
	var names []string
	for _, f := range flags.Flags {
		if f == flagRecent || f == imap.FlagWildcard {
			continue
		}
		names = append(names, string(f))
	}
	op := store.FlagsSet
	switch flags.Op {
	case imap.StoreFlagsAdd:
		op = store.FlagsAdd
	case imap.StoreFlagsDel:
		op = store.FlagsDel
	}
	states, err := s.srv.store.StoreFlags(s.ctx, v.box.ID, uids, op, names)
	if err != nil {
		return s.storeErr("store", err)
	}
	if err := s.announceKeywords(v, states, names); err != nil {
		return err
	}
	seqOf := make(map[uint32]uint32, len(uids))
	for i, uid := range uids {
		seqOf[uid] = seqs[i]
	}
	if cc := corkOf(s.conn.NetConn()); cc != nil && !flags.Silent && len(states) > 1 {
		cc.cork() // until the server reads the next command
	}
	// A STORE raises the mailbox's mod-sequence by one. When the view was
	// up to date before it, it is up to date after it too (its own changes
	// are applied below), and the poll that follows need not read them
	// back.
	// A message this STORE left as it was comes back with the
	// mod-sequence of its last change, which may be another session's
	// (one that changed other messages too): then the view is not up to
	// date, and the poll reads.
	var modseq uint64
	upToDate := true
	for _, st := range states {
		modseq = max(modseq, st.ModSeq)
		seq := seqOf[st.UID]
		if seq == 0 {
			continue
		}
		id := internFlags(st.Flags)
		if v.flags[seq-1] == id {
			if st.ModSeq > v.modseq {
				upToDate = false
			}
			continue
		}
		v.own()
		v.flags[seq-1] = id
	}
	if upToDate && modseq == v.modseq+1 {
		defer func() { v.modseq = max(v.modseq, modseq) }()
	}
	if flags.Silent {
		return nil
	}
	for _, st := range states {
		seq := seqOf[st.UID]
		if seq == 0 {
			continue
		}
		m := w.CreateMessage(seq)
		if _, isUID := numSet.(imap.UIDSet); isUID {
			m.WriteUID(imap.UID(st.UID))
		}
		m.WriteFlags(toFlags(v.shownSet(seq).list()))
		if err := m.Close(); err != nil {
			return err
		}
	}
	return nil
}

// Expunge removes the \Deleted messages (of uids, for UID EXPUNGE).
func (s *session) Expunge(w *imapserver.ExpungeWriter, uids *imap.UIDSet) error {
	defer s.changing()()
	v, err := s.selected()
	if err != nil {
		return err
	}
	if v.readOnly {
		return imapErr(imap.ResponseCodeCannot, "The mailbox is read-only (EXAMINE)")
	}
	var only []uint32
	if uids != nil {
		_, only = v.resolve(*uids)
		if len(only) == 0 {
			return nil
		}
	}
	gone, err := s.srv.store.Expunge(s.ctx, v.box.Owner, v.box.ID, only)
	if err != nil {
		return s.storeErr("expunge", err)
	}
	for _, uid := range gone {
		if seq := v.remove(uid); seq != 0 {
			if err := w.WriteExpunge(seq); err != nil {
				return err
			}
		}
	}
	return nil
}

// Copy copies messages to another of the user's mailboxes (UIDPLUS).
func (s *session) Copy(numSet imap.NumSet, dest string) (*imap.CopyData, error) {
	defer s.changing()()
	v, err := s.selected()
	if err != nil {
		return nil, err
	}
	res, err := s.copyOrMove(v, numSet, dest, false)
	if err != nil {
		return nil, err
	}
	return copyData(res), nil
}

func copyData(res store.CopyResult) *imap.CopyData {
	d := &imap.CopyData{UIDValidity: res.UIDValidity}
	for i := range res.Source {
		d.SourceUIDs.AddNum(imap.UID(res.Source[i]))
		d.DestUIDs.AddNum(imap.UID(res.Dest[i]))
	}
	return d
}

func (s *session) copyOrMove(v *view, numSet imap.NumSet, dest string, move bool) (store.CopyResult, error) {
	if err := v.checkSeqs(numSet); err != nil {
		return store.CopyResult{}, err
	}
	_, uids := v.resolve(numSet)
	dst, err := s.mailboxByName(dest)
	if err != nil {
		return store.CopyResult{}, imapErr(imap.ResponseCodeTryCreate, "No such mailbox: %s", dest)
	}
	if len(uids) == 0 {
		return store.CopyResult{UIDValidity: dst.UIDValidity}, nil
	}
	if move && v.readOnly {
		return store.CopyResult{}, imapErr(imap.ResponseCodeCannot, "The mailbox is read-only (EXAMINE)")
	}
	if quota, err := s.srv.dir.Quota(s.ctx, s.login); err == nil && quota > 0 && (!move || v.box.Owner != s.login) && dst.Owner == s.login {
		infos, err := s.srv.store.Infos(s.ctx, v.box.ID, uids)
		if err == nil {
			var add int64
			for _, in := range infos {
				add += in.Size
			}
			if used, _, err := s.srv.store.Usage(s.ctx, s.login); err == nil && used+add > quota {
				return store.CopyResult{}, imapErr(imap.ResponseCodeOverQuota, "Mailbox full: the copies would take you over your quota")
			}
		}
	}
	res, err := s.srv.store.Copy(s.ctx, v.box.Owner, v.box.ID, uids, dst.ID, move)
	if err != nil {
		return res, s.storeErr("copy", err)
	}
	return res, nil
}

// Move moves messages (RFC 6851): COPYUID, then an EXPUNGE per message.
func (s *session) Move(w *imapserver.MoveWriter, numSet imap.NumSet, dest string) error {
	defer s.changing()()
	v, err := s.selected()
	if err != nil {
		return err
	}
	res, err := s.copyOrMove(v, numSet, dest, true)
	if err != nil {
		return err
	}
	if err := w.WriteCopyData(copyData(res)); err != nil {
		return err
	}
	for _, uid := range res.Source {
		if seq := v.remove(uid); seq != 0 {
			if err := w.WriteExpunge(seq); err != nil {
				return err
			}
		}
	}
	return nil
}
