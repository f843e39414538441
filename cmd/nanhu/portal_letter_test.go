package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-smtp"
	"github.com/xuri/excelize/v2"

	"nanhu/portal/cases"
	"nanhu/queue/contract"
)

// smsTo waits for an SMS to mobile (11 digits) that the simulated modem
// carried with text matching re, and returns re's first group.
func (ts *testServer) smsTo(t *testing.T, mobile string, re *regexp.Regexp) string {
	t.Helper()
	var got string
	waitFor(t, 60*time.Second, "an SMS to "+mobile, func() bool {
		for _, m := range ts.sim.Messages() {
			if m.To == "+86"+mobile {
				if g := re.FindStringSubmatch(m.Text); g != nil {
					got = g[1]
					return true
				}
			}
		}
		return false
	})
	return got
}

// TestPortalLetter: a citizen writes a 投诉 on the portal, confirms the
// mobile with the code the simulated modem carried, gets the 查询码 on
// the page and by SMS, and follows the case on the lookup page as it is
// accepted, handled and answered. Wrong codes, guessed 查询码s and forms
// from other sites are refused.
func TestPortalLetter(t *testing.T) {
	// Night or day, 何平's to-do reaches him by SMS at once.
	ts := startDemoServer(t, func(c *Config) { c.Notify.QuietHours, c.Notify.DigestWindow = "none", Duration{} })
	portalURL := "http://" + ts.addr("portal")
	dir := screenshotDir(t)
	root := newBrowsers(t)
	c := person(t, root, portalURL, dir)
	const mobile = "13957366666"

	c.visit("/area/hdjl")
	ldxx := eval[string](c, `[...document.querySelectorAll('a')].find(a => a.textContent.trim() === '领导信箱').getAttribute('href')`)
	c.visit(ldxx)
	c.click("a[href='/xiexin']")
	pageRules(t, c, "letter")
	c.do(chromedp.SetValue(chromedp.CSS("#kind"), "complain"))
	c.typeInto("#title", "新塍镇农贸市场门口垃圾堆放")
	c.typeInto("#text", "新塍镇农贸市场东门口的垃圾已经堆放三天没人清运，气味很大。\n请尽快安排清运。")
	c.typeInto("#name", "张三")
	c.typeInto("#mobile", mobile)
	// Sending without the code is refused, and the form keeps what was typed.
	c.click("#send-letter")
	if !strings.Contains(c.text(".problem"), "验证码") || eval[string](c, `document.querySelector('#title').value`) != "新塍镇农贸市场门口垃圾堆放" {
		c.shot("no-code")
		t.Fatalf("sent without a code: %s", c.text("main"))
	}
	c.click("#get-code")
	if !strings.Contains(c.text(".notice"), "139****6666") {
		c.shot("code-not-sent")
		t.Fatalf("no code sent: %s", c.text("main"))
	}
	code := ts.smsTo(t, mobile, regexp.MustCompile(`验证码：([0-9]{6})`))
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	c.typeInto("#verify", wrong)
	c.click("#send-letter")
	if !strings.Contains(c.text(".problem"), "验证码不对") {
		t.Fatalf("a wrong code: %s", c.text("main"))
	}
	c.typeInto("#verify", code)
	// A picture of the place, attached after the code was sent.
	photo := filepath.Join(t.TempDir(), "现场照片.png")
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, img); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(photo, pngBuf.Bytes(), 0o600)
	c.do(chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{photo}))
	c.shot("letter-form")
	c.click("#send-letter")
	lookup := c.text(".case-code")
	if len(lookup) != cases.CodeLen {
		c.shot("not-sent")
		t.Fatalf("no 查询码: %s", c.text("main"))
	}
	c.shot("letter-sent")
	if got := ts.smsTo(t, mobile, regexp.MustCompile(`查询码 ([0-9A-Z]{12})`)); got != lookup {
		t.Fatalf("the SMS carried %q, the page %q", got, lookup)
	}

	// The lookup page, by the code typed in lower case with spaces.
	c.visit("/chaxun")
	c.typeInto("#code", strings.ToLower(lookup[:6])+" "+strings.ToLower(lookup[6:]))
	c.click("form[action='/chaxun'] button")
	if c.text(".case-state") != "已受理" || !strings.Contains(c.text(".case"), "请尽快安排清运") {
		c.shot("lookup")
		t.Fatalf("lookup: %s", c.text("main"))
	}
	pageRules(t, c, "lookup")

	// Handling in OA, each step a to-do: 梁晓燕 (受理员 of the 信访局)
	// accepts the case and gives it to 何平 of 城管局; 何平, offline,
	// hears of it by SMS and writes the answer; 梁晓燕 approves it.
	st := ts.portal.Cases()
	ctx := context.Background()
	k, err := st.ByCode(ctx, lookup)
	if err != nil {
		t.Fatal(err)
	}
	var doc int64
	waitFor(t, 60*time.Second, "OA to start the case's flow", func() bool {
		return ts.oa.Docs().DB().QueryRow(`SELECT doc FROM cases WHERE case_id = ?`, k.ID).Scan(&doc) == nil
	})
	w := newDocWalk(t, ts, "新塍镇农贸市场门口垃圾堆放", false)
	w.doc = fmt.Sprintf("/oa/docs/%d", doc)
	lx := w.open("liangxiaoyan", "受理")
	if body := lx.text("main"); !strings.Contains(body, "张三") || !strings.Contains(body, "请尽快安排清运") {
		lx.shot("case-in-oa")
		t.Fatalf("the case in OA: %s", body)
	}
	// The picture is on the 来信's page, for whoever may see the 来信.
	href := eval[string](lx, `document.querySelector('.case-files a') ? document.querySelector('.case-files a').href : ''`)
	if href == "" || !strings.Contains(lx.text(".case-files"), "现场照片.png") {
		t.Fatalf("the attachment is not on the 来信's page: %s", lx.text("main"))
	}
	if got := eval[string](lx, `fetch(`+"`"+href+"`"+`).then(r => r.arrayBuffer()).then(b => { let s = ''; new Uint8Array(b).forEach(c => s += String.fromCharCode(c)); return btoa(s); })`); got != base64.StdEncoding.EncodeToString(pngBuf.Bytes()) {
		t.Fatalf("the attachment came back as %q", got)
	}
	lx.shot("case-accept")
	w.approve(lx, "分办：梁晓燕")
	ts.smsTo(t, mobile, regexp.MustCompile(`(已受理)`))
	lx = w.open("liangxiaoyan", "分办")
	lx.do(chromedp.Click(chromedp.CSS("input[name$='.sign'][value=heping]")))
	lx.typeInto("textarea[name=opinion]", "请城管局核实处理。")
	lx.shot("case-dispatch")
	w.approve(lx, "签收：何平")
	ts.smsTo(t, "13900000306", regexp.MustCompile(`(新塍镇农贸市场)`))
	// 城管局 signs for it, and gives it to its handler (何平 himself).
	hp := w.open("heping", "签收")
	hp.do(chromedp.Click(chromedp.CSS("input[name$='.handle'][value=heping]")))
	w.approve(hp, "办理答复：何平")
	hp = w.open("heping", "办理答复")
	// 何平 needs more days: his 延期 is 梁晓燕's to-do, and the citizen hears of it.
	hp.do(chromedp.Click(chromedp.CSS("details.extend summary")))
	hp.typeInto("input[name=reason]", "需协调环卫公司增加清运车辆")
	hp.click("button[id^=ask-extend-]")
	if !strings.Contains(hp.body(), "已申请延期 5 个工作日") {
		hp.shot("extend-refused")
		t.Fatalf("延期: %s", hp.body())
	}
	lx.visit("/oa")
	ext := eval[string](lx, `[...document.querySelectorAll('main a')].filter(a => a.textContent.includes('延期申请')).map(a => a.getAttribute('href'))[0] || ''`)
	if ext == "" {
		lx.shot("no-extension-todo")
		t.Fatalf("梁晓燕 has no 延期 to approve: %s", lx.text("main"))
	}
	lx.visit(ext)
	lx.shot("extension-approve")
	w.approve(lx, "完成")
	ts.smsTo(t, mobile, regexp.MustCompile(`(需要延期办理)`))
	hp = w.open("heping", "办理答复")
	hp.typeInto("textarea[name=opinion]", "已于当日清运完毕，并增加了清运频次。")
	hp.shot("case-reply")
	w.approve(hp, "审核答复：梁晓燕")
	lx = w.open("liangxiaoyan", "审核答复")
	w.approve(lx, "办结：梁晓燕")
	ts.smsTo(t, mobile, regexp.MustCompile(`(已答复)`))
	lx = w.open("liangxiaoyan", "办结")
	w.approve(lx, "回访：梁晓燕")
	ts.smsTo(t, mobile, regexp.MustCompile(`(已办结)`))

	c.visit("/chaxun")
	c.typeInto("#code", lookup)
	c.click("form[action='/chaxun'] button")
	if c.text(".case-state") != "已办结" || !strings.Contains(c.text(".case-reply"), "已于当日清运完毕") || strings.Contains(c.text("main"), "城市管理局") {
		c.shot("replied")
		t.Fatalf("after the reply: %s", c.text("main"))
	}
	c.shot("lookup-replied")
	// At phone width: the form and the lookup fit.
	phoneWidth(t, c, "letter", "/xiexin", "/chaxun")

	// The citizen rates the answer 不满意 by replying "4" to the SMS: a
	// 整改 with its 回访 opens for 何平.
	if _, err := ts.sim.Inbound("+86"+mobile, "4"); err != nil {
		t.Fatal(err)
	}
	ts.smsTo(t, mobile, regexp.MustCompile(`(感谢您的评价（不满意）)`))
	waitFor(t, 60*time.Second, "a 整改 for 何平", func() bool {
		todos, _ := ts.oa.Docs().Todos(ctx, "heping", 20)
		for _, x := range todos {
			if x.Step == "整改" && strings.Contains(x.Title, "新塍镇农贸市场") {
				return true
			}
		}
		return false
	})
	c.visit("/chaxun")
	c.typeInto("#code", lookup)
	c.click("form[action='/chaxun'] button")
	if c.text(".case-rating") != "不满意" {
		c.shot("rated")
		t.Fatalf("the rating on the lookup page: %s", c.text("main"))
	}
	c.shot("lookup-rated")

	// Guessed codes get one answer, whatever they are.
	for _, guess := range []string{"ABCDEFGHJKLM", "x", "' OR 1=1 --"} {
		c.typeInto("#code", guess)
		c.click("form[action='/chaxun'] button")
		if !strings.Contains(c.text(".problem"), "没有查到") {
			t.Fatalf("guess %q: %s", guess, c.text("main"))
		}
	}
	// A form from another site, and one without the form token.
	req, _ := http.NewRequest("POST", portalURL+"/xiexin/code", strings.NewReader(url.Values{"mobile": {mobile}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site code request: %d", resp.StatusCode)
	}
	resp, err = http.PostForm(portalURL+"/xiexin", url.Values{"mobile": {mobile}, "title": {"新塍镇农贸市场门口垃圾堆放"}, "text": {"x"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a letter without the form token: %d", resp.StatusCode)
	}
}

// TestPortalLetterBySMS: a text from a number that is no staff member's
// opens a case and is answered with its 查询码 through the queue and the
// simulated modem; a text starting with the 查询码 adds to the case; a
// staff member's text opens nothing.
func TestPortalLetterBySMS(t *testing.T) {
	ts := startDemoServer(t)
	st := ts.portal.Cases()
	ctx := context.Background()
	const citizen = "13957377777"
	if _, err := ts.sim.Inbound("+86"+citizen, "南虹路王江泾镇段的路灯一周没亮了，晚上很黑，请尽快修理。"); err != nil {
		t.Fatal(err)
	}
	code := ts.smsTo(t, citizen, regexp.MustCompile(`查询码 ([0-9A-Z]{12})`))
	c, err := st.ByCode(ctx, code)
	if err != nil || c.Channel != cases.SMS || c.Writer.Mobile != citizen || !strings.HasPrefix(c.Title, "南虹路王江泾镇段的路灯") {
		t.Fatalf("the case: %+v %v", c, err)
	}
	if _, err := ts.sim.Inbound("+86"+citizen, strings.ToLower(code)+" 补充：是南虹路和环镇路交叉口往北一段。"); err != nil {
		t.Fatal(err)
	}
	ts.smsTo(t, citizen, regexp.MustCompile(`(已加入来信)`))
	trail, _ := st.Trail(ctx, c.ID)
	if n := len(trail); n != 2 || trail[1].Action != "info-added" || !strings.Contains(trail[1].Note, "环镇路交叉口") {
		t.Fatalf("the trail: %+v", trail)
	}
	// A staff member's text is a reply to a to-do, not a letter.
	before, _, _ := st.Unanswered(ctx, time.Now().Add(time.Hour))
	if _, err := ts.sim.Inbound("+8613800000102", "南湖区的路灯问题请关注一下谢谢"); err != nil {
		t.Fatal(err)
	}
	// The routing answers the staff member (a help text); by then the
	// portal has seen the SMS too.
	waitFor(t, 60*time.Second, "routing's answer to the staff member", func() bool {
		for _, m := range ts.sim.Messages() {
			if m.To == "+8613800000102" {
				return true
			}
		}
		return false
	})
	// A citizen's text sent after it is answered: the portal has read
	// the staff member's by then, and only the citizen's opened a case.
	if _, err := ts.sim.Inbound("+8613957388888", "请问新生儿医保在哪里办理？需要带什么材料？"); err != nil {
		t.Fatal(err)
	}
	ts.smsTo(t, "13957388888", regexp.MustCompile(`查询码 ([0-9A-Z]{12})`))
	if after, _, _ := st.Unanswered(ctx, time.Now().Add(time.Hour)); after != before+1 {
		t.Errorf("a staff member's text opened a case: %d cases → %d", before, after)
	}
}

// TestPortalLetterByMail: a mail to the case address (xinxiang@), sent
// with swaks to the MX in GB2312, opens a case through the queue, and OA
// starts its flow; a second mail whose subject carries the 查询码 adds
// to the case. No mailbox keeps either.
func TestPortalLetterByMail(t *testing.T) {
	swaks := requireTool(t, "swaks")
	// The writer's own mail system, behind the smarthost.
	remote := &remoteMX{got: map[string][]byte{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rs := smtp.NewServer(remote)
	rs.Domain = "mx.example.org"
	go rs.Serve(l)
	defer rs.Close()
	ts := startDemoServer(t, func(c *Config) { c.Out.Smarthost, c.Out.SmarthostTLS = l.Addr().String(), "none" })
	st := ts.portal.Cases()
	ctx := context.Background()
	host, port, _ := strings.Cut(ts.addr("smtp"), ":")
	const from = "wangfang@example.org"
	send := func(subject, body string) string {
		t.Helper()
		eml := filepath.Join(t.TempDir(), "letter.eml")
		msg := "From: =?GB2312?B?" + b64(mustGBK("王芳")) + "?= <" + from + ">\r\nTo: xinxiang@" + ts.cfg.localDomains()[0] +
			"\r\nSubject: =?GB2312?B?" + b64(mustGBK(subject)) + "?=\r\nMessage-ID: <" + contract.NewID() + "@example.org>\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: text/plain; charset=GB2312\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + mustGBK(body) + "\r\n"
		os.WriteFile(eml, []byte(msg), 0o600)
		out, err := exec.Command(swaks, "--server", host, "--port", port, "--from", from, "--to", "xinxiang@"+ts.cfg.localDomains()[0],
			"--data", eml).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "250 2.0.0") {
			t.Fatalf("swaks: %v\n%s", err, out)
		}
		return string(out)
	}
	send("小区门口的路灯坏了一个月", "王江泾镇某小区门口的路灯坏了一个月，晚上出行不便，请尽快修理。")
	var c cases.Case
	waitFor(t, 60*time.Second, "a case opened by mail", func() bool {
		list, _ := st.List(ctx, cases.ListFilter{Channel: cases.Mail, Mail: from})
		if len(list) == 1 {
			c = list[0]
			return true
		}
		return false
	})
	if c.Title != "小区门口的路灯坏了一个月" || c.Writer.Name != "王芳" || !strings.Contains(c.Text, "请尽快修理") {
		t.Fatalf("the case: %+v", c)
	}
	waitFor(t, 60*time.Second, "OA to start the mailed case's flow", func() bool {
		var doc int64
		return ts.oa.Docs().DB().QueryRow(`SELECT doc FROM cases WHERE case_id = ?`, c.ID).Scan(&doc) == nil
	})
	// The writer, who gave only a mail address, is told by mail through
	// the outbound queue: the 查询码 first (the test's mailbox keeps the
	// last mail of each recipient, so the next is sent once this is in).
	mailed := func(want string) (subject, text string, raw []byte) {
		t.Helper()
		waitFor(t, 60*time.Second, "a mail to the writer saying "+want, func() bool {
			remote.mu.Lock()
			raw = remote.got[from]
			remote.mu.Unlock()
			if raw == nil {
				return false
			}
			m, err := mail.CreateReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			subject, _ = m.Header.Subject()
			p, err := m.NextPart()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(p.Body)
			text = string(b)
			return strings.Contains(text, want)
		})
		return subject, text, raw
	}
	if _, text, _ := mailed("已收到"); !strings.Contains(text, c.Code) {
		t.Fatalf("the acknowledgement: %s", text)
	}
	if err := st.HandleOA(ctx, contract.OACase{V: 1, ID: contract.NewID(), Case: c.ID, Action: contract.CaseAccepted, By: "梁晓燕"}); err != nil {
		t.Fatal(err)
	}
	subject, text, got := mailed("已受理")
	if !strings.Contains(subject, c.Number) || !strings.Contains(text, c.Code) || !bytes.Contains(got, []byte("DKIM-Signature:")) {
		t.Fatalf("the mail to the writer: %s\n%s", subject, text)
	}
	send("回复：查询码 "+strings.ToLower(c.Code), "补充：是小区北门，不是南门。")
	waitFor(t, 60*time.Second, "the mail added to the case", func() bool {
		trail, _ := st.Trail(ctx, c.ID)
		for _, e := range trail {
			if e.Action == "info-added" && strings.Contains(e.Note, "小区北门") {
				return true
			}
		}
		return false
	})
	if list, _ := st.List(ctx, cases.ListFilter{Channel: cases.Mail}); len(list) != 1 {
		t.Fatalf("the second mail opened a case of its own: %d cases", len(list))
	}
}

// phoneWidth checks that the pages fit a phone's width (390 px) and saves
// a screenshot of each, then goes back to a desktop's width.
func phoneWidth(t *testing.T, b *browser, name string, paths ...string) {
	t.Helper()
	b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	defer b.do(chromedp.EmulateViewport(1366, 768))
	for _, p := range paths {
		b.visit(p)
		if w := eval[int](b, `document.documentElement.scrollWidth`); w > 400 {
			b.shot(name + "-too-wide")
			t.Fatalf("%s is %d px wide on a phone", p, w)
		}
		b.shot(name + "-phone")
	}
}

// TestPortalJiandu: the 网上监督 page counts the cases as they are — a
// department's on-time rate as a chart with its numbers beside it, the
// satisfaction, the categories, a month's trend — filters by department
// and exports the same figures to Excel.
func TestPortalJiandu(t *testing.T) {
	ts := startDemoServer(t)
	st := ts.portal.Cases()
	ctx := context.Background()
	for i, c := range []struct {
		dept, category string
		replied        bool
		rating         int
	}{{"区城市管理局", "srhj", true, 1}, {"区城市管理局", "srhj", true, 4}, {"区城市管理局", "szss", false, 0}, {"区交通运输局", "jtcx", true, 2}} {
		k, err := st.Submit(ctx, cases.Submission{Channel: cases.Phone, By: "liangxiaoyan", Kind: cases.Complain, Category: c.category,
			Title: fmt.Sprintf("网上监督测试来信第%d件事项", i+1), Text: fmt.Sprintf("第 %d 件来信的内容。", i+1),
			Writer: cases.Writer{Name: "李四", Mobile: fmt.Sprintf("1395738888%d", i)}})
		if err != nil {
			t.Fatal(err)
		}
		steps := []contract.OACase{{Action: contract.CaseAccepted}, {Action: contract.CaseAssigned, Note: "主办：" + c.dept, Dept: c.dept}}
		if c.replied {
			steps = append(steps, contract.OACase{Action: contract.CaseReplied, Note: "已处理。"})
		}
		for _, s := range steps {
			s.V, s.ID, s.Case, s.By = 1, contract.NewID(), k.ID, "梁晓燕"
			if err := st.HandleOA(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		if c.rating > 0 {
			if _, err := st.Rate(ctx, k.Code, c.rating, cases.Web, "", ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	portalURL := "http://" + ts.addr("portal")
	b := person(t, newBrowsers(t), portalURL, screenshotDir(t))
	b.visit("/area/hdjl")
	b.visit(eval[string](b, `[...document.querySelectorAll('a')].find(a => a.textContent.trim() === '领导信箱').getAttribute('href')`))
	b.click("a[href='/jiandu']")
	pageRules(t, b, "jiandu")
	if got := b.text("#fig-received"); got != "4 件" {
		b.shot("jiandu-wrong")
		t.Fatalf("cases received: %q", got)
	}
	if got := b.text("#fig-ontime"); got != "100.0%" {
		t.Fatalf("on-time rate: %q", got)
	}
	if n := eval[int](b, `document.querySelectorAll('figure.chart svg').length`); n != 4 {
		t.Fatalf("%d charts, want 4", n)
	}
	ontime := b.text("section.jiandu-chart:nth-of-type(3)")
	if !strings.Contains(b.text("main"), "各部门按时答复率") || !strings.Contains(ontime+b.text("main"), "区城市管理局") {
		t.Fatalf("no on-time chart of the departments: %s", b.text("main"))
	}
	row := eval[string](b, `[...document.querySelectorAll('#dept-table tbody tr')].find(r => r.textContent.includes('区城市管理局')).textContent`)
	if !strings.Contains(row, "100.0%") || !strings.Contains(row, "50.0%") {
		t.Fatalf("城管局's row: %q", row)
	}
	b.shot("jiandu")
	b.do(chromedp.SetValue(chromedp.CSS("#dept"), "区城市管理局"))
	b.click(".jiandu-form button[type=submit]")
	if got := b.text("#fig-received"); got != "3 件" {
		t.Fatalf("城管局 received: %q", got)
	}
	b.shot("jiandu-dept")
	href := eval[string](b, `document.querySelector('#excel').href`)
	resp, err := http.Get(href)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	x, err := excelize.OpenReader(resp.Body)
	if err != nil {
		t.Fatalf("the export is no workbook: %v", err)
	}
	rows, _ := x.GetRows("部门")
	if len(rows) != 3 || rows[1][0] != "区城市管理局" || rows[1][1] != "3" || rows[2][0] != "合计" {
		t.Fatalf("the export's departments: %v", rows)
	}
	phoneWidth(t, b, "jiandu", "/jiandu")
}
