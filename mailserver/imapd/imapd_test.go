package imapd

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"nanhu/internal/ratelimit"
	"nanhu/mailserver/accounts"
	"nanhu/mailserver/store"
)

type fakeDir struct{ quota map[string]int64 }

func (d fakeDir) Authenticate(_ context.Context, u, p string) (string, error) {
	u = strings.TrimSuffix(strings.ToLower(u), "@nanhu.local")
	if (u == "lina" || u == "zhangwei") && p == "secret-2004" {
		return u, nil
	}
	if u == "old" && p == "secret-2004" {
		return "", accounts.ErrDisabled
	}
	return "", accounts.ErrBadCredentials
}

func (d fakeDir) Quota(_ context.Context, login string) (int64, error) { return d.quota[login], nil }

// IMAP asks nothing of addresses; the fake knows none.
func (d fakeDir) Resolve(context.Context, string) ([]string, error) {
	return nil, accounts.ErrUnknownRecipient
}
func (d fakeDir) SenderAddresses(context.Context, string) ([]string, error) { return nil, nil }
func (d fakeDir) IsLocalDomain(_ context.Context, domain string) bool       { return domain == "nanhu.local" }

func (d fakeDir) SharedMailboxes(_ context.Context, login string) ([]accounts.Shared, error) {
	if login == "lina" {
		return []accounts.Shared{{Owner: "#bgs", Name: "区政府办公室"}}, nil
	}
	return nil, nil
}

type env struct {
	st        *store.Store
	srv       *Server
	addr, tls string
}

func selfSigned(t testing.TB) *tls.Config {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

func newEnv(t testing.TB, quota map[string]int64, lim *ratelimit.Limiter) *env {
	t.Helper()
	return newEnvLog(t, quota, lim, slog.New(slog.DiscardHandler))
}

// newEnvLog is newEnv with the server logging to log.
func newEnvLog(t testing.TB, quota map[string]int64, lim *ratelimit.Limiter, log *slog.Logger) *env {
	t.Helper()
	st, err := store.Open(context.Background(), store.DefaultOptions(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	srv := New(Options{TLSConfig: selfSigned(t), Logger: log, Limits: lim, AllowPlainLoopback: true,
		PollInterval: 200 * time.Millisecond}, fakeDir{quota: quota}, st)
	e := &env{st: st, srv: srv}
	for _, implicit := range []bool{false, true} {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if implicit {
			e.tls = l.Addr().String()
		} else {
			e.addr = l.Addr().String()
		}
		go srv.Serve(l, implicit)
	}
	t.Cleanup(func() {
		srv.Shutdown(context.Background())
		st.Close()
	})
	return e
}

func (e *env) deliver(t testing.TB, owner string, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		raw := fmt.Sprintf("From: a@example.org\r\nSubject: 第%d号通知\r\nMessage-ID: <%d.%d@t>\r\n\r\n内容 %d\r\n", i, i, time.Now().UnixNano(), i)
		if _, err := e.st.Deliver(context.Background(), store.Delivery{Recipients: []store.Recipient{{Owner: owner}}, Raw: []byte(raw)}); err != nil {
			t.Fatal(err)
		}
	}
}

func (e *env) login(t testing.TB, user string, h *imapclient.UnilateralDataHandler) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(e.addr, &imapclient.Options{UnilateralDataHandler: h})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(user, "secret-2004").Wait(); err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestAuthorization(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.deliver(t, "zhangwei", 3)
	c := e.login(t, "lina", nil)
	for _, name := range []string{"zhangwei/INBOX", "../zhangwei/INBOX", "/zhangwei/INBOX", "zhangwei", "INBOX/../../zhangwei"} {
		if _, err := c.Select(name, nil).Wait(); err == nil {
			t.Errorf("lina selected %q", name)
		}
		if _, err := c.Status(name, &imap.StatusOptions{NumMessages: true}).Wait(); err == nil {
			t.Errorf("lina got the STATUS of %q", name)
		}
	}
	data, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if data.NumMessages != 0 {
		t.Errorf("lina's INBOX shows %d messages of someone else", data.NumMessages)
	}
	// zhangwei's UIDs 1..3 are not reachable from lina's session.
	msgs, err := c.Fetch(imap.UIDSetNum(1, 2, 3), &imap.FetchOptions{UID: true, Envelope: true}).Collect()
	if err != nil || len(msgs) != 0 {
		t.Errorf("UID FETCH of another user's UIDs: %d messages, %v", len(msgs), err)
	}
	if err := c.Create("zhangwei/INBOX/x", nil).Wait(); err != nil {
		t.Fatal(err) // allowed: it is lina's own mailbox named so
	}
	boxes, _ := e.st.Mailboxes(context.Background(), "zhangwei")
	for _, b := range boxes {
		if strings.Contains(b.Name, "x") {
			t.Errorf("lina's CREATE reached zhangwei's mailboxes: %s", b.Name)
		}
	}
}

func TestLoginTLSAndLockout(t *testing.T) {
	lim := ratelimit.New(ratelimit.Options{AuthFailuresPerUser: 3, AuthFailuresPerIP: 100, Exempt: []netip.Prefix{}}, nil)
	e := newEnv(t, nil, lim)
	// Implicit TLS works.
	c, err := imapclient.DialTLS(e.tls, &imapclient.Options{TLSConfig: &tls.Config{InsecureSkipVerify: true}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login("zhangwei@nanhu.local", "secret-2004").Wait(); err != nil {
		t.Fatalf("login over implicit TLS: %v", err)
	}
	c.Close()
	for i := 0; i < 3; i++ {
		c, _ := imapclient.DialInsecure(e.addr, nil)
		if err := c.Login("lina", "wrong").Wait(); err == nil {
			t.Fatal("wrong password accepted")
		}
		c.Close()
	}
	c, _ = imapclient.DialInsecure(e.addr, nil)
	defer c.Close()
	err = c.Login("lina", "secret-2004").Wait()
	if err == nil || !strings.Contains(err.Error(), "Too many failed logins") {
		t.Errorf("login during lockout: %v", err)
	}
	c2, _ := imapclient.DialInsecure(e.addr, nil)
	defer c2.Close()
	if err := c2.Login("old", "secret-2004").Wait(); err == nil {
		t.Error("disabled account logged in")
	}
}

func TestAppendQuotaAndUIDPlus(t *testing.T) {
	e := newEnv(t, map[string]int64{"lina": 400}, nil)
	c := e.login(t, "lina", nil)
	msg := "Subject: 草稿\r\n\r\n" + strings.Repeat("字", 20) + "\r\n"
	cmd := c.Append("Drafts", int64(len(msg)), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagDraft, "$Urgent"}})
	cmd.Write([]byte(msg))
	cmd.Close()
	data, err := cmd.Wait()
	if err != nil {
		t.Fatal(err)
	}
	box, _ := e.st.MailboxByName(context.Background(), "lina", "Drafts")
	if data.UID != 1 || data.UIDValidity != box.UIDValidity {
		t.Errorf("APPENDUID %d %d, want 1 %d", data.UIDValidity, data.UID, box.UIDValidity)
	}
	big := "Subject: big\r\n\r\n" + strings.Repeat("x", 500) + "\r\n"
	cmd = c.Append("INBOX", int64(len(big)), nil)
	cmd.Write([]byte(big))
	cmd.Close()
	_, err = cmd.Wait()
	var ie *imap.Error
	if !errors.As(err, &ie) || ie.Code != imap.ResponseCodeOverQuota {
		t.Errorf("APPEND over quota: %v, want NO [OVERQUOTA]", err)
	}
	cmd = c.Append("Nowhere", int64(len(msg)), nil)
	cmd.Write([]byte(msg))
	cmd.Close()
	if _, err := cmd.Wait(); !errors.As(err, &ie) || ie.Code != imap.ResponseCodeTryCreate {
		t.Errorf("APPEND to a missing mailbox: %v, want NO [TRYCREATE]", err)
	}
}

// TestConcurrentSessions has two sessions of one user change flags and
// expunge at random while a third IDLEs and a delivery arrives. The idle
// session's view, rebuilt only from the untagged responses on its wire,
// must agree at every FETCH (the UID the server names is the one at that
// sequence number) and match the store at the end.
func TestConcurrentSessions(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.deliver(t, "lina", 60)

	var wire syncBuffer
	w, err := imapclient.DialInsecure(e.addr, &imapclient.Options{DebugWriter: &wire})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Login("lina", "secret-2004").Wait(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if t.Failed() {
			t.Logf("watcher's conversation:\n%s", wire.String())
		}
	}()
	if _, err := w.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	idle, err := w.Idle()
	if err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	for worker := 0; worker < 2; worker++ {
		c := e.login(t, "lina", nil)
		if _, err := c.Select("INBOX", nil).Wait(); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func(c *imapclient.Client, seed uint64) {
			defer wg.Done()
			r := mrand.New(mrand.NewPCG(seed, 1))
			for i := 0; i < 40; i++ {
				uid := imap.UID(1 + r.IntN(60))
				set := imap.UIDSetNum(uid)
				var err error
				switch r.IntN(4) {
				case 0:
					err = c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagSeen, "$Reviewed"}}, nil).Close()
				case 1:
					err = c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsDel, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close()
				case 2:
					err = c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}, Silent: true}, nil).Close()
					if err == nil {
						_, err = c.UIDExpunge(set).Collect()
					}
				case 3:
					err = c.Noop().Wait()
				}
				if err != nil {
					t.Errorf("worker command: %v", err)
					return
				}
			}
		}(c, uint64(worker+1))
	}
	wg.Wait()
	e.deliver(t, "lina", 1)
	// IDLE reports the new message by itself (how fast is for the
	// benchmark; here it must only come).
	now, _ := e.st.Messages(context.Background(), "lina", "INBOX")
	want := fmt.Sprintf("* %d EXISTS\r\n", len(now))
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(wire.String()[strings.Index(wire.String(), "IDLE"):], want) {
		if time.Now().After(deadline) {
			t.Fatalf("IDLE never reported the new message (%q)", want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	idle.Close()
	idle.Wait()
	w.Noop().Wait()

	// Replay the wire from SELECT on.
	text := wire.String()
	text = text[strings.Index(text, "60 EXISTS"):]
	var uids []uint32
	for u := uint32(1); u <= 60; u++ {
		uids = append(uids, u)
	}
	flags := map[uint32]string{}
	exists := 60
	for _, line := range strings.Split(text, "\r\n") {
		var n, uid uint32
		switch {
		case strings.HasSuffix(line, " EXPUNGE"):
			fmt.Sscanf(line, "* %d EXPUNGE", &n)
			if n == 0 || int(n) > len(uids) {
				t.Fatalf("EXPUNGE %d out of range (%d messages)", n, len(uids))
			}
			uids = append(uids[:n-1], uids[n:]...)
			exists--
		case strings.HasSuffix(line, " EXISTS"):
			fmt.Sscanf(line, "* %d EXISTS", &exists)
		case strings.Contains(line, " FETCH (UID "):
			fmt.Sscanf(line, "* %d FETCH (UID %d", &n, &uid)
			if int(n) <= len(uids) && uids[n-1] != uid {
				t.Fatalf("%q names UID %d at sequence %d, where the client's view has UID %d", line, uid, n, uids[n-1])
			}
			if i := strings.Index(line, "FLAGS ("); i >= 0 {
				flags[uid] = strings.TrimSuffix(line[i+len("FLAGS ("):], "))")
			}
		}
	}
	msgs, err := e.st.Messages(context.Background(), "lina", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("after the run: %d messages (60 delivered, %d expunged, 1 new), %d with keyword $Reviewed", len(msgs), 61-len(msgs), countFlag(msgs, "$Reviewed"))
	if len(msgs) >= 61 || countFlag(msgs, "$Reviewed") == 0 {
		t.Fatalf("the workers changed nothing; the test did not run")
	}
	if exists != len(msgs) {
		t.Fatalf("the watcher's wire says %d messages, the store has %d", exists, len(msgs))
	}
	var storeUIDs []uint32
	for _, m := range msgs[:len(msgs)-1] {
		storeUIDs = append(storeUIDs, m.UID)
		want := store.SortFlags(m.Flags)
		var got []string
		for _, f := range strings.Fields(flags[m.UID]) {
			if f != `\Recent` { // the session's own, not the store's
				got = append(got, f)
			}
		}
		got = store.SortFlags(got)
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("UID %d: the wire last said flags %v, the store has %v", m.UID, got, want)
		}
	}
	if fmt.Sprint(uids) != fmt.Sprint(storeUIDs) {
		t.Fatalf("the watcher's UIDs differ from the store's:\n%v\n%v", uids, storeUIDs)
	}
}

func countFlag(msgs []store.Message, f string) int {
	n := 0
	for _, m := range msgs {
		for _, x := range m.Flags {
			if x == f {
				n++
			}
		}
	}
	return n
}

func TestSharedMailbox(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.deliver(t, "#bgs", 2)
	c := e.login(t, "lina", nil)
	ns, err := c.Namespace().Wait()
	if err != nil || len(ns.Shared) != 1 || ns.Shared[0].Prefix != encodeMUTF7(SharedPrefix) {
		t.Fatalf("NAMESPACE shared = %+v, %v", ns, err)
	}
	boxes, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range boxes {
		names = append(names, b.Mailbox)
	}
	if !strings.Contains(strings.Join(names, "|"), "|公共邮箱/区政府办公室") {
		t.Fatalf("LIST lacks the shared mailbox: %v", names)
	}
	data, err := c.Select("公共邮箱/区政府办公室", nil).Wait()
	if err != nil || data.NumMessages != 2 {
		t.Fatalf("SELECT shared: %v, %v", data, err)
	}
	if err := c.Create("公共邮箱/区政府办公室/已办", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Move(imap.SeqSetNum(1), "公共邮箱/区政府办公室/已办").Wait(); err != nil {
		t.Fatal(err)
	}
	if msgs, _ := e.st.Messages(context.Background(), "#bgs", "已办"); len(msgs) != 1 {
		t.Errorf("the shared folder holds %d messages, want 1", len(msgs))
	}
	// A copy into one's own mailbox works too.
	if _, err := c.Copy(imap.SeqSetNum(1), "Archive").Wait(); err != nil {
		t.Fatal(err)
	}
	// Not a member: nothing of it is reachable.
	z := e.login(t, "zhangwei", nil)
	for _, name := range []string{"公共邮箱/区政府办公室", "公共邮箱/区政府办公室/已办", "#bgs/INBOX", "公共邮箱"} {
		if _, err := z.Select(name, nil).Wait(); err == nil {
			t.Errorf("zhangwei selected %q", name)
		}
	}
	zl, _ := z.List("", "*", nil).Collect()
	for _, b := range zl {
		if strings.HasPrefix(b.Mailbox, "公共邮箱") {
			t.Errorf("zhangwei sees %q", b.Mailbox)
		}
	}
	if err := z.Create("公共邮箱/区政府办公室/x", nil).Wait(); err == nil {
		t.Error("zhangwei created a folder in a shared mailbox he is not a member of")
	}
}

func TestEncodeMUTF7(t *testing.T) {
	for in, want := range map[string]string{
		"公共邮箱/":    "&UWxRcZCue7E-/",
		"INBOX":    "INBOX",
		"a&b":      "a&-b",
		"收件箱 2026": "&ZTZO9nux- 2026",
	} {
		if got := encodeMUTF7(in); got != want {
			t.Errorf("encodeMUTF7(%q) = %q, want %q", in, got, want)
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
