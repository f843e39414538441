package cases

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"nanhu/internal/workcal"

	"nanhu/queue/contract"
)

// outboxOf is what waits in the store's outbox: topic and body.
func outboxOf(t *testing.T, s *Store) (topics []string, bodies []string) {
	t.Helper()
	rows, err := s.db.Reader().Query(`SELECT topic, body FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var tp, b string
		rows.Scan(&tp, &b)
		topics, bodies = append(topics, tp), append(bodies, b)
	}
	return topics, bodies
}

func TestHandlingThroughOA(t *testing.T) {
	s, clk := openTest(t)
	ctx := context.Background()
	sub := complaint()
	sub.Confidential = true
	c, err := s.Submit(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	topics, bodies := outboxOf(t, s)
	if len(topics) != 2 || topics[0] != contract.TopicPortalCase || topics[1] != contract.TopicNotifySMS || !strings.Contains(bodies[1], c.Code) {
		t.Fatalf("outbox after a submission: %v %v", topics, bodies)
	}
	// 保密: the writer's identity never leaves for OA.
	for _, secret := range []string{"张三", "13957311111", "新塍镇\"", "address"} {
		if strings.Contains(bodies[0], secret) {
			t.Fatalf("portal.case of a confidential writer carries %q: %s", secret, bodies[0])
		}
	}
	step := func(id, action, note, dept string) {
		t.Helper()
		ev := contract.OACase{V: 1, ID: id, Case: c.ID, Action: action, By: "梁晓燕", Note: note, Dept: dept}
		for range 2 { // redelivered: once
			if err := s.HandleOA(ctx, ev); err != nil {
				t.Fatalf("%s: %v", action, err)
			}
		}
	}
	step("e1", contract.CaseAccepted, "", "")
	step("e2", contract.CaseAssigned, "主办：区城市管理局", "区城市管理局")
	if _, err := s.Rate(ctx, c.Code, 2, Web, "", ""); err == nil {
		t.Fatal("a case rated before its reply")
	}
	step("e3", contract.CaseReplied, "垃圾已于当天清运，今后每日清运两次。", "")
	step("e4", contract.CaseClosed, "", "")
	got, _ := s.Get(ctx, c.ID)
	if got.State != Closed || got.Dept != "区城市管理局" || got.Reply == "" {
		t.Fatalf("case after OA: %+v", got)
	}
	topics, bodies = outboxOf(t, s)
	var sms []string
	for i, tp := range topics {
		if tp == contract.TopicNotifySMS {
			sms = append(sms, bodies[i])
		}
	}
	if len(sms) != 4 || !strings.Contains(sms[0], "已登记") || !strings.Contains(sms[1], "已受理") || !strings.Contains(sms[2], "已答复") ||
		!strings.Contains(sms[3], "已办结") {
		t.Fatalf("the citizen's SMS: %v", sms)
	}
	for _, m := range sms {
		if !strings.Contains(m, c.Code) {
			t.Fatalf("an SMS without the 查询码: %s", m)
		}
	}
	v, _ := s.Lookup(ctx, c.Code)
	if v.RateBy.IsZero() || v.Reply == "" {
		t.Fatalf("lookup after the reply: %+v", v)
	}
	// The SMS digit rates the newest answered case of the number.
	r, err := s.LatestRateable(ctx, "13957311111")
	if err != nil || r.ID != c.ID {
		t.Fatalf("rateable %v %v", r.ID, err)
	}
	for range 2 {
		if _, err := s.Rate(ctx, c.Code, 4, SMS, "", "sms-1"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Rate(ctx, c.Code, 1, Web, "", ""); err == nil {
		t.Fatal("rated twice")
	}
	topics, bodies = outboxOf(t, s)
	if last := bodies[len(bodies)-1]; topics[len(topics)-1] != contract.TopicPortalCase || !strings.Contains(last, `"rating":4`) {
		t.Fatalf("no rated event: %s", last)
	}
	// 重办 within the window, then no more after it.
	if _, err := s.Reopen(ctx, c.Code, "垃圾又堆起来了"); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Get(ctx, c.ID)
	if got.State != Assigned || got.Rework != 1 || got.Rating != 0 {
		t.Fatalf("reopened: %+v", got)
	}
	step("e5", contract.CaseReplied, "已安排每日巡查。", "")
	clk.add(40 * 24 * time.Hour)
	if _, err := s.Rate(ctx, c.Code, 2, Web, "", ""); err == nil || !strings.Contains(err.Error(), "期限") {
		t.Fatalf("rated after the window: %v", err)
	}
	if _, err := s.Reopen(ctx, c.Code, "还是不行"); err == nil {
		t.Fatal("reopened after the window")
	}
}

func TestStats(t *testing.T) {
	s, clk := openTest(t)
	ctx := context.Background()
	start := clk.now()
	var codes []string
	for i := range 4 {
		sub := complaint()
		sub.Title = fmt.Sprintf("新塍镇农贸市场门口垃圾堆放%d", i)
		sub.Text = fmt.Sprintf("第 %d 件：%s", i, strings.Repeat("不同的内容", i+1))
		sub.Writer.Mobile = fmt.Sprintf("1395731111%d", i)
		sub.Category = []string{"szss", "szss", "jtcx", "szss"}[i]
		c, err := s.Submit(ctx, sub)
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, c.Code)
		ev := func(id, action, note, dept string) {
			if err := s.HandleOA(ctx, contract.OACase{V: 1, ID: id, Case: c.ID, Action: action, By: "梁晓燕", Note: note, Dept: dept}); err != nil {
				t.Fatal(err)
			}
		}
		ev(fmt.Sprint("a", i), contract.CaseAccepted, "", "")
		ev(fmt.Sprint("b", i), contract.CaseAssigned, "主办", []string{"区城市管理局", "区城市管理局", "区交通运输局", "区城市管理局"}[i])
		if i < 3 {
			ev(fmt.Sprint("c", i), contract.CaseReplied, "已处理。", "")
		}
	}
	// Friday 09-25 10:00 in, replied the same day: 0 working days, on time.
	if _, err := s.Rate(ctx, codes[0], 1, Web, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rate(ctx, codes[1], 4, Web, "", ""); err != nil {
		t.Fatal(err)
	}
	st, err := s.Stats(ctx, start.AddDate(0, 0, -1), start.AddDate(0, 1, 0), "")
	if err != nil {
		t.Fatal(err)
	}
	tot := st.Total
	if tot.Received != 4 || tot.Answered != 3 || tot.OnTime != 3 || tot.OnTimeRate() != 1 || tot.Ratings[1] != 1 || tot.Ratings[4] != 1 || tot.Ratings[0] != 1 {
		t.Fatalf("totals %+v", tot)
	}
	if len(st.Depts) != 2 || st.Depts[0].Dept != "区城市管理局" || st.Depts[0].Received != 3 || st.Depts[0].Answered != 2 {
		t.Fatalf("departments %+v", st.Depts)
	}
	if len(st.Categories) != 2 || st.Categories[0] != (CategoryCount{"szss", 3}) {
		t.Fatalf("categories %+v", st.Categories)
	}
	if len(st.Months) != 2 || st.Months[0].Month != 202609 || st.Months[0].Received != 4 || st.Months[1].Received != 0 {
		t.Fatalf("months %+v", st.Months)
	}
	// A month later the unrated answer's window has closed: it counts as
	// 满意 (UnratedAs).
	clk.add(40 * 24 * time.Hour)
	st, _ = s.Stats(ctx, start.AddDate(0, 0, -1), start.AddDate(0, 1, 0), "区城市管理局")
	if st.Total.Ratings[2] != 0 || st.Total.Ratings[0] != 0 || st.Total.Received != 3 {
		// case 3 (codes[2]) is 交通运输局's; 城管局's two are rated
		t.Fatalf("城管局 later: %+v", st.Total)
	}
	st, _ = s.Stats(ctx, start.AddDate(0, 0, -1), start.AddDate(0, 1, 0), "区交通运输局")
	if st.Total.Ratings[2] != 1 || st.Total.Ratings[0] != 0 {
		t.Fatalf("交通运输局 later: %+v", st.Total)
	}
}

// TestRollupIsTheCases: whatever happens to the cases, the rollup's
// figures for whole months are the cases' own, counted one by one.
func TestRollupIsTheCases(t *testing.T) {
	s, clk := openTest(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	depts := []string{"区城市管理局", "区交通运输局", "区教育局"}
	var ids []int64
	codes := map[int64]string{}
	for i := range 60 {
		sub := complaint()
		sub.Title = fmt.Sprintf("第%d件来信反映的事项说明", i)
		sub.Text = fmt.Sprintf("来信 %d：%s", i, strings.Repeat("内容", 1+i%7))
		sub.Writer.Mobile = fmt.Sprintf("139573%05d", rng.IntN(20))
		sub.Category = []string{"srhj", "szss", "jtcx", ""}[rng.IntN(4)]
		c, err := s.Submit(ctx, sub)
		if err != nil {
			t.Fatal(err)
		}
		ids, codes[c.ID] = append(ids, c.ID), c.Code
		step := func(action, note, dept string) {
			s.HandleOA(ctx, contract.OACase{V: 1, ID: contract.NewID(), Case: c.ID, Action: action, By: "梁晓燕", Note: note, Dept: dept})
		}
		step(contract.CaseAccepted, "", "")
		if rng.IntN(5) > 0 {
			step(contract.CaseAssigned, "主办", depts[rng.IntN(len(depts))])
		}
		if rng.IntN(3) > 0 {
			clk.add(time.Duration(rng.IntN(200)) * time.Hour)
			step(contract.CaseReplied, "已处理。", "")
			if rng.IntN(2) == 0 {
				s.Rate(ctx, c.Code, 1+rng.IntN(5), Web, "", "")
			}
			if rng.IntN(6) == 0 {
				s.Reopen(ctx, c.Code, "不满意")
				step(contract.CaseAssigned, "主办", depts[rng.IntN(len(depts))])
			}
		}
		if i%9 == 8 && len(ids) > 2 {
			s.Merge(ctx, ids[len(ids)-2], c.ID, "liangxiaoyan")
		}
		clk.add(time.Duration(rng.IntN(48)) * time.Hour)
	}
	clk.add(45 * 24 * time.Hour) // some rating windows close
	from := time.Date(2026, 9, 1, 0, 0, 0, 0, workcal.Shanghai())
	to := time.Date(2027, 1, 1, 0, 0, 0, 0, workcal.Shanghai())
	for _, d := range append([]string{""}, depts...) {
		got, err := s.Stats(ctx, from, to, d)
		if err != nil {
			t.Fatal(err)
		}
		want, err := s.Recount(ctx, from, to, d)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got.Total, got.Depts, got.Months, got.Categories) != fmt.Sprint(want.Total, want.Depts, want.Months, want.Categories) {
			t.Fatalf("dept %q: rollup\n%+v\nrecount\n%+v", d, got, want)
		}
		if d == "" && got.Total.Received == 0 {
			t.Fatal("nothing counted")
		}
	}
}

func TestOverdueDays(t *testing.T) {
	s, clk := openTest(t) // Friday 2026-09-25 10:00; a 投诉 has 13 working days
	ctx := context.Background()
	c, err := s.Submit(ctx, complaint())
	if err != nil {
		t.Fatal(err)
	}
	if n := s.OverdueDays(c); n != 0 {
		t.Fatalf("a new case is %d days overdue", n)
	}
	clk.add(40 * 24 * time.Hour)
	c, _ = s.Get(ctx, c.ID)
	n := s.OverdueDays(c)
	if n <= SuperviseAfter {
		t.Fatalf("40 days later: %d working days overdue", n)
	}
	s.HandleOA(ctx, contract.OACase{V: 1, ID: "r", Case: c.ID, Action: contract.CaseAccepted, By: "x"})
	s.HandleOA(ctx, contract.OACase{V: 1, ID: "s", Case: c.ID, Action: contract.CaseReplied, By: "x", Note: "已处理"})
	c, _ = s.Get(ctx, c.ID)
	if s.OverdueDays(c) != 0 {
		t.Fatal("an answered case is overdue")
	}
}
