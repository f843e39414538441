package notify

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"nanhu/queue/contract"
)

// issueText is the SMS of the issue, for the to-do of the issue.
const issueText = "【南湖】您有1件待办：关于加强电子政务建设的通知（秀政发〔2004〕12号），请于11月26日前处理。回复1同意 2退回"

func TestOfflineNotification(t *testing.T) {
	tests := []struct {
		name     string
		login    string
		wantTo   string // "" for no SMS
		wantMail bool
		wantLog  string
		mutate   func(*contract.Todo)
		wantText string
	}{
		{name: "official with a mobile", login: "zhangwei", wantTo: mobileZhang, wantText: issueText, wantLog: "sms"},
		{name: "mail as well by preference", login: "mailer", wantTo: mobileMailer, wantMail: true, wantText: issueText, wantLog: "mail"},
		{name: "no mobile: mail instead", login: "nomobile", wantMail: true, wantLog: "no sms"},
		{name: "sms turned off", login: "smsoff", wantMail: true, wantLog: "no sms"},
		{name: "disabled account", login: "gone", wantLog: "skipped"},
		{name: "unknown login", login: "nobody", wantLog: "skipped"},
		{name: "only the actions allowed are hinted", login: "zhangwei", wantTo: mobileZhang, wantLog: "sms",
			mutate:   func(t *contract.Todo) { t.Actions = []string{"return", "transfer"} },
			wantText: "【南湖】您有1件待办：关于加强电子政务建设的通知（秀政发〔2004〕12号），请于11月26日前处理。回复2退回"},
		{name: "no action by SMS, no due date, no number", login: "zhangwei", wantTo: mobileZhang, wantLog: "sms",
			mutate:   func(t *contract.Todo) { t.Actions, t.Due, t.DocNumber = nil, time.Time{}, "" },
			wantText: "【南湖】您有1件待办：关于加强电子政务建设的通知，请及时处理。"},
		{name: "long title cut to exactly one SMS (70 units)", login: "zhangwei", wantTo: mobileZhang, wantLog: "sms",
			mutate: func(t *contract.Todo) {
				t.Title = "关于印发《秀洲区推进政务信息资源共享和电子政务协同应用实施方案（2004—2006年）》的通知"
			},
			wantText: "【南湖】您有1件待办：关于印发《秀洲区推进政务信息资源共享和电子政…（秀政发〔2004〕12号），请于11月26日前处理。回复1同意 2退回"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			td := todo("todo-8812", tt.login)
			if tt.mutate != nil {
				tt.mutate(&td)
			}
			ev := event("ev-1", contract.TodoCreated, td)
			f.handle(ev)
			sms, mail, _ := f.pub.take()
			if tt.wantTo == "" {
				if len(sms) != 0 {
					t.Fatalf("SMS sent: %v", texts(sms))
				}
			} else {
				if len(sms) != 1 {
					t.Fatalf("got %d SMS, want 1: %v", len(sms), texts(sms))
				}
				m := sms[0]
				if m.Text != tt.wantText {
					t.Errorf("text\n got %s\nwant %s", m.Text, tt.wantText)
				}
				if units(m.Text) > smsUnits {
					t.Errorf("text has %d UTF-16 units, more than one SMS", units(m.Text))
				}
				want := contract.NotifySMS{V: 1, ID: m.ID, To: tt.wantTo, Text: tt.wantText, Login: tt.login,
					IdempotencyKey: "nt/ev-1/sms", Reason: "todo.created", TodoID: "todo-8812"}
				if m != want {
					t.Errorf("SMS\n got %+v\nwant %+v", m, want)
				}
			}
			if got := len(mail) == 1; got != tt.wantMail || len(mail) > 1 {
				t.Fatalf("mails: %+v, want one: %v", mail, tt.wantMail)
			}
			if tt.wantMail {
				m := mail[0]
				if m.ToLogin != tt.login || m.Subject != "【待办】"+td.Title || m.IdempotencyKey != "nt/ev-1/mail" ||
					!strings.Contains(m.Body, "文号：秀政发〔2004〕12号") || m.From != "南湖办公系统" {
					t.Errorf("mail %+v", m)
				}
			}
			if got := f.decisions(tt.login); !slices.Contains(got, tt.wantLog) {
				t.Errorf("log of %s = %v, want a %q line", tt.login, got, tt.wantLog)
			}
		})
	}
}

// decisions lists the logged decisions about login, oldest first.
func (f *fixture) decisions(login string) []string {
	f.t.Helper()
	rows, err := f.n.st.db.Query(`SELECT decision FROM log WHERE login = ? ORDER BY id`, login)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var d string
		rows.Scan(&d)
		out = append(out, d)
	}
	return out
}

func TestRedeliveredEventDoesNothingTwice(t *testing.T) {
	f := newFixture(t)
	ev := event("ev-1", contract.TodoCreated, todo("todo-8812", "mailer"))
	for range 3 {
		f.handle(ev)
	}
	overdue := event("ev-2", contract.TodoOverdue, todo("todo-8812", "mailer"))
	f.handle(overdue)
	f.handle(overdue)
	sms, mail, _ := f.pub.take()
	if len(sms) != 2 || len(mail) != 2 {
		t.Fatalf("got %d SMS and %d mails, want 2 and 2: %v", len(sms), len(mail), texts(sms))
	}
	// The same event on a fresh notify.db (lost state) still carries the
	// same idempotency keys, so the gateway sends it once.
	g := newFixture(t)
	g.handle(ev)
	again, _, _ := g.pub.take()
	if again[0].IdempotencyKey != sms[0].IdempotencyKey || again[0].ID == sms[0].ID {
		t.Errorf("keys %q and %q, ids %q and %q", again[0].IdempotencyKey, sms[0].IdempotencyKey, again[0].ID, sms[0].ID)
	}
}

func TestQuietHours(t *testing.T) {
	tests := []struct {
		name    string
		login   string
		urgency contract.Urgency
		when    time.Time
		release time.Time // zero: sent at once
	}{
		{"平件 at 23:00 waits for 07:00", "zhangwei", contract.UrgencyNormal, at(25, 23, 0), at(26, 7, 0)},
		{"加急 at 03:00 waits for 07:00 the same day", "zhangwei", contract.UrgencyHigh, at(26, 3, 0), at(26, 7, 0)},
		{"特急 goes through at 23:00", "zhangwei", contract.UrgencyTop, at(25, 23, 0), time.Time{}},
		{"07:00 is no longer quiet", "zhangwei", contract.UrgencyNormal, at(26, 7, 0), time.Time{}},
		{"21:59 is not quiet yet", "zhangwei", contract.UrgencyNormal, at(25, 21, 59), time.Time{}},
		{"a user without quiet hours", "quietless", contract.UrgencyNormal, at(25, 23, 0), time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.clock.Set(tt.when)
			td := todo("todo-8812", tt.login)
			td.Urgency = tt.urgency
			f.handle(event("ev-1", contract.TodoCreated, td))
			sms, _, _ := f.pub.take()
			if tt.release.IsZero() {
				if len(sms) != 1 || sms[0].Text != issueText {
					t.Fatalf("want the SMS at once, got %v", texts(sms))
				}
				return
			}
			if len(sms) != 0 {
				t.Fatalf("SMS sent in quiet hours: %v", texts(sms))
			}
			f.tick(tt.release.Add(-time.Second))
			if sms, _, _ := f.pub.take(); len(sms) != 0 {
				t.Fatalf("SMS sent before the end of quiet hours: %v", texts(sms))
			}
			f.tick(tt.release)
			sms, _, _ = f.pub.take()
			if len(sms) != 1 || sms[0].Text != issueText || sms[0].IdempotencyKey != "nt/ev-1/sms" {
				t.Fatalf("at %s got %+v, want the to-do's SMS", tt.release.Format("15:04"), sms)
			}
			f.tick(tt.release.Add(time.Hour))
			if sms, _, _ := f.pub.take(); len(sms) != 0 {
				t.Fatalf("sent again: %v", texts(sms))
			}
		})
	}
}

func TestQuietHoursHoldManyAsOneDigest(t *testing.T) {
	f := newFixture(t)
	f.clock.Set(at(25, 22, 30))
	a, b := todo("todo-1", "zhangwei"), todo("todo-2", "zhangwei")
	a.Title, b.Title = "关于开展安全生产大检查的通知", "关于做好冬季防火工作的通知"
	f.handle(event("ev-1", contract.TodoCreated, a))
	f.clock.Set(at(26, 1, 0))
	f.handle(event("ev-2", contract.TodoCreated, b))
	f.tick(at(26, 7, 0))
	sms, _, _ := f.pub.take()
	want := []string{"【南湖】您有2件新待办：关于开展安全生产大检查的通知；关于做好冬季防火工作的通知。请登录办公系统处理。"}
	if !reflect.DeepEqual(texts(sms), want) {
		t.Fatalf("at 07:00 got %q, want %q", texts(sms), want)
	}
	if sms[0].Reason != "todo.digest" || !strings.HasPrefix(sms[0].IdempotencyKey, "nt/digest/") {
		t.Errorf("digest %+v", sms[0])
	}
}

func TestDigest(t *testing.T) {
	titles := []string{"关于加强电子政务建设的通知", "关于开展安全生产大检查的通知", "关于做好冬季防火工作的通知", "关于报送2026年度工作总结的通知"}
	f := newFixture(t)
	start := at(25, 9, 0)
	send := func(i int, min time.Duration, urgency contract.Urgency) {
		f.clock.Set(start.Add(min))
		td := todo("todo-"+string(rune('a'+i)), "zhangwei")
		td.Title, td.Urgency = titles[i], urgency
		f.handle(event("ev-"+string(rune('a'+i)), contract.TodoCreated, td))
	}
	send(0, 0, contract.UrgencyNormal)
	sms, _, _ := f.pub.take()
	if !reflect.DeepEqual(texts(sms), []string{issueText}) {
		t.Fatalf("first to-do: got %q, want it at once", texts(sms))
	}
	send(1, time.Minute, contract.UrgencyNormal)
	send(2, 3*time.Minute, contract.UrgencyHigh)
	if sms, _, _ := f.pub.take(); len(sms) != 0 {
		t.Fatalf("to-dos in the window sent at once: %q", texts(sms))
	}
	// 特急 is never held, and its SMS carries a code: another to-do awaits
	// an answer.
	send(3, 4*time.Minute, contract.UrgencyTop)
	sms, _, _ = f.pub.take()
	want := "【南湖】您有1件待办：关于报送2026年度工作…（秀政发〔2004〕12号），请于11月26日前处理。回复“1 A2”同意 “2 A2”退回"
	if !reflect.DeepEqual(texts(sms), []string{want}) {
		t.Fatalf("特急 in the window: got %q, want %q", texts(sms), want)
	}
	f.tick(start.Add(5*time.Minute - time.Second))
	if sms, _, _ := f.pub.take(); len(sms) != 0 {
		t.Fatalf("digest before the window ended: %q", texts(sms))
	}
	f.tick(start.Add(5 * time.Minute))
	sms, _, _ = f.pub.take()
	want = "【南湖】您有2件新待办：关于开展安全生产大检查的通知；关于做好冬季防火工作的通知。请登录办公系统处理。"
	if !reflect.DeepEqual(texts(sms), []string{want}) {
		t.Fatalf("digest: got %q, want %q", texts(sms), want)
	}
	// The digest opened the next window: a to-do now waits for its end,
	// and goes alone as its usual SMS.
	f.clock.Set(start.Add(6 * time.Minute))
	td := todo("todo-e", "zhangwei")
	f.handle(event("ev-e", contract.TodoCreated, td))
	f.tick(start.Add(10 * time.Minute))
	sms, _, _ = f.pub.take()
	if len(sms) != 1 || !strings.HasPrefix(sms[0].Text, "【南湖】您有1件待办：关于加强电子政务建设的通知") || sms[0].IdempotencyKey != "nt/ev-e/sms" {
		t.Fatalf("after the digest: %+v", sms)
	}
	// An empty window closes; the next to-do goes at once.
	f.tick(start.Add(15 * time.Minute))
	f.clock.Set(start.Add(16 * time.Minute))
	f.handle(event("ev-f", contract.TodoCreated, todo("todo-f", "zhangwei")))
	if sms, _, _ := f.pub.take(); len(sms) != 1 {
		t.Fatalf("after the windows closed: %q, want one SMS at once", texts(sms))
	}
}

func TestDigestDropsWhatIsDone(t *testing.T) {
	f := newFixture(t)
	f.clock.Set(at(25, 9, 0))
	f.handle(event("ev-1", contract.TodoCreated, todo("todo-1", "huanglei")))
	f.clock.Set(at(25, 9, 1))
	f.handle(event("ev-2", contract.TodoCreated, todo("todo-2", "huanglei")))
	f.handle(event("ev-3", contract.TodoCreated, todo("todo-3", "huanglei")))
	f.handle(contract.TodoEvent{V: 1, ID: "ev-4", Type: contract.TodoDone, Todo: contract.Todo{ID: "todo-2", Assignee: "huanglei"}})
	f.handle(event("ev-5", contract.TodoReassigned, todo("todo-3", "yangjing")))
	f.pub.take()
	f.tick(at(25, 9, 5))
	sms, _, _ := f.pub.take()
	if len(sms) != 0 {
		t.Fatalf("held to-dos that were done or moved still sent: %q", texts(sms))
	}
}

func TestEscalation(t *testing.T) {
	const overdueText = "【南湖】催办：您的待办“关于加强电子政务建设的通知”已逾期（时限11月26日），请尽快处理。回复1同意 2退回"
	const leaderText = "【南湖】催办：黄磊的待办“关于加强电子政务建设的通知”已逾期（时限11月26日），请督促办理。"
	tests := []struct {
		name     string
		overdue  time.Time
		doneAt   time.Time // zero: never done
		escalate time.Time // zero: no 催办 to the leader
		assignee string
		leader   string
	}{
		{name: "Wednesday to Thursday", overdue: at(25, 17, 0), escalate: at(26, 17, 0), assignee: "huanglei", leader: mobileYang},
		{name: "Friday to Monday", overdue: at(27, 17, 0), escalate: at(30, 17, 0), assignee: "huanglei", leader: mobileYang},
		{name: "Saturday to Monday", overdue: at(28, 10, 0), escalate: at(30, 10, 0), assignee: "huanglei", leader: mobileYang},
		{name: "done on Saturday cancels it", overdue: at(27, 17, 0), doneAt: at(28, 9, 0), assignee: "huanglei"},
		{name: "the leader herself goes to her leader", overdue: at(25, 17, 0), escalate: at(26, 17, 0), assignee: "yangjing", leader: mobileLiu},
		{name: "nobody above the head", overdue: at(25, 17, 0), assignee: "zhangwei"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.clock.Set(tt.overdue)
			ev := event("ev-9", contract.TodoOverdue, todo("todo-8812", tt.assignee))
			ev.At = tt.overdue
			f.handle(ev)
			sms, _, _ := f.pub.take()
			if len(sms) != 1 || sms[0].Text != overdueText || sms[0].Reason != "todo.overdue" || sms[0].Login != tt.assignee {
				t.Fatalf("overdue: got %+v, want the assignee's 催办", sms)
			}
			if !tt.doneAt.IsZero() {
				f.clock.Set(tt.doneAt)
				f.handle(contract.TodoEvent{V: 1, ID: "ev-10", Type: contract.TodoDone, Todo: contract.Todo{ID: "todo-8812", Assignee: tt.assignee}})
			}
			next := tt.escalate
			if next.IsZero() {
				next = tt.overdue.AddDate(0, 0, 7)
			}
			f.tick(next.Add(-time.Second))
			if sms, _, _ := f.pub.take(); len(sms) != 0 {
				t.Fatalf("催办 before one working day: %q", texts(sms))
			}
			f.tick(next)
			sms, _, _ = f.pub.take()
			if tt.escalate.IsZero() {
				if len(sms) != 0 {
					t.Fatalf("催办 sent: %q", texts(sms))
				}
				return
			}
			want := leaderText
			if tt.assignee == "yangjing" {
				want = strings.Replace(leaderText, "黄磊", "杨静", 1)
			}
			if len(sms) != 1 || sms[0].To != tt.leader || sms[0].Text != want || sms[0].IdempotencyKey != "nt/ev-9/escalate" {
				t.Fatalf("催办 to the leader: got %+v, want %q to %s", sms, want, tt.leader)
			}
			f.tick(next.AddDate(0, 0, 3))
			if sms, _, _ := f.pub.take(); len(sms) != 0 {
				t.Fatalf("催办 twice: %q", texts(sms))
			}
		})
	}
}

func TestEscalationInQuietHoursWaits(t *testing.T) {
	f := newFixture(t)
	f.clock.Set(at(25, 21, 0))
	ev := event("ev-9", contract.TodoOverdue, todo("todo-8812", "huanglei"))
	ev.At = at(25, 23, 0) // overdue at 23:00, handled late
	f.handle(ev)
	f.pub.take()
	f.tick(at(26, 23, 0))
	if sms, _, _ := f.pub.take(); len(sms) != 0 {
		t.Fatalf("催办 in quiet hours: %q", texts(sms))
	}
	f.tick(at(27, 7, 0))
	sms, _, _ := f.pub.take()
	if len(sms) != 1 || sms[0].To != mobileYang || sms[0].Reason != "todo.escalated" {
		t.Fatalf("at 07:00: %+v", sms)
	}
}

func TestReassigned(t *testing.T) {
	f := newFixture(t)
	f.handle(event("ev-1", contract.TodoCreated, todo("todo-8812", "huanglei")))
	ev := event("ev-2", contract.TodoReassigned, todo("todo-8812", "yangjing"))
	ev.PreviousAssignee = "huanglei"
	f.handle(ev)
	sms, _, _ := f.pub.take()
	if len(sms) != 2 || sms[1].To != mobileYang || sms[1].Text != issueText || sms[1].Reason != "todo.reassigned" {
		t.Fatalf("got %+v", sms)
	}
	// The old assignee's "1" no longer acts.
	if err := f.inbound("in-1", mobileHuang, "1"); err != nil {
		t.Fatal(err)
	}
	sms, _, actions := f.pub.take()
	if len(actions) != 0 || len(sms) != 1 || sms[0].Text != helpNothing {
		t.Fatalf("old assignee's reply: actions %+v, SMS %q", actions, texts(sms))
	}
}

func TestLateEventsAfterDone(t *testing.T) {
	f := newFixture(t)
	f.handle(contract.TodoEvent{V: 1, ID: "ev-2", Type: contract.TodoDone, Todo: contract.Todo{ID: "todo-8812", Assignee: "huanglei"}})
	f.handle(event("ev-1", contract.TodoCreated, todo("todo-8812", "huanglei")))
	f.handle(event("ev-3", contract.TodoOverdue, todo("todo-8812", "huanglei")))
	f.tick(at(30, 9, 0))
	if sms, _, _ := f.pub.take(); len(sms) != 0 {
		t.Fatalf("events after done sent: %q", texts(sms))
	}
}

func TestOutboxRetry(t *testing.T) {
	f := newFixture(t)
	f.pub.setFail(true)
	f.handle(event("ev-1", contract.TodoCreated, todo("todo-8812", "zhangwei")))
	f.pub.setFail(false)
	if sms, _, _ := f.pub.take(); len(sms) != 0 {
		t.Fatal("published while the queue was down")
	}
	f.tick(at(25, 9, 31))
	sms, _, _ := f.pub.take()
	if len(sms) != 1 || sms[0].Text != issueText {
		t.Fatalf("after the queue came back: %q", texts(sms))
	}
	f.tick(at(25, 9, 32))
	if sms, _, _ := f.pub.take(); len(sms) != 0 {
		t.Fatalf("published twice: %q", texts(sms))
	}
}

func TestOutboxSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	f := newFixture(t, func(o *Options) { o.DBPath = filepath.Join(dir, "notify.db") })
	f.pub.setFail(true)
	f.handle(event("ev-1", contract.TodoCreated, todo("todo-8812", "zhangwei")))
	f.n.Close()

	pub := &publisher{}
	opts := DefaultOptions(dir)
	opts.Org, opts.Publisher, opts.Now = f.org, pub, f.clock.Now
	n, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- n.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		pub.mu.Lock()
		got := len(pub.sms)
		pub.mu.Unlock()
		if got == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Run did not publish the outbox after a restart")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// The event is remembered across the restart.
	if err := n.HandleTodo(context.Background(), event("ev-1", contract.TodoCreated, todo("todo-8812", "zhangwei"))); err != nil {
		t.Fatal(err)
	}
	n.drain(context.Background(), false)
	pub.mu.Lock()
	defer pub.mu.Unlock()
	if len(pub.sms) != 1 {
		t.Fatalf("redelivered after restart: %d SMS", len(pub.sms))
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	good := DefaultOptions(t.TempDir())
	good.Org, good.Publisher = openOrg(t), &publisher{}
	tests := []struct {
		name   string
		change func(*Options)
	}{
		{"no org", func(o *Options) { o.Org = nil }},
		{"no publisher", func(o *Options) { o.Publisher = nil }},
		{"no file", func(o *Options) { o.DBPath = "" }},
		{"quiet 24:00", func(o *Options) { o.QuietEnd = 24 * time.Hour }},
		{"negative digest", func(o *Options) { o.DigestWindow = -time.Minute }},
	}
	for _, tt := range tests {
		o := good
		tt.change(&o)
		if n, err := New(context.Background(), o); err == nil {
			n.Close()
			t.Errorf("%s: New accepted it", tt.name)
		}
	}
	n, err := New(context.Background(), good)
	if err != nil {
		t.Fatal(err)
	}
	n.Close()
	var ev contract.TodoEvent
	if err := (&Notifier{}).HandleTodo(context.Background(), ev); !errors.Is(err, contract.ErrVersion) {
		t.Errorf("invalid event: %v", err)
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	f := newFixture(t, func(o *Options) { o.Registerer = reg })
	f.handle(event("ev-1", contract.TodoCreated, todo("todo-1", "zhangwei")))
	f.handle(event("ev-2", contract.TodoCreated, todo("todo-2", "zhangwei")))
	want := `
# HELP nanhu_notify_held Notifications held for a digest or the end of quiet hours.
# TYPE nanhu_notify_held gauge
nanhu_notify_held 1
# HELP nanhu_notify_outbox Messages decided but not yet taken by the queue (-1: notify.db unreadable).
# TYPE nanhu_notify_outbox gauge
nanhu_notify_outbox 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "nanhu_notify_held", "nanhu_notify_outbox"); err != nil {
		t.Error(err)
	}
	if got := testutil.ToFloat64(f.n.m.decisions.WithLabelValues("gathered")); got != 1 {
		t.Errorf("gathered = %v", got)
	}
}

func TestEventsOutOfOrder(t *testing.T) {
	f := newFixture(t)
	// A created without "at", handled at 10:00, then an overdue stamped
	// 09:59 that arrived late: the overdue still counts.
	f.clock.Set(at(26, 10, 0))
	f.handle(event("ev-1", contract.TodoCreated, todo("todo-1", "huanglei")))
	late := event("ev-2", contract.TodoOverdue, todo("todo-1", "huanglei"))
	late.At = at(26, 9, 59)
	f.handle(late)
	if sms, _, _ := f.pub.take(); len(sms) != 2 || sms[1].Reason != "todo.overdue" {
		t.Fatalf("got %q", texts(sms))
	}
	// A reassigned at 11:00, then the created of 10:30 arriving after it:
	// the old assignee is not woken.
	moved := event("ev-3", contract.TodoReassigned, todo("todo-2", "yangjing"))
	moved.At = at(26, 11, 0)
	f.handle(moved)
	old := event("ev-4", contract.TodoCreated, todo("todo-2", "huanglei"))
	old.At = at(26, 10, 30)
	f.handle(old)
	sms, _, _ := f.pub.take()
	if len(sms) != 1 || sms[0].Login != "yangjing" {
		t.Fatalf("got %+v", sms)
	}
	if got := f.decisions("huanglei"); got[len(got)-1] != "ignored" {
		t.Errorf("log %v", got)
	}
}
