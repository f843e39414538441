package notify

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"nanhu/internal/workcal"
	"nanhu/oa/org"
	"nanhu/queue/contract"
)

// The people of the test organisation.
//
//	qzf 区政府 (zhangwei)
//	└── bgs 区政府办公室 (liuyang)
//	    └── msk 秘书科 (yangjing): huanglei, nomobile, mailer, quietless, sharer1, sharer2
const (
	mobileZhang   = "+8613800000102"
	mobileLiu     = "+8613900000201"
	mobileYang    = "+8613900000202"
	mobileHuang   = "+8613900000203"
	mobileMailer  = "+8613900000204"
	mobileQuiet   = "+8613900000205"
	mobileShared  = "+8613900000299"
	mobileUnknown = "+8613700000000"
)

var (
	templateOnce sync.Once
	templatePath string
	templateErr  error
)

// seedTemplate builds the test organisation once, in a file each test
// copies (hashing passwords is slow on purpose).
func seedTemplate() (string, error) {
	templateOnce.Do(func() {
		dir, err := os.MkdirTemp("", "notify-org-")
		if err != nil {
			templateErr = err
			return
		}
		templatePath = filepath.Join(dir, "org.db")
		templateErr = seed(templatePath)
	})
	return templatePath, templateErr
}

func seed(path string) error {
	ctx := context.Background()
	d, err := org.Open(ctx, org.Options{Path: path})
	if err != nil {
		return err
	}
	defer d.Close()
	for _, dep := range []org.Department{
		{Code: "qzf", Name: "秀洲区人民政府", Kind: org.KindOrgan},
		{Code: "bgs", Name: "区政府办公室", Parent: "qzf"},
		{Code: "msk", Name: "秘书科", Parent: "bgs", Kind: org.KindSection},
	} {
		if err := d.AddDepartment(ctx, dep); err != nil {
			return err
		}
	}
	for _, nu := range []org.NewUser{
		{Login: "zhangwei", Name: "张伟", Mobile: mobileZhang, Depts: []string{"qzf"}, Title: "区长"},
		{Login: "liuyang", Name: "刘洋", Mobile: mobileLiu, Depts: []string{"bgs"}, Title: "主任"},
		{Login: "yangjing", Name: "杨静", Mobile: mobileYang, Depts: []string{"msk"}, Title: "科长"},
		{Login: "huanglei", Name: "黄磊", Mobile: mobileHuang, Depts: []string{"msk"}, Title: "科员"},
		{Login: "nomobile", Name: "无手机", Depts: []string{"msk"}},
		{Login: "mailer", Name: "要邮件", Mobile: mobileMailer, Depts: []string{"msk"}},
		{Login: "quietless", Name: "不免打扰", Mobile: mobileQuiet, Depts: []string{"msk"}},
		{Login: "smsoff", Name: "不要短信", Mobile: "+8613900000206", Depts: []string{"msk"}},
		{Login: "gone", Name: "已停用", Mobile: "+8613900000207", Depts: []string{"msk"}},
		{Login: "sharer1", Name: "共用一", Mobile: mobileShared, Depts: []string{"msk"}},
		{Login: "sharer2", Name: "共用二", Mobile: mobileShared, Depts: []string{"msk"}},
	} {
		nu.Password = "nanhu2004"
		if _, err := d.AddUser(ctx, nu); err != nil {
			return err
		}
	}
	for dept, leader := range map[string]string{"qzf": "zhangwei", "bgs": "liuyang", "msk": "yangjing"} {
		if err := d.SetLeader(ctx, dept, leader); err != nil {
			return err
		}
	}
	if err := d.SetNotifyPrefs(ctx, "mailer", org.NotifyPrefs{SMS: true, Mail: true}); err != nil {
		return err
	}
	if err := d.SetNotifyPrefs(ctx, "quietless", org.NotifyPrefs{SMS: true, Quiet: &org.QuietHours{}}); err != nil {
		return err
	}
	if err := d.SetNotifyPrefs(ctx, "smsoff", org.NotifyPrefs{Mail: true}); err != nil {
		return err
	}
	return d.SetDisabled(ctx, "gone", true)
}

// openOrg copies the test organisation for one test.
func openOrg(t testing.TB) *org.Directory {
	t.Helper()
	src, err := seedTemplate()
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "org.db")
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	out.Close()
	d, err := org.Open(context.Background(), org.Options{Path: dst})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// clock is a fake clock that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// publisher records what routing publishes; fail makes it refuse.
type publisher struct {
	mu      sync.Mutex
	fail    bool
	sms     []contract.NotifySMS
	mail    []contract.NotifyMail
	actions []contract.OAAction
}

var errQueueDown = errors.New("queue down")

func (p *publisher) PublishSMS(_ context.Context, m contract.NotifySMS) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail {
		return errQueueDown
	}
	if err := m.Validate(); err != nil {
		return err
	}
	p.sms = append(p.sms, m)
	return nil
}

func (p *publisher) PublishMail(_ context.Context, m contract.NotifyMail) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail {
		return errQueueDown
	}
	if err := m.Validate(); err != nil {
		return err
	}
	p.mail = append(p.mail, m)
	return nil
}

func (p *publisher) PublishAction(_ context.Context, a contract.OAAction) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail {
		return errQueueDown
	}
	if err := a.Validate(); err != nil {
		return err
	}
	p.actions = append(p.actions, a)
	return nil
}

// take returns and forgets what was published so far.
func (p *publisher) take() (sms []contract.NotifySMS, mail []contract.NotifyMail, actions []contract.OAAction) {
	p.mu.Lock()
	defer p.mu.Unlock()
	sms, mail, actions = p.sms, p.mail, p.actions
	p.sms, p.mail, p.actions = nil, nil, nil
	return
}

func (p *publisher) setFail(fail bool) {
	p.mu.Lock()
	p.fail = fail
	p.mu.Unlock()
}

// fixture is a Notifier on a fresh org.db and notify.db, a fake clock
// and a recording publisher.
type fixture struct {
	t     testing.TB
	n     *Notifier
	clock *clock
	pub   *publisher
	org   *org.Directory
}

var cst = workcal.Shanghai()

// at is a local time in Asia/Shanghai in November 2026: 25 is a Wednesday,
// 27 a Friday, 30 a Monday.
func at(day, hour, min int) time.Time {
	return time.Date(2026, 11, day, hour, min, 0, 0, cst)
}

func newFixture(t testing.TB, change ...func(*Options)) *fixture {
	t.Helper()
	f := &fixture{t: t, clock: &clock{t: at(25, 9, 30)}, pub: &publisher{}, org: openOrg(t)}
	opts := DefaultOptions(t.TempDir())
	opts.Org = f.org
	opts.Publisher = f.pub
	opts.Now = f.clock.Now
	opts.User = func(r *http.Request) string { return r.Header.Get("X-Test-User") }
	for _, c := range change {
		c(&opts)
	}
	n, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	f.n = n
	return f
}

// todo is the to-do of the issue, for login.
func todo(id, login string) contract.Todo {
	due, _ := time.Parse(time.RFC3339, "2026-11-26T17:00:00+08:00")
	return contract.Todo{ID: id, Assignee: login, Title: "关于加强电子政务建设的通知", DocNumber: "秀政发〔2004〕12号",
		Urgency: contract.UrgencyNormal, Due: due, Actions: []string{"approve", "return"}}
}

func event(id string, typ contract.TodoEventType, t contract.Todo) contract.TodoEvent {
	return contract.TodoEvent{V: contract.TodoVersion, ID: id, Type: typ, Todo: t}
}

// handle runs HandleTodo and fails the test on an error; the messages it
// made are published (or the queue refused them) when it returns.
func (f *fixture) handle(ev contract.TodoEvent) {
	f.t.Helper()
	if err := f.n.HandleTodo(context.Background(), ev); err != nil {
		f.t.Fatalf("HandleTodo(%s %s): %v", ev.Type, ev.ID, err)
	}
	f.published()
}

// published waits until what was decided so far has been offered to the
// queue.
func (f *fixture) published() { f.n.drain(context.Background(), false) }

// inbound runs HandleInbound for an SMS from a number.
func (f *fixture) inbound(id, from, text string) error {
	return f.n.HandleInbound(context.Background(), contract.SMSInbound{V: contract.SMSInboundVersion, ID: id,
		From: from, Text: text, Received: f.clock.Now(), Modem: "modem0"})
}

// tick moves the clock to t and runs what fell due.
func (f *fixture) tick(t time.Time) {
	f.clock.Set(t)
	f.n.runDue(context.Background())
}

// texts are the texts of SMS, in order.
func texts(sms []contract.NotifySMS) []string {
	var out []string
	for _, m := range sms {
		out = append(out, m.Text)
	}
	return out
}
