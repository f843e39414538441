package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

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
