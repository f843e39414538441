package outbound

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	gomessage "github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-smtp"
)

const testMessage = "From: =?UTF-8?B?5byg5LiJ?= <zhangsan@example.org>\r\n" +
	"To: Bob <bob@remote.test>\r\n" +
	"Subject: =?UTF-8?B?5Lya6K6u6YCa55+l?=\r\n" +
	"Date: Mon, 02 Mar 2026 10:00:00 +0800\r\n" +
	"Message-ID: <test-1@example.org>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: 8bit\r\n" +
	"\r\n" +
	"明天上午九点开会。\r\n" +
	".a line that starts with a dot\r\n"

var (
	testKeyOnce sync.Once
	testKey     crypto.Signer
)

func dkimKey(t *testing.T) crypto.Signer {
	t.Helper()
	testKeyOnce.Do(func() {
		k, err := LoadOrCreateDKIMKey(t.TempDir() + "/dkim.pem")
		if err != nil {
			t.Fatal(err)
		}
		testKey = k
	})
	return testKey
}

func verifyDKIM(t *testing.T, data []byte, key crypto.Signer) {
	t.Helper()
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(data), &dkim.VerifyOptions{
		LookupTXT: func(name string) ([]string, error) {
			if name == "nanhu._domainkey.example.org" {
				return []string{DKIMRecord(key)}, nil
			}
			return nil, fmt.Errorf("no TXT for %s", name)
		},
	})
	if err != nil {
		t.Fatalf("dkim.Verify: %v", err)
	}
	if len(vs) != 1 {
		t.Fatalf("got %d DKIM signatures, want 1", len(vs))
	}
	if vs[0].Err != nil || vs[0].Domain != "example.org" {
		t.Fatalf("DKIM verification: domain %q, err %v", vs[0].Domain, vs[0].Err)
	}
}

func TestDeliver(t *testing.T) {
	key := dkimKey(t)
	tests := []struct {
		name    string
		remote  remoteOpts
		setup   func(o *Options, r *remote)
		wantTLS bool
	}{
		{
			name:   "smarthost plain",
			remote: remoteOpts{},
			setup:  func(o *Options, r *remote) { o.Smarthost = r.addr },
		},
		{
			name:    "smarthost STARTTLS",
			remote:  remoteOpts{tls: true},
			setup:   func(o *Options, r *remote) { o.Smarthost = r.addr },
			wantTLS: true,
		},
		{
			name:   "smarthost TLS none ignores STARTTLS",
			remote: remoteOpts{tls: true},
			setup: func(o *Options, r *remote) {
				o.Smarthost = r.addr
				o.SmarthostTLS = "none"
			},
		},
		{
			name:   "smarthost implicit TLS with AUTH PLAIN",
			remote: remoteOpts{implicitTLS: true},
			setup: func(o *Options, r *remote) {
				r.user, r.password = "relay", "s3cret"
				o.Smarthost = r.addr
				o.SmarthostTLS = "tls"
				o.SmarthostUser, o.SmarthostPassword = "relay", "s3cret"
			},
			wantTLS: true,
		},
		{
			name:   "smarthost STARTTLS with AUTH PLAIN",
			remote: remoteOpts{tls: true},
			setup: func(o *Options, r *remote) {
				r.user, r.password = "relay", "s3cret"
				o.Smarthost = r.addr
				o.SmarthostUser, o.SmarthostPassword = "relay", "s3cret"
			},
			wantTLS: true,
		},
		{
			name:   "MX records, lowest preference dead",
			remote: remoteOpts{},
			setup: func(o *Options, r *remote) {
				o.Port = r.port
				o.Resolver = fakeResolver{mx: map[string][]*net.MX{
					"remote.test": {{Host: "mx2.remote.test.", Pref: 20}, {Host: "nx.remote.test.", Pref: 10}},
				}}
			},
		},
		{
			name:   "implicit MX",
			remote: remoteOpts{},
			setup: func(o *Options, r *remote) {
				o.Port = r.port
				o.Resolver = fakeResolver{}
			},
		},
		{
			name:   "MX with self-signed certificate falls back to unverified TLS",
			remote: remoteOpts{tls: true},
			setup: func(o *Options, r *remote) {
				o.Port = r.port
				o.Resolver = fakeResolver{}
				o.TLSConfig = nil // verify against system roots: fails, then unverified
			},
			wantTLS: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := startRemote(t, tc.remote)
			o := testOptions(t)
			o.DKIM = []DKIMKey{{Domain: "example.org", Selector: "nanhu", Signer: key}}
			tc.setup(&o, r)
			q := runQueue(t, o)
			if _, err := q.Enqueue(context.Background(), "zhangsan@example.org", []string{"bob@remote.test", "carol@remote.test"}, []byte(testMessage)); err != nil {
				t.Fatal(err)
			}
			eventually(t, "delivery", func() bool { return len(r.messages()) == 1 && queueLen(t, q) == 0 })
			got := r.messages()[0]
			if got.from != "zhangsan@example.org" || strings.Join(got.to, ",") != "bob@remote.test,carol@remote.test" {
				t.Errorf("envelope %q -> %q", got.from, got.to)
			}
			if got.tls != tc.wantTLS {
				t.Errorf("TLS = %v, want %v", got.tls, tc.wantTLS)
			}
			if got.body != smtp.Body8BitMIME {
				t.Errorf("BODY = %q, want 8BITMIME", got.body)
			}
			if !bytes.HasPrefix(got.data, []byte("DKIM-Signature:")) {
				t.Errorf("message does not start with the DKIM signature:\n%s", got.data)
			}
			if !bytes.HasSuffix(got.data, []byte(testMessage)) {
				t.Errorf("message body changed in transit:\n%s", got.data)
			}
			verifyDKIM(t, got.data, key)
			if s := q.Stats(); s.Delivered != 2 || s.Bounced != 0 {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

// TestPartialRetry: a 451 for one recipient retries that one only.
func TestPartialRetry(t *testing.T) {
	r := startRemote(t, remoteOpts{})
	r.rcpt = func(to string, n int) error {
		if to == "carol@remote.test" && n <= 2 {
			return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "try again later")
		}
		return nil
	}
	o := testOptions(t)
	o.Smarthost = r.addr
	local := &localBox{}
	o.Local = local
	q := runQueue(t, o)
	if _, err := q.Enqueue(context.Background(), "zhangsan@example.org", []string{"bob@remote.test", "carol@remote.test"}, []byte(testMessage)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "both delivered", func() bool { return len(r.messages()) == 2 && queueLen(t, q) == 0 })
	msgs := r.messages()
	if strings.Join(msgs[0].to, ",") != "bob@remote.test" || strings.Join(msgs[1].to, ",") != "carol@remote.test" {
		t.Errorf("deliveries went to %q then %q", msgs[0].to, msgs[1].to)
	}
	if s := q.Stats(); s != (Stats{Delivered: 2, Deferred: 2}) {
		t.Errorf("stats %+v", s)
	}
	if n := len(local.all()); n != 0 {
		t.Errorf("%d DSNs for a message that was delivered", n)
	}
}

// TestBounce: permanent failures give one failure DSN to the sender.
func TestBounce(t *testing.T) {
	tests := []struct {
		name      string
		remote    remoteOpts
		rcpt      func(to string, n int) error
		data      func() error
		rcpts     []string
		mx        map[string][]*net.MX
		raw       string
		failed    []string // recipients in the DSN
		status    string   // their Status
		diag      string   // in their Diagnostic-Code
		delivered int      // messages the remote accepted
	}{
		{
			name: "550 at RCPT for one of two",
			rcpt: func(to string, _ int) error {
				if to == "nobody@remote.test" {
					return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no such user")
				}
				return nil
			},
			rcpts:     []string{"bob@remote.test", "nobody@remote.test"},
			failed:    []string{"nobody@remote.test"},
			status:    "5.1.1",
			diag:      "smtp; 550 5.1.1 no such user",
			delivered: 1,
		},
		{
			name:   "554 after DATA",
			data:   func() error { return smtpErr(554, smtp.EnhancedCode{5, 7, 1}, "spam detected") },
			rcpts:  []string{"bob@remote.test", "carol@remote.test"},
			failed: []string{"bob@remote.test", "carol@remote.test"},
			status: "5.7.1",
			diag:   "smtp; 554 5.7.1 spam detected",
		},
		{
			name:   "null MX",
			mx:     map[string][]*net.MX{"remote.test": {{Host: ".", Pref: 0}}},
			rcpts:  []string{"bob@remote.test"},
			failed: []string{"bob@remote.test"},
			status: "5.1.10",
			diag:   "null MX",
		},
		{
			name:   "UTF-8 address to a peer without SMTPUTF8",
			rcpts:  []string{"李四@remote.test"},
			failed: []string{"李四@remote.test"},
			status: "5.6.7",
			diag:   "SMTPUTF8",
		},
		{
			name:   "UTF-8 header field to a peer without SMTPUTF8",
			raw:    "From: 张三 <zhangsan@example.org>\r\nMessage-ID: <test-1@example.org>\r\n\r\nhi\r\n",
			rcpts:  []string{"bob@remote.test"},
			failed: []string{"bob@remote.test"},
			status: "5.6.7",
			diag:   "SMTPUTF8",
		},
		{
			name:      "UTF-8 address to a peer with SMTPUTF8 is delivered",
			remote:    remoteOpts{smtputf8: true},
			rcpts:     []string{"李四@remote.test"},
			delivered: 1,
		},
		{
			name:   "domain without MX or address",
			mx:     map[string][]*net.MX{},
			rcpts:  []string{"bob@nx.remote.test"},
			failed: []string{"bob@nx.remote.test"},
			status: "5.1.2",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := startRemote(t, tc.remote)
			r.rcpt, r.data = tc.rcpt, tc.data
			o := testOptions(t)
			o.Port = r.port
			o.Resolver = fakeResolver{mx: tc.mx}
			local := &localBox{}
			o.Local = local
			q := runQueue(t, o)
			raw := testMessage
			if tc.raw != "" {
				raw = tc.raw
			}
			if _, err := q.Enqueue(context.Background(), "zhangsan@example.org", tc.rcpts, []byte(raw)); err != nil {
				t.Fatal(err)
			}
			eventually(t, "queue to empty", func() bool { return queueLen(t, q) == 0 })
			if n := len(r.messages()); n != tc.delivered {
				t.Errorf("remote accepted %d messages, want %d", n, tc.delivered)
			}
			if tc.remote.smtputf8 && (len(r.messages()) != 1 || !r.messages()[0].utf8) {
				t.Error("message not sent with SMTPUTF8")
			}
			if tc.failed == nil {
				time.Sleep(50 * time.Millisecond)
				if n := len(local.all()); n != 0 {
					t.Errorf("%d DSNs, want none", n)
				}
				return
			}
			eventually(t, "the DSN", func() bool { return len(local.all()) == 1 })
			dsnMsg := local.all()[0]
			if dsnMsg.to != "zhangsan@example.org" {
				t.Errorf("DSN went to %q", dsnMsg.to)
			}
			rep := parseDSN(t, dsnMsg.raw)
			if rep.msgFields.Get("Reporting-MTA") != "dns; mail.nanhu.test" {
				t.Errorf("Reporting-MTA %q", rep.msgFields.Get("Reporting-MTA"))
			}
			if len(rep.rcpts) != len(tc.failed) {
				t.Fatalf("DSN reports %d recipients, want %d", len(rep.rcpts), len(tc.failed))
			}
			for i, f := range rep.rcpts {
				wantType := "rfc822"
				if !isASCII(tc.failed[i]) {
					wantType = "utf-8"
				}
				if got := f.Get("Final-Recipient"); got != wantType+"; "+tc.failed[i] {
					t.Errorf("Final-Recipient %q, want %s", got, tc.failed[i])
				}
				if f.Get("Action") != "failed" || f.Get("Status") != tc.status {
					t.Errorf("Action %q Status %q, want failed %s", f.Get("Action"), f.Get("Status"), tc.status)
				}
				if !strings.Contains(f.Get("Diagnostic-Code"), tc.diag) {
					t.Errorf("Diagnostic-Code %q lacks %q", f.Get("Diagnostic-Code"), tc.diag)
				}
				if f.Get("Last-Attempt-Date") == "" {
					t.Error("no Last-Attempt-Date")
				}
			}
			if !strings.Contains(rep.human, "无法投递") || !strings.Contains(rep.human, "could not be delivered") {
				t.Errorf("human part lacks Chinese or English text:\n%s", rep.human)
			}
			if !strings.Contains(rep.headers, "Message-ID: <test-1@example.org>") {
				t.Errorf("original header not attached:\n%s", rep.headers)
			}
			if s := q.Stats(); s.Bounced != uint64(len(tc.failed)) {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

// TestDelayThenExpire: a remote that only ever says 4xx gives one delay
// DSN, then a failure DSN when the message is MaxAge old.
func TestDelayThenExpire(t *testing.T) {
	r := startRemote(t, remoteOpts{})
	r.rcpt = func(string, int) error { return smtpErr(421, smtp.EnhancedCode{4, 7, 0}, "greylisted") }
	o := testOptions(t)
	o.Smarthost = r.addr
	o.Schedule = []time.Duration{0, 30 * time.Millisecond}
	o.DelayNotice = 150 * time.Millisecond
	o.MaxAge = 600 * time.Millisecond
	local := &localBox{}
	o.Local = local
	q := runQueue(t, o)
	if _, err := q.Enqueue(context.Background(), "zhangsan@example.org", []string{"bob@remote.test"}, []byte(testMessage)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "two DSNs", func() bool { return len(local.all()) == 2 })
	if n := queueLen(t, q); n != 0 {
		t.Errorf("Len = %d after expiry", n)
	}
	time.Sleep(100 * time.Millisecond)
	msgs := local.all()
	if len(msgs) != 2 {
		t.Fatalf("%d DSNs, want 2", len(msgs))
	}
	delay, fail := parseDSN(t, msgs[0].raw), parseDSN(t, msgs[1].raw)
	if a := delay.rcpts[0].Get("Action"); a != "delayed" {
		t.Errorf("first DSN Action %q, want delayed", a)
	}
	if delay.rcpts[0].Get("Will-Retry-Until") == "" || !strings.HasPrefix(delay.rcpts[0].Get("Status"), "4.") {
		t.Errorf("delay DSN fields: %v", delay.rcpts[0])
	}
	if !strings.Contains(delay.rcpts[0].Get("Diagnostic-Code"), "greylisted") {
		t.Errorf("delay DSN Diagnostic-Code %q", delay.rcpts[0].Get("Diagnostic-Code"))
	}
	if a, s := fail.rcpts[0].Get("Action"), fail.rcpts[0].Get("Status"); a != "failed" || s != "4.4.7" {
		t.Errorf("second DSN Action %q Status %q, want failed 4.4.7", a, s)
	}
	if s := q.Stats(); s.Bounced != 1 || s.Deferred < 2 || s.Delivered != 0 {
		t.Errorf("stats %+v", s)
	}
}

// TestReopen: queued mail survives Close and New, and is then delivered.
func TestReopen(t *testing.T) {
	r := startRemote(t, remoteOpts{})
	o := testOptions(t)
	o.Smarthost = r.addr
	q, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Enqueue(context.Background(), "zhangsan@example.org", []string{"bob@remote.test", "carol@other.test"}, []byte(testMessage)); err != nil {
		t.Fatal(err)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Enqueue(context.Background(), "a@example.org", []string{"b@remote.test"}, []byte(testMessage)); !errors.Is(err, ErrClosed) {
		t.Errorf("Enqueue after Close: %v", err)
	}

	q2 := runQueue(t, o)
	eventually(t, "delivery after reopen", func() bool { return len(r.messages()) == 2 && queueLen(t, q2) == 0 })
}

// TestShutdownMidDelivery: a delivery cut off by Run's return stays
// queued and goes out after a restart.
func TestShutdownMidDelivery(t *testing.T) {
	r := startRemote(t, remoteOpts{})
	r.block = make(chan struct{})
	o := testOptions(t)
	o.Smarthost = r.addr
	q, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	if _, err := q.Enqueue(ctx, "zhangsan@example.org", []string{"bob@remote.test"}, []byte(testMessage)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the RCPT", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.rcptSeen["bob@remote.test"] > 0
	})
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	if n := queueLen(t, q); n != 1 {
		t.Fatalf("Len = %d after shutdown, want 1", n)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	r.unblock()
	q2 := runQueue(t, o)
	eventually(t, "delivery after restart", func() bool { return len(r.messages()) == 1 && queueLen(t, q2) == 0 })
}

// TestNullSender: a bounce of a message from <> makes no DSN.
func TestNullSender(t *testing.T) {
	r := startRemote(t, remoteOpts{})
	r.rcpt = func(string, int) error { return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no such user") }
	o := testOptions(t)
	o.Smarthost = r.addr
	o.DelayNotice = time.Millisecond
	local := &localBox{}
	o.Local = local
	q := runQueue(t, o)
	if _, err := q.Enqueue(context.Background(), "", []string{"nobody@remote.test"}, []byte(testMessage)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the bounce", func() bool { return q.Stats().Bounced == 1 && queueLen(t, q) == 0 })
	time.Sleep(50 * time.Millisecond)
	if n := len(local.all()); n != 0 {
		t.Errorf("%d DSNs to the null sender", n)
	}
}

// TestNoticeRetry: a DSN the local store refuses once is delivered later.
func TestNoticeRetry(t *testing.T) {
	r := startRemote(t, remoteOpts{})
	r.rcpt = func(string, int) error { return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no such user") }
	o := testOptions(t)
	o.Smarthost = r.addr
	local := &localBox{fail: errors.New("store busy")}
	o.Local = local
	q := runQueue(t, o)
	if _, err := q.Enqueue(context.Background(), "zhangsan@example.org", []string{"nobody@remote.test"}, []byte(testMessage)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the DSN", func() bool { return len(local.all()) == 1 })
}

func TestKick(t *testing.T) {
	r := startRemote(t, remoteOpts{})
	r.rcpt = func(_ string, n int) error {
		if n == 1 {
			return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "later")
		}
		return nil
	}
	o := testOptions(t)
	o.Smarthost = r.addr
	o.Schedule = []time.Duration{0, time.Hour}
	q := runQueue(t, o)
	if _, err := q.Enqueue(context.Background(), "zhangsan@example.org", []string{"bob@remote.test"}, []byte(testMessage)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the deferral", func() bool { return q.Stats().Deferred == 1 })
	q.Kick()
	eventually(t, "delivery after Kick", func() bool { return len(r.messages()) == 1 && queueLen(t, q) == 0 })
}

func TestEnqueueRejects(t *testing.T) {
	q, err := New(context.Background(), testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	tests := []struct {
		name  string
		from  string
		rcpts []string
	}{
		{"no recipients", "a@example.org", nil},
		{"recipient without domain", "a@example.org", []string{"bob"}},
		{"recipient with CRLF", "a@example.org", []string{"bob@x.test\r\nRCPT TO:<c@y.test>"}},
		{"sender with angle bracket", "a>@example.org", []string{"bob@x.test"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := q.Enqueue(context.Background(), tc.from, tc.rcpts, []byte(testMessage)); err == nil {
				t.Error("accepted")
			}
		})
	}
	if n := queueLen(t, q); n != 0 {
		t.Errorf("Len = %d", n)
	}
}

// report is a parsed DSN.
type report struct {
	human     string
	msgFields textproto.Header
	rcpts     []textproto.Header
	headers   string
}

func parseDSN(t *testing.T, raw []byte) report {
	t.Helper()
	e, err := gomessage.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("read DSN: %v", err)
	}
	mt, params, _ := e.Header.ContentType()
	if mt != "multipart/report" || params["report-type"] != "delivery-status" {
		t.Fatalf("DSN Content-Type %q %v", mt, params)
	}
	if s, err := e.Header.Text("Subject"); err != nil || !strings.Contains(s, "/") {
		t.Errorf("DSN Subject %q, %v", s, err)
	}
	mr := e.MultipartReader()
	var rep report
	for i := 0; ; i++ {
		p, err := mr.NextPart()
		if err == io.EOF {
			if i != 3 {
				t.Fatalf("DSN has %d parts, want 3", i)
			}
			return rep
		}
		if err != nil {
			t.Fatalf("DSN part %d: %v", i, err)
		}
		body, err := io.ReadAll(p.Body)
		if err != nil {
			t.Fatalf("DSN part %d: %v", i, err)
		}
		pt, _, _ := p.Header.ContentType()
		switch i {
		case 0:
			if pt != "text/plain" {
				t.Errorf("part 1 is %s", pt)
			}
			rep.human = string(body)
		case 1:
			if pt != "message/delivery-status" && pt != "message/global-delivery-status" {
				t.Errorf("part 2 is %s", pt)
			}
			br := bufio.NewReader(bytes.NewReader(body))
			for first := true; ; first = false {
				h, err := textproto.ReadHeader(br)
				if err != nil {
					t.Fatalf("delivery-status fields: %v", err)
				}
				if first {
					rep.msgFields = h
				} else if h.Len() > 0 {
					rep.rcpts = append(rep.rcpts, h)
				}
				if _, err := br.Peek(1); err != nil {
					break
				}
			}
		case 2:
			if pt != "text/rfc822-headers" && pt != "message/global-headers" {
				t.Errorf("part 3 is %s", pt)
			}
			rep.headers = string(body)
		}
	}
}

// fakeClock is a settable Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestDefaultTimingsOnFakeClock walks the default schedule through days
// on a fake clock: the delay DSN after 4 hours, the failure after 5 days.
func TestDefaultTimingsOnFakeClock(t *testing.T) {
	r := startRemote(t, remoteOpts{})
	r.rcpt = func(string, int) error { return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "disk full") }
	clock := &fakeClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	start := clock.now()
	o := testOptions(t)
	o.Smarthost = r.addr
	o.Schedule, o.DelayNotice, o.MaxAge = nil, 0, 0 // the defaults
	o.Now = clock.now
	local := &localBox{}
	o.Local = local
	q := runQueue(t, o)
	if _, err := q.Enqueue(context.Background(), "zhangsan@example.org", []string{"bob@remote.test"}, []byte(testMessage)); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		advance  time.Duration
		attempts int    // RCPTs the remote has seen by then
		dsns     int    // DSNs by then
		action   string // of the newest DSN
	}{
		{0, 1, 0, ""},
		{3 * time.Hour, 2, 0, ""},
		{2 * time.Hour, 3, 1, "delayed"}, // 5 h: past the 4 h notice
		{24 * time.Hour, 4, 1, "delayed"},
		{4 * 24 * time.Hour, 5, 2, "failed"}, // past 5 days
	}
	for i, s := range steps {
		clock.advance(s.advance)
		if s.advance > 0 {
			q.Kick()
		}
		eventually(t, fmt.Sprintf("step %d", i), func() bool {
			r.mu.Lock()
			n := r.rcptSeen["bob@remote.test"]
			r.mu.Unlock()
			// The attempt must also be finished (its outcome recorded)
			// before the clock moves on, or the next Kick could come
			// before the attempt sets its next time.
			st := q.Stats()
			return n == s.attempts && len(local.all()) == s.dsns && st.Deferred+st.Bounced == uint64(s.attempts)
		})
		if s.dsns == 0 {
			continue
		}
		rep := parseDSN(t, local.all()[s.dsns-1].raw)
		if a := rep.rcpts[0].Get("Action"); a != s.action {
			t.Errorf("step %d: Action %q, want %q", i, a, s.action)
		}
		if s.action == "delayed" {
			if got, want := rep.rcpts[0].Get("Will-Retry-Until"), start.Add(5*24*time.Hour).Format(dsnDate); got != want {
				t.Errorf("Will-Retry-Until %q, want %q", got, want)
			}
		}
	}
	if n := queueLen(t, q); n != 0 {
		t.Errorf("Len = %d after expiry", n)
	}
}
