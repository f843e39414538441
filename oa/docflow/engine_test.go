package docflow

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"nanhu/oa/flow"
	"nanhu/oa/org"
	"nanhu/queue/contract"
)

var (
	demoOnce sync.Once
	demoDir  string
	demoErr  error
)

// demoOrg is a copy of a demo org.db seeded once per test binary (hashing
// the demo passwords is the slow part).
func demoOrg(t testing.TB) *org.Directory {
	t.Helper()
	ctx := context.Background()
	demoOnce.Do(func() {
		demoDir, demoErr = os.MkdirTemp("", "docflow-org")
		if demoErr != nil {
			return
		}
		d, err := org.Open(ctx, org.DefaultOptions(demoDir))
		if err != nil {
			demoErr = err
			return
		}
		defer d.Close()
		if err := d.SetDomains(ctx, []string{"nanhu.local"}); err != nil {
			demoErr = err
			return
		}
		demoErr = d.SeedDemo(ctx)
	})
	if demoErr != nil {
		t.Fatal(demoErr)
	}
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join(demoDir, "org.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "org.db"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := org.Open(ctx, org.DefaultOptions(dir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func openStore(t testing.TB) (*Store, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))}
	o := DefaultOptions(t.TempDir())
	o.Org = demoOrg(t)
	o.Now = c.Now
	s, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, c
}

// open is the one open task of login on doc.
func open(t testing.TB, s *Store, login string, doc int64) Task {
	t.Helper()
	ts, err := s.Todos(context.Background(), login, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range ts {
		if x.Doc == doc {
			return x
		}
	}
	t.Fatalf("%s has no open task on document %d (has %+v)", login, doc, ts)
	return Task{}
}

func act(t testing.TB, s *Store, login string, doc int64, a Action) []Task {
	t.Helper()
	task := open(t, s, login, doc)
	out, err := s.Act(context.Background(), login, task.ID, a)
	if err != nil {
		t.Fatalf("%s %s at %s: %v", login, a.Kind, task.Step, err)
	}
	return out
}

func draft(t testing.TB, s *Store, login string) *Document {
	t.Helper()
	d, _, err := s.Create(context.Background(), login, Draft{Flow: "发文", Type: "通知", Title: "关于做好2027年元旦春节期间安全生产工作的通知",
		Organ: "qzf", MainTo: []string{"各镇人民政府、街道办事处，区政府各部门"}, Body: "各镇人民政府、街道办事处，区政府各部门：\n为做好元旦春节期间安全生产工作……"})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// walkToRegister takes a fresh 发文 from 拟稿 to the 登记 step.
func walkToRegister(t testing.TB, s *Store) *Document {
	d := draft(t, s, "huanglei")
	act(t, s, "huanglei", d.ID, Action{Kind: flow.Approve})
	act(t, s, "yangjing", d.ID, Action{Kind: flow.Approve, Route: "sign", Opinion: "文字已核。", People: map[string][]string{"sign": {"zhangwei"}}})
	act(t, s, "zhangwei", d.ID, Action{Kind: flow.Approve, Opinion: "同意印发。"})
	act(t, s, "zhaoli", d.ID, Action{Kind: flow.Approve})
	return d
}

func TestFawenWalk(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	d := draft(t, s, "huanglei")
	if d.State != "草稿" || d.Number != "" {
		t.Fatalf("draft %+v", d)
	}
	// 核稿 is the role's only holder: no choice.
	next := act(t, s, "huanglei", d.ID, Action{Kind: flow.Approve})
	if len(next) != 1 || next[0].Assignee != "yangjing" || next[0].Step != "核稿" {
		t.Fatalf("after 拟稿: %+v", next)
	}
	// Two ways on from 核稿: the person must choose.
	_, err := s.Act(ctx, "yangjing", next[0].ID, Action{Kind: flow.Approve})
	var e *Error
	if !errors.As(err, &e) || e.Code != "choose_next" || len(e.Options) != 2 {
		t.Fatalf("approve without a route: %v", err)
	}
	next = act(t, s, "yangjing", d.ID, Action{Kind: flow.Approve, Route: "countersign", Opinion: "请财政局、发改局会签。",
		People: map[string][]string{"countersign": {"suntao", "hubin"}}})
	if len(next) != 2 {
		t.Fatalf("会签 tasks: %+v", next)
	}
	act(t, s, "suntao", d.ID, Action{Kind: flow.Approve, Opinion: "无意见。"})
	// The signer has two candidates: the last 会签 chooses.
	_, err = s.Act(ctx, "hubin", open(t, s, "hubin", d.ID).ID, Action{Kind: flow.Approve})
	if !errors.As(err, &e) || e.Code != "choose_next" {
		t.Fatalf("last 会签 without choosing the signer: %v", err)
	}
	act(t, s, "hubin", d.ID, Action{Kind: flow.Approve, Opinion: "同意。", People: map[string][]string{"sign": {"zhangwei"}}})
	act(t, s, "zhangwei", d.ID, Action{Kind: flow.Approve, Opinion: "同意印发。"})
	doc, _ := s.Document(ctx, d.ID)
	if len(doc.Signers) != 1 || doc.Signers[0].Login != "zhangwei" || doc.DocDate != "2026年12月1日" {
		t.Fatalf("after 签发: signers %+v, date %q", doc.Signers, doc.DocDate)
	}
	if len(doc.Countersigners) != 2 {
		t.Errorf("countersigners %v", doc.Countersigners)
	}
	act(t, s, "zhaoli", d.ID, Action{Kind: flow.Approve}) // 复核, no change: to 登记
	act(t, s, "zhaoli", d.ID, Action{Kind: flow.Approve}) // 登记
	doc, _ = s.Document(ctx, d.ID)
	if doc.Number != "秀政发〔2026〕1号" {
		t.Fatalf("number %q", doc.Number)
	}
	act(t, s, "zhaoli", d.ID, Action{Kind: flow.Approve}) // 印制用印
	act(t, s, "zhaoli", d.ID, Action{Kind: flow.Approve}) // 核发
	act(t, s, "wufang", d.ID, Action{Kind: flow.Approve}) // 归档
	doc, _ = s.Document(ctx, d.ID)
	if doc.State != "已归档" || doc.ArchiveNo == "" || doc.PrintDate == "" {
		t.Fatalf("after 归档: %+v", doc)
	}
	v, err := s.ViewOf(ctx, "huanglei", d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != "completed" || len(v.Holders) != 0 || len(v.Opinions) < 5 {
		t.Errorf("view: status %s, holders %d, opinions %d", v.Status, len(v.Holders), len(v.Opinions))
	}
	rep, err := s.Verify(ctx)
	if err != nil || rep.Broken != 0 || rep.Records < 10 {
		t.Errorf("verify: %+v %v", rep, err)
	}
	// Every open, reassign and close went to the outbox as an event.
	n, _ := s.OutboxLen(ctx)
	if n < 20 {
		t.Errorf("outbox has %d events", n)
	}
}

func TestChangeAfterSignGoesBackToSigner(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	d := draft(t, s, "huanglei")
	act(t, s, "huanglei", d.ID, Action{Kind: flow.Approve})
	act(t, s, "yangjing", d.ID, Action{Kind: flow.Approve, Route: "sign", People: map[string][]string{"sign": {"lina"}}})
	act(t, s, "lina", d.ID, Action{Kind: flow.Approve})
	// 复核 changes the 正文: a substantive change goes back to the signer.
	dr := DraftOf(d)
	dr.Body += "\n（补充）请于12月20日前报送。"
	if err := s.Update(ctx, "zhaoli", d.ID, dr); err != nil {
		t.Fatal(err)
	}
	next := act(t, s, "zhaoli", d.ID, Action{Kind: flow.Approve})
	if len(next) != 1 || next[0].Assignee != "lina" || next[0].Step != "复审" {
		t.Fatalf("after a change at 复核: %+v", next)
	}
	act(t, s, "lina", d.ID, Action{Kind: flow.Approve})
	next = act(t, s, "zhaoli", d.ID, Action{Kind: flow.Approve})
	if next[0].Step != "登记" {
		t.Fatalf("after 复审 and 复核: %+v", next)
	}
}

func TestReturnWithdrawTransferAddSign(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	d := draft(t, s, "huanglei")
	sent := open(t, s, "huanglei", d.ID)
	act(t, s, "huanglei", d.ID, Action{Kind: flow.Approve})
	// 撤回 while 杨静 has not opened it.
	if _, err := s.Act(ctx, "huanglei", sent.ID, Action{Kind: flow.Withdraw}); err != nil {
		t.Fatalf("withdraw: %v", err)
	}
	if ts, _ := s.Todos(ctx, "yangjing", 10); len(ts) != 0 {
		t.Fatalf("杨静 still has %+v", ts)
	}
	sent = open(t, s, "huanglei", d.ID)
	act(t, s, "huanglei", d.ID, Action{Kind: flow.Approve})
	// Once opened, no 撤回.
	if _, err := s.ViewOf(ctx, "yangjing", d.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Act(ctx, "huanglei", sent.ID, Action{Kind: flow.Withdraw}); CodeOf(err) != "not_allowed" {
		t.Fatalf("withdraw after opening: %v", err)
	}
	// 退回 needs a reason, then goes back to the drafter.
	if _, err := s.Act(ctx, "yangjing", open(t, s, "yangjing", d.ID).ID, Action{Kind: flow.Return, Target: "draft"}); CodeOf(err) != "invalid" {
		t.Fatalf("return without a reason: %v", err)
	}
	act(t, s, "yangjing", d.ID, Action{Kind: flow.Return, Target: "draft", Opinion: "请补充工作要求。"})
	doc, _ := s.Document(ctx, d.ID)
	if doc.State != "退回修改" {
		t.Fatalf("state after 退回 %q", doc.State)
	}
	act(t, s, "huanglei", d.ID, Action{Kind: flow.Approve})
	// 转办 to 黄磊's colleague, then 加签 before.
	act(t, s, "yangjing", d.ID, Action{Kind: flow.Transfer, To: "liuyang", Opinion: "请刘主任核稿。"})
	if _, err := s.Act(ctx, "yangjing", open(t, s, "liuyang", d.ID).ID, Action{Kind: flow.Approve}); CodeOf(err) != "forbidden" {
		t.Fatalf("the old assignee acts after 转办: %v", err)
	}
	act(t, s, "liuyang", d.ID, Action{Kind: flow.AddSign, To: "yangjing", Before: true})
	if ts, _ := s.Todos(ctx, "liuyang", 10); len(ts) != 0 {
		t.Fatalf("刘洋 waits for the added signer, has %+v", ts)
	}
	act(t, s, "yangjing", d.ID, Action{Kind: flow.Approve, Opinion: "已核。"})
	next := act(t, s, "liuyang", d.ID, Action{Kind: flow.Approve, Route: "sign", People: map[string][]string{"sign": {"zhangwei"}}})
	if next[0].Assignee != "zhangwei" {
		t.Fatalf("after 加签: %+v", next)
	}
	// An action the node does not allow.
	if _, err := s.Act(ctx, "zhangwei", next[0].ID, Action{Kind: flow.AddSign, To: "lina"}); CodeOf(err) != "not_allowed" {
		t.Fatalf("add_sign at 签发: %v", err)
	}
	// Someone else's task.
	if _, err := s.Act(ctx, "lina", next[0].ID, Action{Kind: flow.Approve}); CodeOf(err) != "forbidden" {
		t.Fatalf("acting on another's task: %v", err)
	}
	if rep, _ := s.Verify(ctx); rep.Broken != 0 {
		t.Fatalf("verify: %+v", rep)
	}
}

func TestDelegationWindow(t *testing.T) {
	ctx := context.Background()
	s, c := openStore(t)
	d := draft(t, s, "huanglei")
	act(t, s, "huanglei", d.ID, Action{Kind: flow.Approve})
	act(t, s, "yangjing", d.ID, Action{Kind: flow.Approve, Route: "sign", People: map[string][]string{"sign": {"zhangwei"}}})
	// 张伟 delegates to 李娜 for two hours: the open task moves.
	id, err := s.Delegate(ctx, "zhangwei", "lina", "", c.Now(), c.Now().Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	task := open(t, s, "lina", d.ID)
	if task.OnBehalf != "zhangwei" {
		t.Fatalf("delegated task %+v", task)
	}
	// After the window the delegate may not act.
	c.Add(3 * time.Hour)
	if _, err := s.Act(ctx, "lina", task.ID, Action{Kind: flow.Approve}); CodeOf(err) != "forbidden" {
		t.Fatalf("delegate after the window: %v", err)
	}
	if err := s.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if open(t, s, "zhangwei", d.ID).ID != task.ID {
		t.Fatal("the task did not come back")
	}
	// A view that read the task while it was still 李娜's, and asks
	// after the tick gave it back, still finds it 张伟's.
	if back, err := s.delegationEnded(ctx, task.ID, "zhangwei"); err != nil || !back {
		t.Fatalf("delegationEnded after the hand-back = %v, %v; want true", back, err)
	}
	if back, _ := s.delegationEnded(ctx, task.ID, "lina"); back {
		t.Fatal("the task counts as 李娜's own after the hand-back")
	}
	// A new delegation, acted on within its window, then 收回 takes back
	// what is left.
	id, err = s.Delegate(ctx, "zhangwei", "lina", "", c.Now(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Revoke(ctx, "zhangwei", id); err != nil {
		t.Fatal(err)
	}
	act(t, s, "zhangwei", d.ID, Action{Kind: flow.Approve})
}

func TestGaplessNumbersUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	const n = 50
	docs := make([]*Document, n)
	for i := range docs {
		docs[i] = walkToRegister(t, s)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for _, d := range docs {
		task := open(t, s, "zhaoli", d.ID)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Act(ctx, "zhaoli", task.ID, Action{Kind: flow.Approve}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, d := range docs {
		doc, _ := s.Document(ctx, d.ID)
		if seen[doc.Number] {
			t.Fatalf("number %s given twice", doc.Number)
		}
		seen[doc.Number] = true
	}
	for i := 1; i <= n; i++ {
		if !seen[FormatNumber("秀政发", 2026, i)] {
			t.Errorf("number %d missing", i)
		}
	}
	rows, err := s.Register(ctx, "zhaoli", RegisterFilter{Kind: "发文", Organ: "qzf", Year: 2026})
	if err != nil || len(rows) != n {
		t.Fatalf("register: %d rows, %v", len(rows), err)
	}
}

func TestVisibility(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	d := draft(t, s, "huanglei")
	for login, want := range map[string]bool{"huanglei": true, "zhaoli": true, "zhangwei": true, "heping": false, "suntao": false} {
		ok, err := s.CanSee(ctx, login, d.ID)
		if err != nil || ok != want {
			t.Errorf("CanSee(%s) = %v, %v; want %v", login, ok, err, want)
		}
	}
	if _, err := s.ViewOf(ctx, "heping", d.ID); CodeOf(err) != "not_found" {
		t.Errorf("another department's document: %v", err)
	}
	if res, _ := s.Search(ctx, "heping", "安全生产", 10); len(res) != 0 {
		t.Errorf("search shows another department's document: %+v", res)
	}
	if res, _ := s.Search(ctx, "huanglei", "安全", 10); len(res) != 1 {
		t.Errorf("search 安全 found %d", len(res))
	}
}

func TestClassifiedBodyRefused(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	_, _, err := s.Create(ctx, "huanglei", Draft{Flow: "发文", Type: "通知", Title: "关于某事项的通知", Organ: "qzf", Secrecy: "秘密", Body: "内容"})
	if CodeOf(err) != "classified" {
		t.Fatalf("classified body: %v", err)
	}
	d, _, err := s.Create(ctx, "huanglei", Draft{Flow: "发文", Type: "通知", Title: "关于某事项的通知", Organ: "qzf", Secrecy: "秘密", SecrecyTerm: "10年"})
	if err != nil {
		t.Fatalf("classified metadata: %v", err)
	}
	if err := s.UploadBody(ctx, "huanglei", d.ID, "正文.pdf", []byte("%PDF-1.4 test")); CodeOf(err) != "classified" {
		t.Fatalf("classified upload: %v", err)
	}
}

func TestOverdueEvent(t *testing.T) {
	ctx := context.Background()
	s, c := openStore(t)
	d := draft(t, s, "huanglei")
	act(t, s, "huanglei", d.ID, Action{Kind: flow.Approve})
	c.Add(72 * time.Hour)
	if err := s.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	var pub recorder
	if _, err := s.PublishOutbox(ctx, &pub); err != nil {
		t.Fatal(err)
	}
	var overdue int
	for _, ev := range pub.evs {
		if te, ok := ev.(contract.TodoEvent); ok && te.Type == contract.TodoOverdue && te.Todo.Assignee == "yangjing" {
			overdue++
		}
	}
	if overdue != 1 {
		t.Fatalf("%d overdue events for 杨静", overdue)
	}
}

type recorder struct {
	mu  sync.Mutex
	evs []contract.Event
}

func (r *recorder) PublishBatch(_ context.Context, evs []contract.Event) error {
	r.mu.Lock()
	r.evs = append(r.evs, evs...)
	r.mu.Unlock()
	return nil
}

func TestSMSActionOnce(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	d := draft(t, s, "huanglei")
	act(t, s, "huanglei", d.ID, Action{Kind: flow.Approve})
	act(t, s, "yangjing", d.ID, Action{Kind: flow.Approve, Route: "sign", People: map[string][]string{"sign": {"zhangwei"}}})
	task := open(t, s, "zhangwei", d.ID)
	a := contract.OAAction{V: 1, ID: "sms/1", TodoID: TodoID(task.ID), Login: "zhangwei", Action: "approve", Source: "sms", SourceRef: "1"}
	if why, err := s.HandleAction(ctx, a); err != nil || why != "" {
		t.Fatalf("first: %q %v", why, err)
	}
	if why, err := s.HandleAction(ctx, a); err != nil || why != "" {
		t.Fatalf("repeat: %q %v", why, err)
	}
	a.ID = "sms/2"
	why, err := s.HandleAction(ctx, a)
	if err != nil || why == "" {
		t.Fatalf("a second reply to a done task: %q %v", why, err)
	}
	if next := open(t, s, "zhaoli", d.ID); next.Step != "复核" {
		t.Fatalf("after the SMS: %+v", next)
	}
}

// TestShouwenWalk: a 收文 through 签收, 登记 (the 收文号), 初审, 拟办, 批示,
// then 主办 and 协办 in parallel with a 传阅 alongside, joined again for
// 答复, 办结 and 归档; the 传阅 does not hold the flow up.
func TestShouwenWalk(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	d, _, err := s.Create(ctx, "wufang", Draft{Flow: "收文", Type: "通知", Title: "关于开展2027年度安全生产大检查的通知", Organ: "qzf",
		FromUnit: "嘉兴市人民政府", OrigNumber: "嘉政发〔2026〕41号", Urgency: "加急", HandleBy: "2026-12-20"})
	if err != nil {
		t.Fatal(err)
	}
	act(t, s, "wufang", d.ID, Action{Kind: flow.Approve}) // 签收
	act(t, s, "wufang", d.ID, Action{Kind: flow.Approve}) // 登记
	doc, _ := s.Document(ctx, d.ID)
	if doc.InNumber != "秀政收〔2026〕1号" || doc.ReceivedBy != "wufang" || doc.ReceivedAt.IsZero() {
		t.Fatalf("after 签收 and 登记: %q %q %v", doc.InNumber, doc.ReceivedBy, doc.ReceivedAt)
	}
	act(t, s, "zhaoli", d.ID, Action{Kind: flow.Approve, Opinion: "符合行文规则。"})                                                               // 初审
	act(t, s, "liuyang", d.ID, Action{Kind: flow.Approve, Opinion: "拟请李娜副区长阅示，区财政局主办。", People: map[string][]string{"instruct": {"lina"}}}) // 拟办
	next := act(t, s, "lina", d.ID, Action{Kind: flow.Approve, Opinion: "请财政局牵头，教育局配合。", People: map[string][]string{
		"lead": {"suntao"}, "assist": {"zhuhong"}, "circulate": {"zhangwei", "liuyang"}}})
	steps := map[string]int{}
	for _, x := range next {
		steps[x.Step]++
	}
	if steps["主办"] != 1 || steps["协办"] != 1 || steps["传阅：传阅"] != 2 {
		t.Fatalf("after 批示: %v", steps)
	}
	act(t, s, "zhuhong", d.ID, Action{Kind: flow.Approve, Opinion: "已配合。"})
	// The readers have not read, and the flow goes on when both handlers
	// are done.
	next = act(t, s, "suntao", d.ID, Action{Kind: flow.Approve, Opinion: "已部署全区检查。"})
	if len(next) != 1 || next[0].Step != "答复" || next[0].Assignee != "suntao" {
		t.Fatalf("after the join: %+v", next)
	}
	act(t, s, "suntao", d.ID, Action{Kind: flow.Approve, Opinion: "已按要求完成检查并报市政府。"})
	doc, _ = s.Document(ctx, d.ID)
	if doc.Reply == "" {
		t.Error("no 答复 recorded")
	}
	if reads, _ := s.Reads(ctx, "zhangwei", 10); len(reads) != 1 {
		t.Fatalf("张伟's 待阅: %+v", reads)
	}
	rs, _ := s.Reads(ctx, "zhangwei", 10)
	if _, err := s.Act(ctx, "zhangwei", rs[0].ID, Action{Kind: "read"}); err != nil {
		t.Fatal(err)
	}
	act(t, s, "zhaoli", d.ID, Action{Kind: flow.Approve}) // 办结
	act(t, s, "wufang", d.ID, Action{Kind: flow.Approve}) // 归档
	doc, _ = s.Document(ctx, d.ID)
	if doc.State != "已归档" {
		t.Fatalf("state %q", doc.State)
	}
	rows, err := s.Register(ctx, "wufang", RegisterFilter{Kind: "收文"})
	if err != nil || len(rows) != 1 || rows[0].FromUnit != "嘉兴市人民政府" {
		t.Fatalf("收文登记簿: %+v %v", rows, err)
	}
}

// TestTodoOrder: 待办 lists 特急, then 加急, then the rest, each by
// deadline and age, from the tasks' own urgency rank, which follows a
// change of the document's urgency.
func TestTodoOrder(t *testing.T) {
	s, _ := openStore(t)
	ctx := context.Background()
	var ids []int64
	for _, u := range []string{"", "加急", "特急", ""} {
		d, _, err := s.Create(ctx, "huanglei", Draft{Flow: "发文", Type: "通知", Title: "关于" + u + "事项的通知", Urgency: u,
			Organ: "qzf", MainTo: []string{"区政府各部门"}, Body: "正文。"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.ID)
	}
	order := func() []int64 {
		ts, err := s.TodosPage(ctx, "huanglei", 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, x := range ts {
			out = append(out, x.Doc)
		}
		return out
	}
	want := []int64{ids[2], ids[1], ids[0], ids[3]}
	if got := order(); !slices.Equal(got, want) {
		t.Fatalf("待办 order %v, want %v (特急, 加急, then by age)", got, want)
	}
	if got, _ := s.TodosPage(ctx, "huanglei", 1, 2); len(got) != 2 || got[0].Doc != ids[1] || got[1].Doc != ids[0] {
		t.Fatalf("the page from offset 1: %+v", got)
	}
	d, err := s.Document(ctx, ids[3])
	if err != nil {
		t.Fatal(err)
	}
	dr := Draft{Flow: "发文", Type: d.Type, Title: d.Title, Urgency: "特急", Organ: d.Organ, MainTo: d.MainTo, Body: d.Body}
	if err := s.Update(ctx, "huanglei", ids[3], dr); err != nil {
		t.Fatal(err)
	}
	want = []int64{ids[2], ids[3], ids[1], ids[0]}
	if got := order(); !slices.Equal(got, want) {
		t.Fatalf("after the last became 特急: %v, want %v", got, want)
	}
	n, r, err := s.OpenCounts(ctx, "huanglei")
	if err != nil || n != 4 || r != 0 {
		t.Fatalf("OpenCounts = %d, %d, %v; want 4, 0", n, r, err)
	}
}

// TestSearchPDFBody: a 正文 uploaded as a PDF (printed by Chromium) is
// found by the words it shows, a two-character word included.
func TestSearchPDFBody(t *testing.T) {
	s, _ := openStore(t)
	ctx := context.Background()
	d := draft(t, s, "huanglei")
	pdf, err := os.ReadFile("../../internal/officefile/testdata/chromium-notice.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.UploadBody(ctx, "huanglei", d.ID, "正文.pdf", pdf); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"隐患排查", "责任制"} {
		found, err := s.Search(ctx, "huanglei", q, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(found) != 1 || found[0].ID != d.ID {
			t.Fatalf("%q found %+v, want document %d", q, found, d.ID)
		}
	}
}
