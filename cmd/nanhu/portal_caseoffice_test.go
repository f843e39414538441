package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"nanhu/oa/org"
	"nanhu/portal/cases"
	"nanhu/queue/contract"
)

// TestPortalCaseOffice: 梁晓燕 of the case office enters a phone letter
// (代录), the caller gets the 查询码 by SMS; the same caller's second,
// nearly identical call is flagged and merged into the first; once
// answered, the consented letter is reviewed with its personal data taken
// out and published among the 来信选登. A 保密 caller's identity reaches
// neither OA's pages nor its API, and staff outside the case office
// cannot open the case pages.
func TestPortalCaseOffice(t *testing.T) {
	ts := startDemoServer(t)
	st := ts.portal.Cases()
	ctx := context.Background()
	staffURL := "http://" + ts.addr("http")
	portalURL := "http://" + ts.addr("portal")
	root := newBrowsers(t)
	dir := screenshotDir(t)
	lx := person(t, root, staffURL, dir)
	lx.signIn("liangxiaoyan", org.DemoPassword)
	const caller = "13957355555"
	enter := func(title, text string, confidential bool) cases.Case {
		t.Helper()
		lx.visit("/portal/cases")
		lx.click("a[href='/portal/cases/new']")
		lx.do(chromedp.SetValue(chromedp.CSS("#kind"), "complain"), chromedp.SetValue(chromedp.CSS("#category"), "srhj"))
		lx.typeInto("#title", title)
		lx.typeInto("#text", text)
		lx.typeInto("#name", "张小明")
		lx.typeInto("#mobile", caller)
		lx.typeInto("#address", "秀洲区新城街道洪兴西路88号3幢2单元501室")
		lx.do(chromedp.Click(chromedp.CSS("input[name=consent]")))
		if confidential {
			lx.do(chromedp.Click(chromedp.CSS("input[name=confidential]")))
		}
		lx.click("#save-case")
		code := lx.text(".case-code")
		if len(code) != cases.CodeLen {
			lx.shot("phone-not-saved")
			t.Fatalf("代录: %s", lx.text("main"))
		}
		c, err := st.ByCode(ctx, code)
		if err != nil || c.Channel != cases.Phone {
			t.Fatalf("the phone case: %+v %v", c, err)
		}
		if got := ts.smsTo(t, caller, regexp.MustCompile(`查询码 (`+code+`)`)); got != code {
			t.Fatalf("SMS code %q", got)
		}
		return c
	}
	first := enter("洪兴西路人行道地砖松动", "洪兴西路人行道有十几块地砖松动，下雨踩上去会溅水，老人容易摔倒，请尽快修复。", false)
	lx.shot("phone-entered")
	second := enter("洪兴西路人行道地砖松动", "洪兴西路人行道有十几块地砖松动，下雨踩上去会溅水，老人容易摔倒，请尽快修复！", false)
	if second.DuplicateOf != first.ID {
		t.Fatalf("the second call is not flagged as a duplicate of the first: %+v", second)
	}
	lx.visit(fmt.Sprintf("/portal/cases/%d", second.ID))
	if !strings.Contains(lx.text("main"), "疑似重复来信") {
		t.Fatalf("no duplicate notice: %s", lx.text("main"))
	}
	lx.shot("duplicate")
	lx.click("#merge")
	if !strings.Contains(lx.body(), "已合并") {
		t.Fatalf("merge: %s", lx.body())
	}
	ts.smsTo(t, caller, regexp.MustCompile(`(已合并办理)`))
	if c, _ := st.Get(ctx, second.ID); c.MergedInto != first.ID || c.State != cases.Closed {
		t.Fatalf("the merged case: %+v", c)
	}
	// OA closes the merged case's flow.
	waitFor(t, 60*time.Second, "OA to end the merged case's flow", func() bool {
		var state string
		ts.oa.Docs().DB().QueryRow(`SELECT d.state FROM documents d JOIN cases c ON c.doc = d.id WHERE c.case_id = ?`, second.ID).Scan(&state)
		return state == "已合并"
	})

	// Answered (as OA reports it), then reviewed and published.
	for _, s := range []contract.OACase{{Action: contract.CaseAccepted}, {Action: contract.CaseAssigned, Note: "主办：区城市管理局", Dept: "区城市管理局"},
		{Action: contract.CaseReplied, Note: "张小明您好，地砖已于12月3日更换，联系电话13957355555的来电人已回访。"}} {
		s.V, s.ID, s.Case, s.By = 1, contract.NewID(), first.ID, "梁晓燕"
		if err := st.HandleOA(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	lx.visit(fmt.Sprintf("/portal/cases/%d", first.ID))
	reply := eval[string](lx, `document.querySelector('#p-reply').value`)
	if strings.Contains(reply, "张小明") || strings.Contains(reply, caller) || !strings.Contains(reply, "张某") {
		t.Fatalf("the draft keeps personal data: %q", reply)
	}
	lx.shot("publish-review")
	lx.click("#publish")
	if !strings.Contains(lx.body(), "已选登") {
		t.Fatalf("publish: %s", lx.body())
	}
	citizen := person(t, root, portalURL, dir)
	citizen.visit("/laixin")
	citizen.click(fmt.Sprintf("a[href='/laixin/%d']", first.ID))
	pageRules(t, citizen, "laixin")
	page := citizen.text("main")
	for _, secret := range []string{"张小明", caller, "88号", "501室"} {
		if strings.Contains(page, secret) {
			t.Fatalf("the published letter shows %q: %s", secret, page)
		}
	}
	if !strings.Contains(page, "地砖已于12月3日更换") {
		t.Fatalf("the published letter: %s", page)
	}
	citizen.shot("published")
	phoneWidth(t, citizen, "laixin", "/laixin", fmt.Sprintf("/laixin/%d", first.ID))

	// 保密: the identity stays with the case office.
	secret := enter("新城街道夜间施工噪音扰民", "新城街道某工地每天夜里十一点以后还在施工，噪音很大，影响休息。", true)
	var doc int64
	waitFor(t, 60*time.Second, "OA to start the confidential case's flow", func() bool {
		return ts.oa.Docs().DB().QueryRow(`SELECT doc FROM cases WHERE case_id = ?`, secret.ID).Scan(&doc) == nil
	})
	oaPage := person(t, root, staffURL, dir)
	oaPage.signIn("liangxiaoyan", org.DemoPassword)
	oaPage.visit(fmt.Sprintf("/oa/docs/%d", doc))
	if body := oaPage.text("main"); strings.Contains(body, "张小明") || strings.Contains(body, caller) || !strings.Contains(body, "要求保密") {
		oaPage.shot("confidential-leak")
		t.Fatalf("a 保密 writer in OA's page: %s", body)
	}
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/oa/documents/%d", staffURL, doc), nil)
	req.SetBasicAuth("liangxiaoyan", org.DemoPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.Contains(string(b), "张小明") || strings.Contains(string(b), caller) {
		t.Fatalf("a 保密 writer in OA's API: %d %s", resp.StatusCode, b)
	}

	// Outside the case office: no case pages, and no merging either.
	hp := person(t, root, staffURL, dir)
	hp.signIn("heping", org.DemoPassword)
	for _, p := range []string{"/portal/cases", fmt.Sprintf("/portal/cases/%d", first.ID)} {
		hp.visit(p)
		if body := hp.text("main"); !strings.Contains(body, "您没有权限") || strings.Contains(body, "洪兴西路") {
			hp.shot("forbidden-missing")
			t.Fatalf("何平 at %s: %s", p, body)
		}
	}
	if n := eval[int](hp, `document.querySelectorAll('a[href="/portal/cases"]').length`); n != 0 {
		t.Fatalf("何平's menu offers the case pages")
	}
}

// TestPortalApplication: a law firm applies for government information
// (依申请公开) on the portal, its contact's mobile confirmed by SMS; the
// case office sends a 补正 notice, which reaches the applicant by SMS and
// stops the clock; the applicant's SMS reply starts it again; the answer
// is extended once and recorded as 予以公开, and the annual report's
// table counts it, on the page and in Excel.
func TestPortalApplication(t *testing.T) {
	ts := startDemoServer(t)
	st := ts.portal.Cases()
	ctx := context.Background()
	root := newBrowsers(t)
	dir := screenshotDir(t)
	c := person(t, root, "http://"+ts.addr("portal"), dir)
	const mobile = "13957344444"
	c.visit("/area/xxfb")
	c.visit(eval[string](c, `[...document.querySelectorAll('a')].find(a => a.textContent.trim() === '信息公开目录').getAttribute('href')`))
	c.click("a[href='/yishenqing']")
	pageRules(t, c, "application")
	phoneWidth(t, c, "application", "/yishenqing")
	c.visit("/yishenqing")
	c.do(chromedp.Click(chromedp.CSS("input[name=applicant][value=org]")))
	c.typeInto("#name", "陈律师")
	c.typeInto("#org_name", "嘉兴南湖律师事务所")
	c.typeInto("#uscc", "91330411MA2BXY1Q2G")
	c.do(chromedp.SetValue(chromedp.CSS("#org_kind"), "法律服务机构"), chromedp.SetValue(chromedp.CSS("#delivery"), "电子邮件"))
	c.typeInto("#text", "请公开2026年秀洲区老旧小区改造项目的资金安排和施工单位名单。")
	c.typeInto("#mail", "chen@example.org")
	c.typeInto("#mobile", mobile)
	c.click("#get-code")
	code := ts.smsTo(t, mobile, regexp.MustCompile(`验证码：([0-9]{6})`))
	c.typeInto("#verify", code)
	c.shot("application-form")
	c.click("#send-application")
	lookup := c.text(".case-code")
	if len(lookup) != cases.CodeLen {
		c.shot("application-refused")
		t.Fatalf("no 查询码: %s", c.text("main"))
	}
	k, err := st.ByCode(ctx, lookup)
	if err != nil || k.Kind != cases.Disclosure {
		t.Fatalf("the application: %+v %v", k, err)
	}

	lx := person(t, root, "http://"+ts.addr("http"), dir)
	lx.signIn("liangxiaoyan", org.DemoPassword)
	lx.visit(fmt.Sprintf("/portal/cases/%d", k.ID))
	if body := lx.text("main"); !strings.Contains(body, "嘉兴南湖律师事务所") || !strings.Contains(body, "91330411MA2BXY1Q2G") {
		t.Fatalf("the application on the desk: %s", body)
	}
	lx.do(chromedp.SetValue(chromedp.CSS("#clock-step"), "correction-asked"))
	lx.typeInto("#clock-note", "请写明项目所在的街道")
	lx.click("#clock-save")
	if !strings.Contains(lx.body(), "期限停止计算") {
		lx.shot("correction-failed")
		t.Fatalf("补正: %s", lx.body())
	}
	ts.smsTo(t, mobile, regexp.MustCompile(`(需要补正：请写明项目所在的街道)`))
	if _, err := ts.sim.Inbound("+86"+mobile, lookup+" 项目在新城街道和王江泾镇。"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "the correction to restart the clock", func() bool {
		a, _ := st.Application(ctx, k.ID)
		return a.Stopped == ""
	})
	lx.do(chromedp.SetValue(chromedp.CSS("#clock-step"), "extended"))
	lx.typeInto("#clock-days", "20")
	lx.click("#clock-save")
	if !strings.Contains(lx.body(), "答复期限：") {
		t.Fatalf("延期: %s", lx.body())
	}
	lx.do(chromedp.SetValue(chromedp.CSS("#result"), "open"))
	lx.click("#result-save")
	if !strings.Contains(lx.body(), "办理结果已记录") {
		t.Fatalf("result: %s", lx.body())
	}
	lx.shot("application-desk")
	lx.click("a[href='/portal/cases/annual']")
	row := eval[string](lx, `[...document.querySelectorAll('#annual-table tbody tr')].find(r => r.querySelector('th').textContent.trim().startsWith('（一）')).textContent`)
	if !strings.Contains(row, "予以公开") {
		t.Fatalf("予以公开 row: %q", row)
	}
	// 自然人, 商业企业, 科研机构, 社会公益组织, 法律服务机构, 其他, 总计.
	cells := eval[[]string](lx, `[...[...document.querySelectorAll('#annual-table tbody tr')].find(r => r.querySelector('th').textContent.trim().startsWith('（一）')).querySelectorAll('td')].map(td => td.textContent)`)
	if len(cells) != 7 || cells[4] != "1" || cells[6] != "1" {
		t.Fatalf("予以公开 by applicant: %v", cells)
	}
	lx.shot("annual")
	href := eval[string](lx, `document.querySelector('#annual-excel').href`)
	b64 := eval[string](lx, `fetch(`+"`"+href+"`"+`).then(r => r.arrayBuffer()).then(b => { let s = ''; new Uint8Array(b).forEach(c => s += String.fromCharCode(c)); return btoa(s); })`)
	xlsx, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(bytes.NewReader(xlsx))
	if err != nil {
		t.Fatalf("the annual table's export: %v", err)
	}
	rows, _ := x.GetRows("收到和处理政府信息公开申请情况")
	found := false
	for _, r := range rows {
		if len(r) == 8 && strings.HasPrefix(strings.TrimSpace(r[0]), "（一）予以公开") && r[5] == "1" && r[7] == "1" {
			found = true
		}
	}
	if !found {
		t.Fatalf("the export lacks the answer: %v", rows)
	}
}
