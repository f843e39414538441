package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"nanhu/oa/org"
)

// TestStaffPagesInBrowser drives the staff pages of `serve --demo` with
// Debian's chromium, as people would: it clicks and types, reads the page,
// and saves a screenshot of every page it sees.
func TestStaffPagesInBrowser(t *testing.T) {
	ts := startDemoServer(t)
	root := newBrowsers(t)
	base := "http://" + ts.addr("http")

	t.Run("sign in as a demo person", func(t *testing.T) {
		b := person(t, root, base, screenshotDir(t))
		b.visit("/")
		if loc := b.location(); !strings.Contains(loc, "/login") {
			t.Fatalf("signed out, / went to %s, want the sign-in page", loc)
		}
		b.shot("login")
		b.signIn("zhangwei", org.DemoPassword)
		body := b.body()
		for _, want := range []string{"工作台", "张伟", "秀洲区人民政府", "区长", "我的待办", "提醒设置"} {
			if !strings.Contains(body, want) {
				t.Errorf("the 工作台 lacks %q:\n%s", want, body)
			}
		}
		b.shot("workbench")
		b.visit("/mail/settings")
		if body := b.body(); !strings.Contains(body, "zhangwei@nanhu.local") || !strings.Contains(body, ts.cfg.Hostname) {
			t.Errorf("mail settings: %s", body)
		}
		b.shot("mail-settings")
		b.visit("/account")
		if body := b.body(); !strings.Contains(body, "登录会话") || !strings.Contains(body, "（当前）") || !strings.Contains(body, "Chrome") {
			t.Errorf("my account: %s", body)
		}
		b.shot("account")
		// An API token for a script: made on the page, shown once, working
		// with Authorization: Bearer until revoked there.
		b.typeInto("#token-name", "值班脚本")
		b.click("form[action='/account/tokens'] button[type=submit]")
		token := eval[string](b, `document.querySelector("#new-token").value`)
		b.shot("token-created")
		bearer := func() int {
			req, _ := http.NewRequest("GET", base+"/api/v1/notifications/prefs", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if code := bearer(); code != 200 {
			t.Errorf("the new token: %d", code)
		}
		b.visit("/account")
		if strings.Contains(b.body(), token) {
			t.Error("the token is shown again")
		}
		b.click("form[action^='/account/tokens/'] button")
		if code := bearer(); code != 401 {
			t.Errorf("the revoked token: %d", code)
		}
		// On a phone.
		b.do(chromedp.EmulateViewport(360, 740))
		for _, pg := range []struct{ path, name, want string }{
			{"/", "workbench", "我的待办"}, {"/mail/settings", "mail-settings", "邮件客户端设置"}, {"/account", "account", "登录会话"},
		} {
			b.visit(pg.path)
			b.shot(pg.name + "-360px")
			if !strings.Contains(b.body(), pg.want) {
				t.Errorf("%s on a phone lacks %q", pg.path, pg.want)
			}
			if w := eval[int](b, `document.documentElement.scrollWidth`); w > 370 {
				t.Errorf("%s is %d px wide on a 360 px phone: it scrolls sideways", pg.path, w)
			}
		}
		b.do(chromedp.EmulateViewport(1366, 768))
	})

	t.Run("five wrong passwords lock the account", func(t *testing.T) {
		b := person(t, root, base, screenshotDir(t))
		for i := 1; i <= 5; i++ {
			b.signIn("lina", "wrong-password-"+fmt.Sprint(i))
			if i < 5 && !strings.Contains(b.body(), "用户名或密码错误") {
				t.Fatalf("attempt %d: %s", i, b.body())
			}
		}
		if body := b.body(); !strings.Contains(body, "登录失败次数过多") || !strings.Contains(body, "系统管理员解锁") {
			t.Fatalf("after five wrong passwords: %s", body)
		}
		b.shot("locked-out")
		// The right password is refused too while locked, here and over IMAP.
		b.signIn("lina", org.DemoPassword)
		if !strings.Contains(b.body(), "登录失败次数过多") {
			t.Errorf("the right password passed a lockout: %s", b.body())
		}
		// The administrator unlocks lina from her page.
		a := person(t, root, base, screenshotDir(t))
		a.signIn("admin", org.DemoAdminPassword)
		a.visit("/admin/people/lina")
		if !strings.Contains(a.body(), "已锁定") {
			t.Fatalf("lina's page does not say she is locked out: %s", a.body())
		}
		a.shot("person-locked")
		a.click("form[action='/admin/people/lina/unlock'] button")
		if !strings.Contains(a.body(), "已解锁") {
			t.Errorf("after unlock: %s", a.body())
		}
		b.signIn("lina", org.DemoPassword)
		if !strings.Contains(b.body(), "李娜") || !strings.Contains(b.location(), base+"/") {
			t.Errorf("lina cannot sign in after the unlock: %s", b.body())
		}
	})

	t.Run("notification preferences, seen through the API", func(t *testing.T) {
		b := person(t, root, base, screenshotDir(t))
		b.signIn("zhoumin", org.DemoPassword)
		// Ask for custom quiet hours but leave one time empty: the form
		// comes back with the choice kept and the error beside the field.
		b.do(chromedp.Click(chromedp.CSS("input[name=mail]")), chromedp.Click(chromedp.CSS("input[name=quiet][value=custom]")))
		// A time field's keys depend on the browser's locale (12 or 24
		// hours); set it as its picker would.
		b.do(chromedp.SetValue(chromedp.CSS("#quiet_from"), "21:30"))
		b.click("form[action='/prefs'] button[type=submit]")
		if body := b.body(); !strings.Contains(body, "请填写结束时间") {
			t.Fatalf("an empty end time was not refused: %s", body)
		}
		if checked := eval[bool](b, `document.querySelector("input[name=quiet][value=custom]").checked && document.querySelector("input[name=mail]").checked`); !checked {
			t.Error("the refused form lost the person's choices")
		}
		b.shot("prefs-error")
		b.do(chromedp.SetValue(chromedp.CSS("#quiet_to"), "06:45"))
		b.do(chromedp.Click(chromedp.CSS("input[name=sms]")))
		b.click("form[action='/prefs'] button[type=submit]")
		if body := b.body(); !strings.Contains(body, "提醒设置已保存") {
			t.Fatalf("no confirmation: %s", body)
		}
		b.shot("prefs-saved")
		// The API says the same, over HTTP Basic as tools use it.
		req, _ := http.NewRequest("GET", base+"/api/v1/notifications/prefs", nil)
		req.SetBasicAuth("zhoumin", org.DemoPassword)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := `{"login":"zhoumin","sms":false,"mail":true,"quiet":"21:30-06:45"}`; strings.TrimSpace(string(got)) != want {
			t.Errorf("the API says %s, want %s", got, want)
		}
	})

	t.Run("an administrator adds a person who then logs in over IMAP", func(t *testing.T) {
		a := person(t, root, base, screenshotDir(t))
		a.signIn("admin", org.DemoAdminPassword)
		a.visit("/admin/people")
		if body := a.body(); !strings.Contains(body, "王建国") || !strings.Contains(body, "区政府办公室") {
			t.Fatalf("people: %s", body)
		}
		a.shot("people")
		a.typeInto("#q", "信访")
		a.click("form[role=search] button[type=submit]")
		if body := a.body(); !strings.Contains(body, "罗刚") || strings.Contains(body, "张伟") {
			t.Errorf("search for 信访: %s", body)
		}
		a.shot("people-search")
		a.visit("/admin/people/new")
		a.typeInto("#login", "Chen Jing") // not a login: refused beside the field
		a.typeInto("#name", "陈静")
		a.click("form[action='/admin/people'] button[type=submit]")
		if body := a.body(); !strings.Contains(body, "登录名只能用小写字母") || !strings.Contains(eval[string](a, `document.querySelector("#name").value`), "陈静") {
			t.Fatalf("a bad login was not refused with the name kept: %s", body)
		}
		a.shot("person-new-error")
		a.typeInto("#login", "chenjing")
		a.do(chromedp.SetValue(chromedp.CSS("#dept"), "msk"))
		a.typeInto("#title", "科员")
		a.typeInto("#mobile", "13912345678")
		a.click("form[action='/admin/people'] button[type=submit]")
		if body := a.body(); !strings.Contains(body, "已添加 陈静") {
			t.Fatalf("adding 陈静: %s", body)
		}
		a.shot("person-created")
		password := eval[string](a, `document.querySelector("#pw").value`)
		if len(password) < 12 {
			t.Fatalf("no generated password shown: %q", password)
		}
		// 陈静 logs in over IMAP with it (python3's imaplib, implicit TLS).
		py := requireTool(t, "python3")
		out, err := exec.Command(py, "-c", `
import imaplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
host, port = sys.argv[1].rsplit(":", 1)
M = imaplib.IMAP4_SSL(host, int(port), ssl_context=ctx)
M.login("chenjing@nanhu.local", sys.argv[2])
typ, data = M.select("INBOX")
print(typ, data[0].decode())
M.logout()
`, ts.addr("imaps"), password).CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), "OK") {
			t.Fatalf("陈静 over IMAP: %v\n%s", err, out)
		}
		a.visit("/admin/people/chenjing")
		if body := a.body(); !strings.Contains(body, "秘书科 科员") || !strings.Contains(body, "+8613912345678") {
			t.Errorf("陈静's page: %s", body)
		}
		a.shot("person")
	})

	t.Run("a to-do arrives on the open page and no SMS goes out", func(t *testing.T) {
		b := person(t, root, base, screenshotDir(t))
		b.signIn("zhangwei", org.DemoPassword)
		b.waitText("#todos .live-state", "已连接", 15*time.Second)
		title := "关于开展城区环境整治检查的通知"
		ev := fmt.Sprintf(`{"v":1,"id":"browser-todo-1","type":"created","todo":{"id":"todo-browser-1","assignee":"zhangwei","title":%q,"doc_number":"秀政办发〔2026〕31号","urgency":"特急","due":"2026-12-10T17:00:00+08:00","actions":["approve","return"]}}`, title)
		resp, err := http.Post("http://"+ts.queue.HTTPAddr()+"/pub?topic=oa.todo", "application/json", strings.NewReader(ev))
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("publish: %v %v", err, resp)
		}
		resp.Body.Close()
		b.waitText("li[data-todo-id='todo-browser-1']", title, 15*time.Second)
		if meta := b.text("li[data-todo-id='todo-browser-1'] .meta"); meta != "秀政办发〔2026〕31号 · 期限：2026-12-10 17:00" {
			t.Errorf("the live to-do reads %q, not as the server writes it", meta)
		}
		if n := b.text("[data-todo-count]"); n != "1" {
			t.Errorf("to-do count %q, want 1: %s", n, eval[string](b, `document.querySelector("#todos").outerHTML`))
		}
		b.shot("todo-live")
		// Routing decided while the page was open: in-app only. Give any
		// SMS that might have been published the time to arrive.
		time.Sleep(2 * time.Second)
		if carried := simMessages(t, ts); strings.Contains(carried, title) {
			t.Errorf("an SMS went out for a to-do shown on the open page: %s", carried)
		}
		// Reloaded, the page lists it from the start.
		b.visit("/")
		if !strings.Contains(b.text("#todos"), title) {
			t.Error("the to-do is gone after a reload")
		}
	})

	t.Run("after logout the back button shows nothing private", func(t *testing.T) {
		b := person(t, root, base, screenshotDir(t))
		b.signIn("liuyang", org.DemoPassword)
		b.visit("/account")
		if !strings.Contains(b.body(), "刘洋") {
			t.Fatalf("account: %s", b.body())
		}
		b.click("form[action='/logout'] button")
		if body := b.body(); !strings.Contains(body, "您已安全退出") {
			t.Fatalf("after logout: %s", body)
		}
		b.shot("logged-out")
		b.do(chromedp.NavigateBack(), chromedp.WaitReady(chromedp.CSS("body")))
		body := b.body()
		if strings.Contains(body, "刘洋") || strings.Contains(body, "登录会话") || !strings.Contains(b.location(), "/login") {
			t.Errorf("back after logout shows %s:\n%s", b.location(), body)
		}
		b.shot("back-after-logout")
	})

	t.Run("administration pages", func(t *testing.T) {
		a := person(t, root, base, screenshotDir(t))
		a.signIn("admin", org.DemoAdminPassword)
		for _, p := range []struct{ path, want string }{
			{"/admin/departments", "区政府办公室"},
			{"/admin/mail", "xinfang@nanhu.local"},
			{"/admin/sms", "模拟"},
			{"/admin/sms/sim", "模拟短信网络"},
			{"/admin/system", "各部分"},
			{"/admin/system", "短信网关"},
		} {
			a.visit(p.path)
			if body := a.body(); !strings.Contains(body, p.want) {
				t.Errorf("%s lacks %q: %s", p.path, p.want, body)
			}
			a.shot(strings.TrimPrefix(p.path, "/"))
		}
		// A page that is not there says so in Chinese.
		a.visit("/admin/nowhere")
		if body := a.body(); !strings.Contains(body, "页面不存在") {
			t.Errorf("404: %s", body)
		}
		a.shot("not-found")
		// A department is added and appears in the tree.
		a.visit("/admin/departments")
		a.typeInto("#dname", "区数据资源管理局")
		a.typeInto("#code", "sjj")
		a.do(chromedp.SetValue(chromedp.CSS("#parent"), "qzf"))
		a.click("form[action='/admin/departments'] button[type=submit]")
		if body := a.body(); !strings.Contains(body, "已添加部门“区数据资源管理局”") {
			t.Errorf("add department: %s", body)
		}
		// A test SMS reaches the simulated network.
		a.visit("/admin/sms")
		a.typeInto("#to", "13900000001")
		a.typeInto("#text", "南湖测试短信")
		a.click("form[action='/admin/sms/send'] button[type=submit]")
		if !strings.Contains(a.body(), "短信已排队") {
			t.Fatalf("test SMS: %s", a.body())
		}
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(simMessages(t, ts), "南湖测试短信") {
			if time.Now().After(deadline) {
				t.Fatal("the test SMS never reached the simulated network")
			}
			time.Sleep(200 * time.Millisecond)
		}
		a.visit("/admin/sms/sim")
		if !strings.Contains(a.body(), "南湖测试短信") {
			t.Errorf("the simulator page lacks the SMS: %s", a.body())
		}
		// An SMS arrives from a phone through the simulator's form.
		a.typeInto("#from", "13800000199")
		a.typeInto("#stext", "请问办事指南在哪里查看")
		a.click("form[action='/admin/sms/sim/inbound'] button[type=submit]")
		if !strings.Contains(a.body(), "模拟短信已到达") {
			t.Errorf("simulated inbound: %s", a.body())
		}
		a.shot("sim-inbound")
		deadline = time.Now().Add(20 * time.Second)
		for {
			a.visit("/admin/sms")
			if strings.Contains(a.text("#recv-h + .table-wrap"), "请问办事指南在哪里查看") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the simulated SMS never reached the gateway's list")
			}
			time.Sleep(300 * time.Millisecond)
		}
		a.shot("sms-received")
		// The system page's chart counts the SMS and the backup runs with
		// a progress bar.
		a.visit("/admin/system")
		if n := eval[int](a, `document.querySelectorAll("figure.chart svg rect").length`); n == 0 {
			t.Error("the system page has no chart bars")
		}
		a.click("form[action='/admin/system/backup'] button")
		if !strings.Contains(a.location(), "/jobs/") {
			t.Fatalf("backup went to %s", a.location())
		}
		a.waitText(".job-state", "已完成", 60*time.Second)
		if v := eval[int](a, `document.querySelector("#job-progress").value`); v != 100 {
			t.Errorf("finished backup shows %d%%", v)
		}
		a.shot("backup-done")
	})

	t.Run("a non-admin gets 403 on every admin page and every admin POST", func(t *testing.T) {
		b := person(t, root, base, screenshotDir(t))
		b.signIn("huanglei", org.DemoPassword)
		var gets, posts int
		for _, rt := range ts.kit.Routes() {
			if rt.API || !slices.Contains(rt.Rule.Roles(), "admin") {
				continue
			}
			path := strings.NewReplacer("{login}", "zhangwei", "{id}", "x").Replace(rt.Pattern)
			switch rt.Method {
			case "GET":
				gets++
				b.visit(path)
				if body := b.body(); !strings.Contains(body, "您没有权限") {
					t.Errorf("GET %s as huanglei: %s", path, body)
				}
				if gets == 1 {
					b.shot("forbidden")
				}
			case "POST":
				posts++
				// With the page's own form token, so that only the
				// authorization can refuse it.
				status := eval[int](b, fmt.Sprintf(`(async () => {
					const f = new FormData();
					f.set("csrf_token", document.querySelector("input[name=csrf_token]").value);
					f.set("login", "evil"); f.set("name", "坏人"); f.set("code", "evil"); f.set("address", "evil");
					const r = await fetch(%q, {method: "POST", body: new URLSearchParams(f)});
					return r.status;
				})()`, path))
				if status != http.StatusForbidden {
					t.Errorf("POST %s as huanglei: %d, want 403", path, status)
				}
			}
		}
		if gets < 8 || posts < 10 {
			t.Errorf("only %d admin pages and %d admin POSTs were tried", gets, posts)
		}
		if _, err := ts.org.User(context.Background(), "evil"); err == nil {
			t.Error("a refused POST created a user")
		}
	})

	t.Run("a foreign origin's POST and a POST without the form token are refused", func(t *testing.T) {
		b := person(t, root, base, screenshotDir(t))
		b.signIn("yangjing", org.DemoPassword)
		token := eval[string](b, `document.querySelector("form[action='/prefs'] input[name=csrf_token]").value`)
		// Another site (another port is another origin) with a form that
		// posts to the preferences, even with a stolen token.
		evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<!doctype html><html lang="zh-CN"><title>中奖通知</title><form method="post" action="%s/prefs">
<input type="hidden" name="csrf_token" value="%s"><input type="hidden" name="quiet" value="none">
<button id="go" type="submit">领取奖品</button></form>`, base, token)
		}))
		defer evil.Close()
		b.do(chromedp.Navigate(evil.URL))
		b.click("#go")
		if body := b.body(); !strings.Contains(body, "请求来自其他网站") {
			t.Errorf("the foreign POST was not refused: %s", body)
		}
		b.shot("foreign-origin")
		// Same origin, the token taken out of the form.
		b.visit("/")
		b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector("form[action='/prefs'] input[name=csrf_token]").remove()`),
			chromedp.Click(chromedp.CSS("input[name=quiet][value=none]")))
		b.click("form[action='/prefs'] button[type=submit]")
		if body := b.body(); !strings.Contains(body, "表单已过期或来源不明") {
			t.Errorf("the POST without a token was not refused: %s", body)
		}
		b.shot("no-form-token")
		p, err := ts.org.NotifyPrefs(context.Background(), "yangjing")
		if err != nil || p.Quiet != nil {
			t.Errorf("a refused POST changed the preferences: %+v %v", p, err)
		}
	})

	t.Run("mail clients set themselves up", func(t *testing.T) {
		get := func(path string) (int, string) {
			resp, err := http.Get(base + path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return resp.StatusCode, string(b)
		}
		_, imapsPort, _ := net.SplitHostPort(ts.addr("imaps"))
		for _, path := range []string{"/.well-known/autoconfig/mail/config-v1.1.xml", "/mail/config-v1.1.xml?emailaddress=zhangwei%40nanhu.local"} {
			code, body := get(path)
			if code != 200 || !strings.Contains(body, "<port>"+imapsPort+"</port>") || !strings.Contains(body, "<hostname>"+ts.cfg.Hostname+"</hostname>") {
				t.Errorf("%s: %d %s", path, code, body)
			}
		}
		post := func(addr string) (int, string) {
			req := `<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>` +
				addr + `</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>`
			resp, err := http.Post(base+"/autodiscover/autodiscover.xml", "text/xml", strings.NewReader(req))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return resp.StatusCode, string(b)
		}
		if code, body := post("lina@nanhu.local"); code != 200 || !strings.Contains(body, "<Port>"+imapsPort+"</Port>") || !strings.Contains(body, "<LoginName>lina@nanhu.local</LoginName>") {
			t.Errorf("Autodiscover: %d %s", code, body)
		}
		if code, _ := post("someone@example.org"); code != 404 {
			t.Errorf("Autodiscover for another domain: %d", code)
		}
		if code, body := get("/mail/apple.mobileconfig"); code != 200 || strings.Contains(body, "com.apple.mail.managed") || !strings.Contains(body, "登录") {
			t.Errorf("the Apple profile without sign-in: %d, not the sign-in page", code)
		}
		// Signed in, the profile is the person's own.
		cookie := signInCookie(t, base, "lina", org.DemoPassword)
		req, _ := http.NewRequest("GET", base+"/mail/apple.mobileconfig", nil)
		req.AddCookie(cookie)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-apple-aspen-config" || !strings.Contains(string(b), "<string>lina@nanhu.local</string>") {
			t.Errorf("Apple profile: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
		}
	})

	t.Run("pages over HTTPS", func(t *testing.T) {
		// Over TLS, the cookie is Secure and HSTS is sent.
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Get("https://" + ts.addr("https") + "/login")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("Strict-Transport-Security") == "" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("headers: %v", resp.Header)
		}
		for _, ck := range resp.Cookies() {
			if !ck.Secure || !ck.HttpOnly {
				t.Errorf("cookie %s over HTTPS: Secure %v HttpOnly %v", ck.Name, ck.Secure, ck.HttpOnly)
			}
		}
	})
}
