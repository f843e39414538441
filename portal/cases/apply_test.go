package cases

import (
	"context"
	"strings"
	"testing"
	"time"

	"nanhu/internal/workcal"
)

func application(kind string) Submission {
	sub := Submission{Channel: Phone, By: "liangxiaoyan", Kind: Disclosure, Text: "请公开2026年秀洲区老旧小区改造项目的资金安排和施工单位名单。",
		Writer: Writer{Name: "王五", Mobile: "13957322222", Mail: "wang@example.org", Address: "秀洲区新城街道"}}
	a := &Application{Type: ApplicantPerson, IDNumber: "11010519491231002x", Delivery: "电子邮件", Carrier: "电子"}
	if kind == ApplicantOrg {
		a = &Application{Type: ApplicantOrg, OrgName: "嘉兴南湖律师事务所", USCC: "91330411MA2BXY1Q2G", OrgKind: "法律服务机构", Delivery: "邮寄", Carrier: "纸质"}
	}
	sub.Application = a
	return sub
}

func TestApplicationChecks(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	for _, c := range []struct {
		name  string
		edit  func(*Submission)
		field string
	}{
		{"no form", func(s *Submission) { s.Application = nil }, "kind"},
		{"bad id check digit", func(s *Submission) { s.Application.IDNumber = "110105194912310021" }, "id_number"},
		{"bad birth date", func(s *Submission) { s.Application.IDNumber = "110105194913310029" }, "id_number"},
		{"mail wanted, none given", func(s *Submission) { s.Writer.Mail = "" }, "mail"},
		{"vague", func(s *Submission) { s.Text = "请公开文件" }, "text"},
		{"no delivery", func(s *Submission) { s.Application.Delivery = "飞鸽" }, "delivery"},
	} {
		t.Run(c.name, func(t *testing.T) {
			sub := application(ApplicantPerson)
			c.edit(&sub)
			_, err := s.Submit(ctx, sub)
			inv, ok := err.(*Invalid)
			if !ok || inv.Field != c.field {
				t.Fatalf("err %v, want a problem with %s", err, c.field)
			}
		})
	}
	org := application(ApplicantOrg)
	org.Application.USCC = "91330411MA2BXY1Q2H"
	if _, err := s.Submit(ctx, org); err == nil || !strings.Contains(err.Error(), "统一社会信用代码") {
		t.Fatalf("a bad 统一社会信用代码: %v", err)
	}
	c, err := s.Submit(ctx, application(ApplicantOrg))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.Title, "申请公开：") {
		t.Fatalf("title %q", c.Title)
	}
	a, err := s.Application(ctx, c.ID)
	if err != nil || a.OrgName != "嘉兴南湖律师事务所" || a.IDNumber != "" {
		t.Fatalf("application %+v %v", a, err)
	}
}

func TestApplicationClockAndAnnualTable(t *testing.T) {
	s, clk := openTest(t) // Friday 2026-09-25, National Day ahead
	ctx := context.Background()
	c, err := s.Submit(ctx, application(ApplicantPerson))
	if err != nil {
		t.Fatal(err)
	}
	// 补正 asked on Monday 09-28; the clock stands until the answer.
	clk.add(3 * 24 * time.Hour)
	if _, err := s.ClockStep(ctx, c.ID, CorrectionAsked, 0, "", "liangxiaoyan"); err == nil {
		t.Fatal("a 补正 notice without what to correct")
	}
	clock, err := s.ClockStep(ctx, c.ID, CorrectionAsked, 0, "请写明项目所在的街道", "liangxiaoyan")
	if err != nil || !clock.Due.IsZero() || clock.Stopped == "" {
		t.Fatalf("after the 补正 notice: %+v %v", clock, err)
	}
	// The applicant answers by adding to the case on Friday 10-09: the
	// 20 working days start again from then (Saturday 10-10 is worked).
	clk.add(11 * 24 * time.Hour)
	if _, err := s.AddInfo(ctx, c.Code, SMS, "项目在新城街道和王江泾镇。", "sms-9"); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Get(ctx, c.ID)
	a, _ := s.Application(ctx, c.ID)
	if a.Stopped != "" || got.Due.In(workcal.Shanghai()).Format("2006-01-02") != "2026-11-05" {
		t.Fatalf("after the correction: stopped %q, due %s", a.Stopped, got.Due)
	}
	if _, err := s.ClockStep(ctx, c.ID, Extended, 15, "", "liangxiaoyan"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClockStep(ctx, c.ID, Extended, 5, "", "liangxiaoyan"); err == nil {
		t.Fatal("a second extension")
	}
	got, _ = s.Get(ctx, c.ID)
	if got.Due.In(workcal.Shanghai()).Format("2006-01-02") != "2026-11-26" {
		t.Fatalf("after the extension: due %s", got.Due)
	}
	if err := s.SetResult(ctx, c.ID, "refused", "", "liangxiaoyan"); err == nil {
		t.Fatal("不予公开 without its reason")
	}
	if err := s.SetResult(ctx, c.ID, "refused", "属于四类过程性信息", "liangxiaoyan"); err != nil {
		t.Fatal(err)
	}
	org, err := s.Submit(ctx, application(ApplicantOrg))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetResult(ctx, org.ID, "open", "", "liangxiaoyan"); err != nil {
		t.Fatal(err)
	}
	// One more, not answered this year: carried into the next.
	sub := application(ApplicantPerson)
	sub.Writer.Mobile, sub.Text = "13957300000", "请公开本区2026年政府集中采购目录和限额标准的文件。"
	if _, err := s.Submit(ctx, sub); err != nil {
		t.Fatal(err)
	}
	tab, err := s.AnnualTable(ctx, 2026)
	if err != nil {
		t.Fatal(err)
	}
	row := func(label string) []int {
		for _, r := range tab.Rows {
			if strings.Contains(r.Label, label) {
				return r.Values
			}
		}
		t.Fatalf("no row %q", label)
		return nil
	}
	last := len(tab.Columns) - 1
	if v := row("本年新收"); v[0] != 2 || v[4] != 1 || v[last] != 3 {
		t.Fatalf("new: %v", v)
	}
	if v := row("不予公开"); v[0] != 1 || v[last] != 1 {
		t.Fatalf("不予公开: %v", v)
	}
	if v := row("属于四类过程性信息"); v[last] != 1 {
		t.Fatalf("its reason: %v", v)
	}
	if v := row("予以公开"); v[4] != 1 {
		t.Fatalf("予以公开 (法律服务机构): %v", v)
	}
	if v := row("总计"); v[last] != 2 {
		t.Fatalf("total: %v", v)
	}
	if v := row("结转下年度"); v[last] != 1 {
		t.Fatalf("carried: %v", v)
	}
	if tab2, _ := s.AnnualTable(ctx, 2027); tab2.Rows[1].Values[last] != 1 {
		t.Fatalf("2027 carries in %v", tab2.Rows[1].Values)
	}
}
