package imapd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"

	"nanhu/mailserver/accounts"
	"nanhu/mailserver/store"
)

// session is one IMAP connection.
type session struct {
	srv      *Server
	ctx      context.Context
	conn     *imapserver.Conn
	listener string
	ip       netip.Addr
	login    string
	shared   []accounts.Shared // the shared mailboxes this user may use
	sel      *view
	guard    *guardConn // nil only in tests that bypass Serve

	busy    atomic.Int32 // commands that change mail, running now
	byeOnce sync.Once
	// idleMu is held while Idle runs: go-imap runs it in a goroutine of
	// its own that may outlive the connection, and Close must wait.
	idleMu sync.Mutex
}

// changing marks a command that changes mail as running until the
// returned function is called: the shutdown lets it answer first.
func (s *session) changing() func() {
	s.busy.Add(1)
	return func() { s.busy.Add(-1) }
}

// bye says "* BYE" and closes the connection, once, without waiting.
func (s *session) bye() {
	s.byeOnce.Do(func() {
		go func() {
			if nc := s.conn.NetConn(); nc != nil {
				nc.SetWriteDeadline(time.Now().Add(2 * time.Second))
			}
			s.conn.Bye("Server shutting down, please reconnect later")
		}()
	})
}

func (s *Server) newSession(c *imapserver.Conn, listener string) *session {
	s.metrics.sessions.Inc()
	var ip netip.Addr
	if ap, err := netip.ParseAddrPort(c.NetConn().RemoteAddr().String()); err == nil {
		ip = ap.Addr().Unmap()
	}
	sess := &session{srv: s, ctx: s.ctx, conn: c, listener: listener, ip: ip}
	s.mu.Lock()
	s.sessions[sess] = struct{}{}
	draining := s.draining
	s.mu.Unlock()
	if draining {
		sess.bye()
	}
	if g, ok := c.NetConn().(*guardConn); ok {
		sess.guard = g
		utf8 := func() bool {
			caps := c.EnabledCaps()
			return caps.Has(imap.CapUTF8Accept) || caps.Has(imap.CapIMAP4rev2)
		}
		g.utf8.Store(&utf8)
		quota := sess.quotaCommand
		g.quota.Store(&quota)
		selected := func() bool { return sess.sel != nil }
		g.selected.Store(&selected)
	}
	return sess
}

func imapErr(code imap.ResponseCode, format string, args ...any) *imap.Error {
	return &imap.Error{Type: imap.StatusResponseTypeNo, Code: code, Text: fmt.Sprintf(format, args...)}
}

// storeErr turns a store error into the IMAP answer a client understands.
func (s *session) storeErr(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNoMailbox):
		return imapErr(imap.ResponseCodeNonExistent, "No such mailbox")
	case errors.Is(err, store.ErrExists):
		return imapErr(imap.ResponseCodeAlreadyExists, "Mailbox already exists")
	case errors.Is(err, store.ErrInvalidName):
		return imapErr(imap.ResponseCodeCannot, "Invalid mailbox name")
	case errors.Is(err, store.ErrProtected):
		return imapErr(imap.ResponseCodeCannot, "%s", strings.TrimSuffix(err.Error(), ": "+store.ErrProtected.Error()))
	case errors.Is(err, store.ErrOverQuota):
		return imapErr(imap.ResponseCodeOverQuota, "Mailbox full: your quota would be exceeded")
	}
	s.srv.log.Error("imap "+op, "user", s.login, "err", err)
	return imapErr(imap.ResponseCodeServerBug, "Internal error during %s; try again", op)
}

func (s *session) Close() error {
	s.idleMu.Lock()
	defer s.idleMu.Unlock()
	s.srv.mu.Lock()
	delete(s.srv.sessions, s)
	s.srv.mu.Unlock()
	if s.sel != nil {
		s.sel.close()
		s.sel = nil
	}
	s.srv.metrics.sessions.Dec()
	return nil
}

// Login checks the password, applying the shared lockouts.
func (s *session) Login(username, password string) error {
	srv := s.srv
	if s.guard != nil && !s.guard.secure() {
		srv.log.Info("imap login refused: no TLS", "remote", s.ip, "user", username)
		return imapErr(imap.ResponseCodePrivacyRequired, "TLS is required to authenticate; use STARTTLS")
	}
	user := strings.ToLower(strings.TrimSpace(username))
	if wait := srv.limits.AuthLocked(s.ip, user); wait > 0 {
		srv.metrics.authFailures.Inc()
		srv.log.Warn("imap login refused: locked out", "remote", s.ip, "user", username)
		return imapErr(imap.ResponseCodeUnavailable, "Too many failed logins; try again in %d minutes", int(wait.Minutes())+1)
	}
	login, err := srv.dir.Authenticate(s.ctx, username, password)
	if err != nil && !errors.Is(err, accounts.ErrBadCredentials) && !errors.Is(err, accounts.ErrDisabled) {
		srv.log.Error("imap login: directory failure", "user", username, "err", err)
		return imapErr(imap.ResponseCodeUnavailable, "Temporary authentication failure, try again later")
	}
	if err != nil {
		srv.metrics.authFailures.Inc()
		srv.metrics.logins.WithLabelValues("failed").Inc()
		f := srv.limits.AuthFailed(s.ip, user)
		srv.log.Warn("imap login failed", "remote", s.ip, "user", username, "err", err, "lockout", f.Locked)
		f.Wait(s.ctx)
		return imapserver.ErrAuthFailed
	}
	srv.limits.AuthSucceeded(s.ip, user)
	if err := srv.store.EnsureStandard(s.ctx, login); err != nil {
		return s.storeErr("login", err)
	}
	s.login = login
	if s.guard != nil {
		s.guard.authed.Store(true)
	}
	if err := s.loadShared(); err != nil {
		return err
	}
	srv.metrics.logins.WithLabelValues("ok").Inc()
	srv.log.Info("imap login", "remote", s.ip, "user", login, "listener", s.listener)
	return nil
}

// loadShared asks the directory which shared mailboxes the user may use now
// (at login and at every LIST, so a membership change shows without a new
// login).
func (s *session) loadShared() error {
	shared, err := s.srv.dir.SharedMailboxes(s.ctx, s.login)
	if err != nil {
		s.srv.log.Error("imap shared mailboxes", "user", s.login, "err", err)
		return imapErr(imap.ResponseCodeUnavailable, "Temporary directory failure, try again later")
	}
	s.shared = shared
	return nil
}

func (s *session) Namespace() (*imap.NamespaceData, error) {
	data := &imap.NamespaceData{Personal: []imap.NamespaceDescriptor{{Prefix: "", Delim: '/'}}}
	if len(s.shared) > 0 {
		prefix := SharedPrefix
		if !s.conn.EnabledCaps().Has(imap.CapUTF8Accept) && !s.conn.EnabledCaps().Has(imap.CapIMAP4rev2) {
			prefix = encodeMUTF7(prefix)
		}
		data.Shared = []imap.NamespaceDescriptor{{Prefix: prefix, Delim: '/'}}
	}
	return data, nil
}

func (s *session) AppendLimit() uint32 { return s.srv.opts.AppendLimit }

func (s *session) Create(name string, options *imap.CreateOptions) error {
	defer s.changing()()
	use := ""
	if options != nil && len(options.SpecialUse) > 0 {
		for _, a := range options.SpecialUse {
			switch a {
			case imap.MailboxAttrArchive, imap.MailboxAttrDrafts, imap.MailboxAttrJunk, imap.MailboxAttrSent, imap.MailboxAttrTrash:
				use = string(a)
			default:
				return &imap.Error{Type: imap.StatusResponseTypeNo, Code: "USEATTR", Text: "Unsupported special-use attribute"}
			}
		}
	}
	mb, err := s.resolveName(name)
	if err != nil {
		return err
	}
	if mb.shared != nil {
		use = "" // one member's \Sent is not the department's
	}
	return s.storeErr("create", s.srv.store.CreateMailbox(s.ctx, mb.owner, mb.name, use))
}

func (s *session) Delete(name string) error {
	defer s.changing()()
	mb, err := s.resolveName(name)
	if err != nil {
		return err
	}
	if mb.shared != nil && store.CanonicalName(mb.name) == "INBOX" {
		return imapErr(imap.ResponseCodeCannot, "A department's shared mailbox cannot be deleted")
	}
	if s.sel != nil && s.sel.box.Owner == mb.owner && s.sel.box.Name == store.CanonicalName(mb.name) {
		s.sel.close()
		s.sel = nil
	}
	return s.storeErr("delete", s.srv.store.DeleteMailbox(s.ctx, mb.owner, mb.name))
}

func (s *session) Rename(from, to string, _ *imap.RenameOptions) error {
	defer s.changing()()
	src, err := s.resolveName(from)
	if err != nil {
		return err
	}
	dst, err := s.resolveName(to)
	if err != nil {
		return err
	}
	if src.owner != dst.owner {
		return imapErr(imap.ResponseCodeCannot, "Cannot move a mailbox between your own and a shared one")
	}
	if src.shared != nil && store.CanonicalName(src.name) == "INBOX" {
		return imapErr(imap.ResponseCodeCannot, "A department's shared mailbox cannot be renamed")
	}
	return s.storeErr("rename", s.srv.store.RenameMailbox(s.ctx, src.owner, src.name, dst.name))
}

func (s *session) Subscribe(name string) error {
	defer s.changing()()
	mb, err := s.resolveName(name)
	if err != nil {
		return err
	}
	if mb.shared != nil {
		return nil // shared mailboxes are always listed as subscribed
	}
	return s.storeErr("subscribe", s.srv.store.SetSubscribed(s.ctx, mb.owner, mb.name, true))
}

func (s *session) Unsubscribe(name string) error {
	defer s.changing()()
	mb, err := s.resolveName(name)
	if err != nil {
		return err
	}
	if mb.shared != nil {
		return nil
	}
	return s.storeErr("unsubscribe", s.srv.store.SetSubscribed(s.ctx, mb.owner, mb.name, false))
}

// List answers LIST with LIST-EXTENDED selection and return options,
// SPECIAL-USE attributes, CHILDREN and LIST-STATUS.
func (s *session) List(w *imapserver.ListWriter, ref string, patterns []string, options *imap.ListOptions) error {
	if options == nil {
		options = &imap.ListOptions{}
	}
	if len(patterns) == 0 || (len(patterns) == 1 && patterns[0] == "") {
		// The hierarchy delimiter query, LIST "" "" (RFC 3501 §6.3.8);
		// go-imap drops the empty pattern, so none are left.
		return w.WriteList(&imap.ListData{Attrs: []imap.MailboxAttr{imap.MailboxAttrNoSelect}, Delim: '/', Mailbox: ""})
	}
	if err := s.loadShared(); err != nil {
		return err
	}
	// go-imap calls List for LSUB too, without saying so.
	lsub := s.guard != nil && s.guard.current() == "LSUB"
	own, err := s.srv.store.Mailboxes(s.ctx, s.login)
	if err != nil {
		return s.storeErr("list", err)
	}
	// Every mailbox under the name the client sees; shared ones are
	// always subscribed and carry no special-use attribute.
	var boxes []store.Mailbox
	boxes = append(boxes, own...)
	for i := range s.shared {
		sh := &s.shared[i]
		if err := s.srv.store.CreateMailbox(s.ctx, sh.Owner, "INBOX", ""); err != nil && !errors.Is(err, store.ErrExists) {
			return s.storeErr("list", err)
		}
		theirs, err := s.srv.store.Mailboxes(s.ctx, sh.Owner)
		if err != nil {
			return s.storeErr("list", err)
		}
		for _, b := range theirs {
			b.Name = clientName(sh, b.Name)
			b.Subscribed = true
			b.SpecialUse = ""
			boxes = append(boxes, b)
		}
	}
	if len(s.shared) > 0 {
		boxes = append(boxes, store.Mailbox{ID: -1, Name: strings.TrimSuffix(SharedPrefix, "/"), Subscribed: true})
	}
	names := map[string]bool{}
	for _, b := range boxes {
		names[b.Name] = true
	}
	hasChildren := func(name string) bool {
		for n := range names {
			if strings.HasPrefix(n, name+"/") {
				return true
			}
		}
		return false
	}
	sort.Slice(boxes, func(i, j int) bool {
		if (boxes[i].Name == "INBOX") != (boxes[j].Name == "INBOX") {
			return boxes[i].Name == "INBOX"
		}
		return boxes[i].Name < boxes[j].Name
	})
	for _, b := range boxes {
		match := false
		for _, p := range patterns {
			if imapserver.MatchList(b.Name, '/', ref, p) {
				match = true
				break
			}
		}
		if !match {
			continue
		}
		if options.SelectSubscribed && !b.Subscribed {
			continue
		}
		if options.SelectSpecialUse && b.SpecialUse == "" {
			continue
		}
		data := &imap.ListData{Delim: '/', Mailbox: b.Name}
		if b.ID == -1 {
			data.Attrs = append(data.Attrs, imap.MailboxAttrNoSelect)
		}
		if lsub {
			// LSUB (RFC 3501 §6.3.9) has no LIST-EXTENDED attributes.
			if err := w.WriteList(data); err != nil {
				return err
			}
			continue
		}
		if hasChildren(b.Name) {
			data.Attrs = append(data.Attrs, imap.MailboxAttrHasChildren)
		} else {
			data.Attrs = append(data.Attrs, imap.MailboxAttrHasNoChildren)
		}
		if b.Subscribed && (options.ReturnSubscribed || options.SelectSubscribed) {
			data.Attrs = append(data.Attrs, imap.MailboxAttrSubscribed)
		}
		if b.SpecialUse != "" {
			data.Attrs = append(data.Attrs, imap.MailboxAttr(b.SpecialUse))
		}
		if options.ReturnStatus != nil && b.ID != -1 {
			st, err := s.statusOf(b, options.ReturnStatus)
			if err != nil {
				return err
			}
			data.Status = st
		}
		if err := w.WriteList(data); err != nil {
			return err
		}
	}
	return nil
}

func (s *session) Status(name string, options *imap.StatusOptions) (*imap.StatusData, error) {
	b, err := s.mailboxByName(name)
	if err != nil {
		return nil, err
	}
	st, err := s.statusOf(b, options)
	if st != nil {
		st.Mailbox = name
	}
	return st, err
}

// mailboxByName finds a mailbox by the name the client uses.
func (s *session) mailboxByName(name string) (store.Mailbox, error) {
	mb, err := s.resolveName(name)
	if err != nil {
		return store.Mailbox{}, err
	}
	b, err := s.srv.store.MailboxByName(s.ctx, mb.owner, mb.name)
	if err != nil && mb.shared != nil && store.CanonicalName(mb.name) == "INBOX" && errors.Is(err, store.ErrNoMailbox) {
		// The shared INBOX is made on first use.
		if cerr := s.srv.store.CreateMailbox(s.ctx, mb.owner, "INBOX", ""); cerr == nil || errors.Is(cerr, store.ErrExists) {
			b, err = s.srv.store.MailboxByName(s.ctx, mb.owner, mb.name)
		}
	}
	if err != nil {
		return b, s.storeErr("find mailbox", err)
	}
	return b, nil
}

func (s *session) statusOf(b store.Mailbox, options *imap.StatusOptions) (*imap.StatusData, error) {
	data := &imap.StatusData{Mailbox: b.Name, UIDNext: imap.UID(b.UIDNext), UIDValidity: b.UIDValidity, HighestModSeq: b.HighestModSeq}
	n := uint32(b.Messages)
	if options.NumMessages {
		data.NumMessages = &n
	}
	if options.NumRecent {
		// The messages no session has been told of yet.
		ru, err := s.srv.store.RecentUID(s.ctx, b.ID)
		if err != nil {
			return nil, s.storeErr("status", err)
		}
		n, err := s.srv.store.CountAbove(s.ctx, b.ID, ru)
		if err != nil {
			return nil, s.storeErr("status", err)
		}
		recent := uint32(n)
		data.NumRecent = &recent
	}
	if options.Size {
		size := b.Size
		data.Size = &size
	}
	if options.NumUnseen || options.NumDeleted {
		msgs, _, err := s.srv.store.Snapshot(s.ctx, b.ID)
		if err != nil {
			return nil, s.storeErr("status", err)
		}
		var unseen, deleted uint32
		for _, m := range msgs {
			if !hasFlag(m.Flags, `\Seen`) {
				unseen++
			}
			if hasFlag(m.Flags, `\Deleted`) {
				deleted++
			}
		}
		if options.NumUnseen {
			data.NumUnseen = &unseen
		}
		if options.NumDeleted {
			data.NumDeleted = &deleted
		}
	}
	if options.AppendLimit {
		l := s.srv.opts.AppendLimit
		data.AppendLimit = &l
	}
	return data, nil
}

func hasFlag(flags []string, f string) bool {
	for _, x := range flags {
		if strings.EqualFold(x, f) {
			return true
		}
	}
	return false
}

// Append stores a message in one of the user's mailboxes, within the
// quota, and returns its UID (UIDPLUS).
func (s *session) Append(name string, r imap.LiteralReader, options *imap.AppendOptions) (*imap.AppendData, error) {
	defer s.changing()()
	b, err := s.mailboxByName(name)
	if err != nil {
		// RFC 9051: [TRYCREATE] tells the client to CREATE and retry.
		var ie *imap.Error
		if errors.As(err, &ie) && ie.Code == imap.ResponseCodeNonExistent {
			return nil, imapErr(imap.ResponseCodeTryCreate, "No such mailbox; create it first")
		}
		return nil, err
	}
	if r.Size() > int64(s.srv.opts.AppendLimit) {
		io.Copy(io.Discard, r)
		return nil, imapErr(imap.ResponseCodeTooBig, "Message larger than the APPENDLIMIT of %d bytes", s.srv.opts.AppendLimit)
	}
	raw, err := io.ReadAll(io.LimitReader(r, int64(s.srv.opts.AppendLimit)+1))
	if err != nil {
		return nil, err
	}
	if quota, err := s.srv.dir.Quota(s.ctx, s.login); err == nil && quota > 0 && b.Owner == s.login {
		used, _, err := s.srv.store.Usage(s.ctx, s.login)
		if err == nil && used+int64(len(raw)) > quota {
			return nil, imapErr(imap.ResponseCodeOverQuota, "Mailbox full: this message would take you over your quota of %d MiB", quota>>20)
		}
	}
	d := store.Delivery{Recipients: []store.Recipient{{Owner: b.Owner, Mailbox: b.Name}}, Raw: raw}
	if options != nil {
		for _, f := range options.Flags {
			if f != flagRecent {
				d.Flags = append(d.Flags, string(f))
			}
		}
		d.Flags = store.SortFlags(d.Flags)
		d.InternalDate = options.Time
	}
	out, err := s.srv.store.Deliver(s.ctx, d)
	if err != nil {
		return nil, s.storeErr("append", err)
	}
	if !bytes.Contains(raw[:min(len(raw), 8192)], []byte("\n")) && len(raw) > 0 {
		s.srv.log.Debug("imap append of a one-line message", "user", s.login)
	}
	return &imap.AppendData{UID: imap.UID(out[0].UID), UIDValidity: b.UIDValidity}, nil
}

// Select opens a mailbox: the session's view starts from a snapshot.
func (s *session) Select(name string, options *imap.SelectOptions) (*imap.SelectData, error) {
	if s.sel != nil {
		s.sel.close()
		s.sel = nil
	}
	b, err := s.mailboxByName(name)
	if err != nil {
		return nil, err
	}
	v, err := s.openView(b, options != nil && options.ReadOnly)
	if err != nil {
		return nil, s.storeErr("select", err)
	}
	s.sel = v
	v.recentSent = uint32(len(v.recent))
	data := &imap.SelectData{
		Flags:          v.flagList(),
		PermanentFlags: append(v.flagList(), imap.FlagWildcard),
		NumMessages:    uint32(len(v.uids)),
		NumRecent:      uint32(len(v.recent)),
		UIDNext:        imap.UID(b.UIDNext),
		UIDValidity:    b.UIDValidity,
		HighestModSeq:  v.modseq,
	}
	if v.readOnly {
		data.PermanentFlags = nil
	}
	for i := range v.uids {
		if !hasFlag(v.flags[i].list(), `\Seen`) {
			data.FirstUnseenSeqNum = uint32(i + 1)
			break
		}
	}
	return data, nil
}

func (s *session) Unselect() error {
	if s.sel != nil {
		s.sel.close()
		s.sel = nil
	}
	return nil
}

func (s *session) Poll(w *imapserver.UpdateWriter, allowExpunge bool) error {
	if s.sel == nil {
		return nil
	}
	return s.sel.poll(s.ctx, s.srv.store, w, allowExpunge)
}

// Idle waits for changes of the selected mailbox and reports them as they
// come; the store wakes the session at once, and a timer bounds the wait.
func (s *session) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	s.idleMu.Lock()
	defer s.idleMu.Unlock()
	if s.sel == nil {
		<-stop
		return nil
	}
	tick := time.NewTicker(s.srv.opts.PollInterval)
	defer tick.Stop()
	for {
		if err := s.sel.poll(s.ctx, s.srv.store, w, true); err != nil {
			return err
		}
		select {
		case <-stop:
			return nil
		case <-s.ctx.Done():
			return nil
		case <-s.sel.wake:
			s.sel.dirty = true
		case <-tick.C:
			s.sel.dirty = true // the watch is the way; the timer, a safety net
		}
	}
}
