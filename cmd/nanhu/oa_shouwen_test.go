package main

import (
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestShouwenInBrowser walks a 收文 through the pages with demo people:
// 吴芳 (收发员) 签收 and registers it (秀政收〔年〕1号), 赵丽 初审, 刘洋
// 拟办 and sends it to 张伟 for 批示 — but 张伟 has 委托'd his work to
// 李娜 until tomorrow, so 李娜 批示 on his behalf, dividing it among 孙涛
// (主办), 朱红 (协办) and a 传阅 to 刘洋, which holds nothing up. After
// 答复, 赵丽 returns it to 批示 at 办结; by the time 李娜 opens that task
// the 委托 has ended, she is refused with the reason, and 张伟 批示
// himself. Then it is 办结 and 归档.
func TestShouwenInBrowser(t *testing.T) {
	var skew atomic.Int64 // how far OA's clock runs ahead
	ts := startDemoServer(t, func(c *Config) {
		c.oaNow = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	})
	const title = "关于开展2027年度全市安全生产大检查的通知"
	year := time.Now().In(shanghai(t)).Year()
	w := newDocWalk(t, ts, title, false)
	as, open, approve := w.as, w.open, w.approve
	check := func(b *browser, sels ...string) {
		t.Helper()
		for _, sel := range sels {
			b.do(chromedp.Click(chromedp.CSS(sel)))
		}
	}

	// 张伟 goes on a trip: his work goes to 李娜 until tomorrow evening.
	zw := as("zhangwei")
	zw.visit("/oa/delegations")
	tomorrow := time.Now().In(shanghai(t)).AddDate(0, 0, 1).Format("2006-01-02") + "T18:00"
	zw.do(chromedp.SetValue(chromedp.CSS("#delegate"), "lina"), chromedp.SetValue(chromedp.CSS("#ends"), tomorrow))
	zw.click("form[action='/oa/delegations'] button[type=submit]")
	if body := zw.text("main"); !strings.Contains(body, "委托已设置") || !strings.Contains(body, "生效中") {
		t.Fatalf("delegation: %s", body)
	}
	zw.shot("delegation")

	// 吴芳 receives the paper and enters it.
	wf := as("wufang")
	wf.visit("/oa/new?flow=" + url.QueryEscape("收文"))
	wf.typeInto("#title", title)
	wf.typeInto("#from_unit", "嘉兴市人民政府")
	wf.typeInto("#orig_number", "嘉政发〔2026〕41号")
	handleBy := time.Now().In(shanghai(t)).AddDate(0, 0, 14).Format("2006-01-02")
	wf.do(chromedp.SetValue(chromedp.CSS("#handling"), "办件"), chromedp.SetValue(chromedp.CSS("#urgency"), "特急"),
		chromedp.SetValue(chromedp.CSS("#handle_by"), handleBy), chromedp.SetValue(chromedp.CSS("#organ"), "qzf"),
		chromedp.SetValue(chromedp.CSS("#type"), "通知"))
	wf.shot("receive-form")
	wf.click("form.doc-form button[type=submit]")
	m := docPath.FindStringSubmatch(wf.location())
	if m == nil {
		t.Fatalf("saving the 收文 went to %s: %s", wf.location(), wf.body())
	}
	w.doc = "/oa/docs/" + m[1]
	doc := w.doc
	approve(wf, "登记：吴芳")
	approve(wf, "初审：赵丽")
	in := fmt.Sprintf("秀政收〔%d〕1号", year)
	if body := wf.body(); !strings.Contains(body, in) || !strings.Contains(body, "嘉政发〔2026〕41号") {
		t.Fatalf("after 登记 the page lacks %s: %s", in, body)
	}
	wf.shot("registered-in")

	zl := open("zhaoli", "初审")
	zl.typeInto("textarea[name=opinion]", "符合收文要求。")
	approve(zl, "拟办：刘洋")
	ly := open("liuyang", "拟办")
	check(ly, "input[name$='.instruct'][value=zhangwei]")
	ly.typeInto("textarea[name=opinion]", "拟请张伟区长阅示，区财政局主办、区教育局协办。")
	ly.shot("propose")
	approve(ly, "批示：李娜")

	// Inside the window: 李娜 批示 for 张伟.
	ln := open("lina", "批示")
	if body := ln.body(); !strings.Contains(body, "代张伟") {
		t.Errorf("李娜's page does not say she acts for 张伟: %s", body)
	}
	check(ln, "input[name$='.lead'][value=suntao]", "input[name$='.assist'][value=zhuhong]", "input[name$='.circulate'][value=liuyang]")
	ln.typeInto("textarea[name=opinion]", "请财政局牵头，教育局配合，月底前报结果。")
	ln.shot("instruct-on-behalf")
	approve(ln, "主办：孙涛")

	// 主办 and 协办 in parallel, a 传阅 alongside that holds nothing up.
	zh := open("zhuhong", "协办")
	zh.typeInto("textarea[name=opinion]", "已安排教育系统同步检查。")
	approve(zh, "同意完成")
	st := open("suntao", "主办")
	st.typeInto("textarea[name=opinion]", "已部署全区检查。")
	approve(st, "答复：孙涛")
	st.typeInto("textarea[name=opinion]", "已按要求完成检查，报告已报市政府。")
	approve(st, "办结：赵丽")
	ly.visit("/oa")
	ly.click("a[href$='tab=read']")
	if body := ly.text("main"); !strings.Contains(body, title) {
		t.Fatalf("刘洋's 待阅 lacks the 传阅: %s", body)
	}
	ly.visit(doc)
	ly.click("button[name=action][value=read]")
	if body := ly.body(); !strings.Contains(body, "已阅") {
		t.Errorf("after 已阅: %s", body)
	}
	ly.shot("circulated-read")

	// 办结 sends it back to 批示 while the 委托 still runs: 李娜's again.
	zl = open("zhaoli", "办结")
	zl.typeInto("textarea[name=opinion]", "请领导再阅示答复内容。")
	zl.do(chromedp.SetValue(chromedp.CSS("select[name=target]"), "instruct"))
	zl.click("button[name=action][value=return]")
	ln.visit(doc)
	if where := ln.text("#where"); !strings.Contains(where, "批示：李娜") {
		t.Fatalf("after 退回 to 批示: %q", where)
	}

	// After the window: two days later 李娜 is refused, with the reason.
	skew.Store(int64(48 * time.Hour))
	ln.visit(doc)
	ln.shot("delegate-after-window-page")
	if body := ln.body(); !strings.Contains(body, "到期") || !strings.Contains(body, "不能再代") {
		t.Fatalf("李娜 acting after the 委托 ended: %s", body)
	}
	ln.shot("delegate-after-window")
	zw.visit(doc)
	if where := zw.text("#where"); !strings.Contains(where, "批示") {
		t.Fatalf("张伟's view: %q", where)
	}
	zw.shot("principal-back")
	check(zw, "input[name$='.lead'][value=suntao]", "input[name$='.assist'][value=zhuhong]")
	zw.typeInto("textarea[name=opinion]", "同意答复。")
	approve(zw, "主办：孙涛")
	zw.shot("principal-instructs")
	approve(open("zhuhong", "协办"), "同意完成")
	st = open("suntao", "主办")
	approve(st, "答复：孙涛")
	approve(st, "办结：赵丽")
	approve(open("zhaoli", "办结"), "归档：吴芳")
	wf = open("wufang", "归档")
	approve(wf, "同意完成")
	if where := wf.text("#where"); !strings.Contains(where, "已归档") {
		t.Errorf("at the end the page says %q", where)
	}
	body := wf.body()
	for _, want := range []string{"代张伟", "传阅", "协办", "主办", "退回"} {
		if !strings.Contains(body, want) {
			t.Errorf("the trail lacks %s", want)
		}
	}
	wf.shot("archived")
	wf.visit("/oa/registers/incoming")
	if body := wf.text("main"); !strings.Contains(body, in) || !strings.Contains(body, "嘉兴市人民政府") {
		t.Errorf("the 收文登记簿 lacks the document: %s", body)
	}
	wf.shot("register-in")
}
