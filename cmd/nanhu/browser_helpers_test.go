package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"nanhu/mailserver/mailauth"
	"nanhu/oa/org"
)

// startDemoServer runs `nanhu serve --demo` in-process on loopback ports
// chosen by the kernel: the Xiucheng demo organisation, a simulated modem.
func startDemoServer(t testing.TB, mutate ...func(*Config)) *testServer {
	t.Helper()
	cfg := defaultConfig()
	cfg.Data = t.TempDir()
	cfg.Demo = true
	cfg.Listen = ListenConfig{SMTP: "127.0.0.1:0", Submission: "127.0.0.1:0", Submissions: "127.0.0.1:0", IMAP: "127.0.0.1:0", IMAPS: "127.0.0.1:0", HTTP: "127.0.0.1:0", HTTPS: "127.0.0.1:0"}
	cfg.Portal.Listen, cfg.Portal.ListenTLS = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Queue.NSQDTCP, cfg.Queue.NSQDHTTP = "127.0.0.1:0", "127.0.0.1:0"
	cfg.resolver = mailauth.Static{} // DNS answers nothing, as offline
	for _, m := range mutate {
		m(&cfg)
	}
	if err := cfg.check(); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	s, err := start(context.Background(), cfg, logger, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.shutdown() })
	return &testServer{server: s, cfg: cfg, data: cfg.Data}
}

// screenshotDir is where the browser tests save a picture of every page:
// $NANHU_SCREENSHOTS when set (to keep them), else the test's temporary
// folder.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("NANHU_SCREENSHOTS"); d != "" {
		dir := filepath.Join(d, t.Name())
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.TempDir()
}

// browserOpts are the flags of Debian's chromium on a machine without
// internet, as root.
func browserOpts(t *testing.T) []chromedp.ExecAllocatorOption {
	exe := requireTool(t, "chromium")
	return append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 768),
	)
}

// browser is one person's browser: its own cookies, its own tab.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	dir  string
}

// newBrowsers starts one chromium for the test; each person then gets
// their own isolated browser context from person().
func newBrowsers(t *testing.T) context.Context {
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), browserOpts(t)...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(alloc)
	t.Cleanup(cancel2)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// person opens a fresh browser context (no cookies) on the same chromium.
func person(t *testing.T, root context.Context, base, dir string) *browser {
	ctx, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, ctx: ctx, base: base, dir: dir}
}

// do runs steps with a time limit, failing the test on an error.
func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		b.t.Fatalf("browser at %s: %v", loc, err)
	}
}

// visit opens a path of the server.
func (b *browser) visit(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base + path))
}

// text is the visible text of the element sel. A query that races with
// the browser replacing the document (its node ids then vanish: "No node
// with given id found") is asked again on the new document.
func (b *browser) text(sel string) string {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithDeadline(b.ctx, deadline)
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		cancel()
		if err == nil {
			return s
		}
		if !staleNode(err) || time.Now().After(deadline) {
			b.t.Fatalf("text of %s: %v", sel, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// staleNode tells the errors of a DOM query whose document was replaced
// while it ran: asking again on the new document answers it.
func staleNode(err error) bool {
	s := err.Error()
	return strings.Contains(s, "No node with given id") || strings.Contains(s, "Could not find node with given id") ||
		strings.Contains(s, "Cannot find context with specified id") || strings.Contains(s, "Execution context was destroyed")
}

// body is the page's whole visible text.
func (b *browser) body() string { b.t.Helper(); return b.text("body") }

// location is the page's address.
func (b *browser) location() string {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return loc
}

// eval runs JavaScript in the page.
func eval[T any](b *browser, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %.80s: %v", js, err)
	}
	return v
}

var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9_-]+`)

// shotSeq numbers the screenshots of each folder in the order taken.
var (
	shotMu  sync.Mutex
	shotSeq = map[string]int{}
)

// shot saves a screenshot of the whole page as NN-name.png.
func (b *browser) shot(name string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	shotMu.Lock()
	shotSeq[b.dir]++
	n := shotSeq[b.dir]
	shotMu.Unlock()
	p := filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", n, unsafeName.ReplaceAllString(name, "-")))
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	return p
}

// typeInto clears a field and types v into it as a person would.
func (b *browser) typeInto(sel, v string) {
	b.t.Helper()
	clear := fmt.Sprintf(`document.querySelector(%q).value = ""`, sel)
	b.do(chromedp.Click(chromedp.CSS(sel)), chromedp.Evaluate[chromedp.Void](clear), chromedp.SendKeys(chromedp.CSS(sel), v))
}

// click clicks sel and waits until the page it leads to has loaded: a
// new document (the old one is marked before the click) that is complete.
func (b *browser) click(sel string) {
	b.t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](`window.__nanhuOld = true`), chromedp.Click(chromedp.CSS(sel)))
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		done, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__nanhuOld === undefined && document.readyState === "complete"`))
		cancel()
		if err == nil && done {
			return
		}
		if time.Now().After(deadline) {
			b.shot("click-led-nowhere")
			b.t.Fatalf("clicking %s led to no new page (%v)", sel, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// signIn fills the sign-in form and sends it.
func (b *browser) signIn(user, pass string) {
	b.t.Helper()
	b.visit("/login")
	b.typeInto("#username", user)
	b.typeInto("#password", pass)
	b.click("form[action='/login'] button[type=submit]")
}

// waitText waits until the element sel shows text containing want.
func (b *browser) waitText(sel, want string, within time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(within)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		cancel()
		if err == nil && strings.Contains(s, want) {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s never showed %q (last: %q, %v)", sel, want, s, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// docWalk is one document walked through its flow by several demo people,
// each in a browser of their own, as the OA tests do.
type docWalk struct {
	t                *testing.T
	root             context.Context
	base, dir, title string
	doc              string // the document's page, once it exists
	// stepInTodo: the 待办 names the step too, and open checks it.
	stepInTodo bool
	people     map[string]*browser
}

func newDocWalk(t *testing.T, ts *testServer, title string, stepInTodo bool) *docWalk {
	return &docWalk{t: t, root: newBrowsers(t), base: "http://" + ts.addr("http"), dir: screenshotDir(t),
		title: title, stepInTodo: stepInTodo, people: map[string]*browser{}}
}

// as is login's browser, signed in with the demo password.
func (w *docWalk) as(login string) *browser {
	if b, ok := w.people[login]; ok {
		return b
	}
	b := person(w.t, w.root, w.base, w.dir)
	pw := org.DemoPassword
	if login == org.AdminLogin {
		pw = org.DemoAdminPassword
	}
	b.signIn(login, pw)
	w.people[login] = b
	return b
}

// open goes to the document from the person's 待办, as they would, and
// checks the page says it is at step.
func (w *docWalk) open(login, step string) *browser {
	w.t.Helper()
	b := w.as(login)
	b.visit("/oa")
	body := b.text("main")
	if !strings.Contains(body, w.title) || (w.stepInTodo && !strings.Contains(body, step)) {
		b.shot(login + "-todo-missing")
		w.t.Fatalf("%s's 待办 lacks the document at %s:\n%s", login, step, body)
	}
	b.click("a[href='" + w.doc + "']")
	if got := b.text("#where"); !strings.Contains(got, step) {
		w.t.Fatalf("%s: the page says %q, want it at %s", login, got, step)
	}
	return b
}

// approve presses 同意 and checks the flash.
func (w *docWalk) approve(b *browser, wantFlash string) {
	w.t.Helper()
	b.click("button[name=action][value=approve]")
	if body := b.body(); !strings.Contains(body, wantFlash) {
		b.shot("approve-failed")
		w.t.Fatalf("after 同意: want %q in\n%s", wantFlash, body)
	}
}
