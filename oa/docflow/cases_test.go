package docflow

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"nanhu/oa/flow"
	"nanhu/queue/contract"
)

// caseEvents are the oa.case events in the outbox, in order.
func caseEvents(t *testing.T, s *Store) []contract.OACase {
	t.Helper()
	rows, err := s.DB().Query(`SELECT body FROM outbox WHERE topic = 'oa.case' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []contract.OACase
	for rows.Next() {
		var b string
		rows.Scan(&b)
		var ev contract.OACase
		if err := json.Unmarshal([]byte(b), &ev); err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

func opened(id string, c int64) contract.PortalCase {
	return contract.PortalCase{V: 1, ID: id, Type: contract.CaseOpened, Case: c, Number: "2026-000042", Kind: "投诉", Channel: "web",
		Title: "小区门口路灯一个月不亮", Text: "新城街道某小区门口的路灯坏了一个月，晚上出行不便。", Writer: "王芳", Mobile: "+8613900001111", Due: "2026-12-18"}
}

func caseDoc(t *testing.T, s *Store, c int64) int64 {
	t.Helper()
	var doc int64
	if err := s.DB().QueryRow(`SELECT doc FROM cases WHERE case_id = ? ORDER BY doc DESC LIMIT 1`, c).Scan(&doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestCaseFlowWalk(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	ev := opened("ev-1", 42)
	for range 2 { // a redelivered event opens nothing again
		if err := s.HandlePortal(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	s.DB().QueryRow(`SELECT count(*) FROM cases`).Scan(&n)
	if n != 1 {
		t.Fatalf("%d case documents after a redelivery, want 1", n)
	}
	doc := caseDoc(t, s, 42)
	if _, _, err := s.Create(ctx, "liangxiaoyan", Draft{Flow: CaseFlow, Title: "x"}); CodeOf(err) != "not_allowed" {
		t.Fatalf("a 来信 created by hand: %v", err)
	}
	// heping is not given the case yet: he cannot see it.
	if ok, _ := s.CanSee(ctx, "heping", doc); ok {
		t.Fatal("a department sees a case it was not given")
	}
	act(t, s, "liangxiaoyan", doc, Action{Kind: flow.Approve, Opinion: "属于受理范围。"})
	act(t, s, "liangxiaoyan", doc, Action{Kind: flow.Approve, People: map[string][]string{"sign": {"heping"}, "assist": {"mali"}}})
	// 马丽 (环保局) 协办: she reads it, which holds nothing up.
	reads, err := s.Reads(ctx, "mali", 10)
	if err != nil || len(reads) != 1 || reads[0].Doc != doc {
		t.Fatalf("马丽's reading: %+v %v", reads, err)
	}
	if _, err := s.Act(ctx, "mali", reads[0].ID, Action{Kind: "read", Opinion: "已核实，周边无环保问题。"}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.CanSee(ctx, "heping", doc); !ok {
		t.Fatal("the handler cannot see the case given to him")
	}
	if ok, _ := s.CanSee(ctx, "suntao", doc); ok {
		t.Fatal("another department sees the case")
	}
	act(t, s, "heping", doc, Action{Kind: flow.Approve, People: map[string][]string{"handle": {"heping"}}}) // 签收
	act(t, s, "heping", doc, Action{Kind: flow.Approve, Opinion: "路灯已于12月3日修复，今后加强巡查。"})
	act(t, s, "liangxiaoyan", doc, Action{Kind: flow.Approve}) // 审核
	act(t, s, "liangxiaoyan", doc, Action{Kind: flow.Approve}) // 办结
	act(t, s, "liangxiaoyan", doc, Action{Kind: flow.Approve, Opinion: "电话回访，来信人满意。"})
	d, err := s.Document(ctx, doc)
	if err != nil {
		t.Fatal(err)
	}
	if d.State != "已办结" || d.Reply == "" || d.LeadDept != "cgj" {
		t.Fatalf("document at the end: state %q, reply %q, lead %q", d.State, d.Reply, d.LeadDept)
	}
	evs := caseEvents(t, s)
	var got []string
	for _, e := range evs {
		got = append(got, e.Action)
		if e.Case != 42 || e.Validate() != nil {
			t.Fatalf("event %+v: %v", e, e.Validate())
		}
	}
	want := []string{"accepted", "assigned", "replied", "closed"}
	if len(got) != len(want) {
		t.Fatalf("oa.case events %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("oa.case events %v, want %v", got, want)
		}
	}
	if evs[1].Dept != "区城市管理局" || !strings.Contains(evs[1].Note, "协办：区环境保护局") || evs[2].Note != "路灯已于12月3日修复，今后加强巡查。" || evs[2].By != "梁晓燕" {
		t.Fatalf("assigned %+v, replied %+v", evs[1], evs[2])
	}

	// 不满意 (4): a 整改 for the handler, 15 working days.
	rated := contract.PortalCase{V: 1, ID: "ev-2", Type: contract.CaseRated, Case: 42, Number: "2026-000042", Rating: 4, Note: "路灯又坏了"}
	if err := s.HandlePortal(ctx, rated); err != nil {
		t.Fatal(err)
	}
	fix := caseDoc(t, s, 42)
	task := open(t, s, "heping", fix)
	if task.Step != "整改" || task.Due.IsZero() {
		t.Fatalf("整改 task %+v", task)
	}
	act(t, s, "heping", fix, Action{Kind: flow.Approve, Opinion: "已更换灯具。"})
	act(t, s, "liangxiaoyan", fix, Action{Kind: flow.Approve, Opinion: "电话回访，来信人表示满意。"})
	if len(caseEvents(t, s)) != 4 {
		t.Fatal("a 整改 told the portal something")
	}
}

func TestCaseRejectedAndConfidential(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	ev := opened("ev-3", 7)
	ev.Writer, ev.Mobile, ev.Confidential = "", "", true
	if err := s.HandlePortal(ctx, ev); err != nil {
		t.Fatal(err)
	}
	doc := caseDoc(t, s, 7)
	ci, ok, err := s.Case(ctx, doc)
	if err != nil || !ok || ci.Writer != "" || ci.Mobile != "" {
		t.Fatalf("case %+v %v %v", ci, ok, err)
	}
	if _, err := s.Act(ctx, "liangxiaoyan", open(t, s, "liangxiaoyan", doc).ID, Action{Kind: flow.Reject}); CodeOf(err) != "invalid" {
		t.Fatalf("不予受理 without a reason: %v", err)
	}
	act(t, s, "liangxiaoyan", doc, Action{Kind: flow.Reject, Opinion: "属于诉讼程序，请通过司法途径解决"})
	evs := caseEvents(t, s)
	if len(evs) != 1 || evs[0].Action != "rejected" || evs[0].Note != "属于诉讼程序，请通过司法途径解决" {
		t.Fatalf("events %+v", evs)
	}
	d, _ := s.Document(ctx, doc)
	if d.State != "不予受理" {
		t.Fatalf("state %q", d.State)
	}
}

func TestCaseExtension(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	if err := s.HandlePortal(ctx, opened("ev-x", 9)); err != nil {
		t.Fatal(err)
	}
	doc := caseDoc(t, s, 9)
	act(t, s, "liangxiaoyan", doc, Action{Kind: flow.Approve})
	act(t, s, "liangxiaoyan", doc, Action{Kind: flow.Approve, People: map[string][]string{"sign": {"heping"}}})
	act(t, s, "heping", doc, Action{Kind: flow.Approve, People: map[string][]string{"handle": {"heping"}}})
	task := open(t, s, "heping", doc)
	if _, err := s.RequestExtension(ctx, "suntao", task.ID, 5, "x"); CodeOf(err) != "forbidden" {
		t.Fatalf("someone else's 延期: %v", err)
	}
	if _, err := s.RequestExtension(ctx, "heping", task.ID, 5, ""); CodeOf(err) != "invalid" {
		t.Fatalf("a 延期 without a reason: %v", err)
	}
	// Refused first: nothing moves, nothing reaches the portal.
	ext, err := s.RequestExtension(ctx, "heping", task.ID, 5, "需要协调供电公司")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RequestExtension(ctx, "heping", task.ID, 5, "again"); CodeOf(err) != "conflict" {
		t.Fatalf("a second request while one waits: %v", err)
	}
	act(t, s, "liangxiaoyan", ext, Action{Kind: flow.Reject, Opinion: "期限内可以完成"})
	if d, _ := s.Document(ctx, ext); d.State != "延期未批准" {
		t.Fatalf("the refused request: %q", d.State)
	}
	if evs := caseEvents(t, s); len(evs) != 2 { // accepted, assigned
		t.Fatalf("events after a refused 延期: %+v", evs)
	}
	// Asked again and approved: the deadline moves by 5 working days.
	ext, err = s.RequestExtension(ctx, "heping", task.ID, 5, "需要协调供电公司")
	if err != nil {
		t.Fatal(err)
	}
	act(t, s, "liangxiaoyan", ext, Action{Kind: flow.Approve, Opinion: "同意延期。"})
	d, _ := s.Document(ctx, doc)
	if d.HandleBy != "2026-12-25" { // 12-18 (Friday) + 5 working days
		t.Fatalf("办理时限 after the 延期: %q", d.HandleBy)
	}
	if got := open(t, s, "heping", doc); got.Due.Format("2006-01-02") != "2026-12-25" {
		t.Fatalf("the handler's task is due %v", got.Due)
	}
	evs := caseEvents(t, s)
	if last := evs[len(evs)-1]; last.Action != contract.CaseExtended || last.Days != 5 || last.Case != 9 {
		t.Fatalf("the portal's event: %+v", last)
	}
	if _, err := s.RequestExtension(ctx, "heping", task.ID, 3, "还要再等"); CodeOf(err) != "not_allowed" {
		t.Fatalf("a second 延期: %v", err)
	}
	// The extension's document is not the case's round: info goes to the case.
	if err := s.HandlePortal(ctx, contract.PortalCase{V: 1, ID: "ev-y", Type: contract.CaseInfoAdded, Case: 9, Number: "2026-000042", Info: "补充"}); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.Document(ctx, doc); !strings.Contains(d.Body, "补充") {
		t.Fatal("the info went elsewhere")
	}
}
