package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"nanhu/portal"

	"github.com/chromedp/chromedp"
)

// TestPortalEnterprise walks an enterprise's page through the portal as
// the site's administrator, the company and the reviewer would: the
// administrator opens the account on the staff web and reads the
// one-time password; the company signs in on the portal, must choose
// its own password, writes its page and sends it; the reviewer returns
// it with an opinion, the company sees it and fixes the page, the
// reviewer approves, and visitors read it in 企业风采. A disabled account
// is signed out at once.
func TestPortalEnterprise(t *testing.T) {
	ts := startDemoServer(t)
	portalURL := "http://" + ts.addr("portal")
	staffURL := "http://" + ts.addr("http")
	dir := screenshotDir(t)
	root := newBrowsers(t)
	admin := person(t, root, staffURL, dir)
	company := person(t, root, portalURL, dir)
	reviewer := person(t, root, staffURL, dir)

	// The administrator opens the account; a code with a wrong check
	// character is refused.
	admin.signIn("admin", "admin2004")
	admin.visit("/portal/enterprises")
	if !strings.Contains(admin.text("main"), portal.DemoEnterpriseName) {
		t.Fatal("the demo company has no account")
	}
	const code, name = "91330411MA2CXY1Q36", "嘉兴秀洲测试机械有限公司"
	admin.typeInto("#e-code", "91330411MA2CXY1Q37")
	admin.typeInto("#e-name", name)
	admin.typeInto("#e-contact", "李强")
	admin.typeInto("#e-mobile", "13957300002")
	admin.click("form[action='/portal/enterprises'] button")
	if !strings.Contains(admin.text(".problem"), "校验位") {
		admin.shot("bad-code-taken")
		t.Fatalf("a wrong code was taken: %s", admin.text("main"))
	}
	admin.typeInto("#e-code", code)
	admin.click("form[action='/portal/enterprises'] button")
	once := admin.text(".issued .secret")
	if len(once) != 16 {
		admin.shot("no-password")
		t.Fatalf("no one-time password: %s", admin.text("main"))
	}
	admin.shot("account-opened")
	pagePath := eval[string](admin, `[...document.querySelectorAll('tbody tr')].find(r => r.textContent.includes('`+code+`')).querySelector('a').getAttribute('href')`)
	if !strings.HasPrefix(pagePath, "/portal/articles/") {
		t.Fatalf("the account's page: %q", pagePath)
	}
	artID := strings.TrimPrefix(pagePath, "/portal/articles/")

	// The company: sent to sign in; a wrong password is refused; the
	// one-time password leads to choosing its own.
	company.visit("/qiye/")
	if !strings.HasSuffix(company.location(), "/qiye/login") {
		t.Fatalf("not sent to sign in: %s", company.location())
	}
	pageRules(t, company, "login")
	company.typeInto("#code", strings.ToLower(code))
	company.typeInto("#password", "not-the-password")
	company.click("form[action='/qiye/login'] button")
	if !strings.Contains(company.text(".problem"), "密码错误") {
		t.Fatalf("a wrong password: %s", company.text("main"))
	}
	company.typeInto("#code", code)
	company.typeInto("#password", once)
	company.click("form[action='/qiye/login'] button")
	if !strings.HasSuffix(company.location(), "/qiye/password") {
		company.shot("no-password-change")
		t.Fatalf("the one-time password did not ask for a new one: %s", company.location())
	}
	company.visit("/qiye/")
	if !strings.HasSuffix(company.location(), "/qiye/password") {
		t.Fatalf("the page opened before the password was changed: %s", company.location())
	}
	company.typeInto("#old", once)
	company.typeInto("#new", "秀洲机械2026")
	company.typeInto("#again", "秀洲机械2026")
	company.click("form[action='/qiye/password'] button")
	if !strings.Contains(company.text(".notice"), "密码已修改") {
		t.Fatalf("password not changed: %s", company.text("main"))
	}
	pageRules(t, company, "account")

	// The company writes its page and sends it.
	company.typeInto("#summary", "一家位于油车港镇的农机制造企业。")
	company.typeInto("#body", "嘉兴秀洲测试机械有限公司位于油车港镇，主要生产插秧机和收割机配件。\n<script>window.__owned = 1</script>")
	company.click("button[name=then][value=submit]")
	if !strings.Contains(company.text(".notice"), "已送审") || !strings.Contains(company.text(".state-box"), "待审核") {
		company.shot("not-sent")
		t.Fatalf("not sent: %s", company.text("main"))
	}
	company.shot("sent")

	// The reviewer returns it with an opinion; the company sees it.
	reviewer.signIn("wangli", "nanhu2004")
	reviewer.visit(pagePath)
	reviewer.typeInto("#return-opinion", "请补充联系电话。")
	reviewer.click("form[action$='/return'] button")
	if !strings.Contains(reviewer.body(), "已退回给编辑") {
		t.Fatalf("not returned: %s", reviewer.text("main"))
	}
	company.visit("/qiye/")
	if !strings.Contains(company.text(".opinion"), "请补充联系电话。") {
		company.shot("opinion-missing")
		t.Fatalf("the company does not see the opinion: %s", company.text("main"))
	}
	company.shot("returned")
	company.typeInto("#body", "嘉兴秀洲测试机械有限公司位于油车港镇，主要生产插秧机和收割机配件。\n联系电话：0573-82710000。\n<script>window.__owned = 1</script>")
	company.click("button[name=then][value=submit]")
	reviewer.visit(pagePath)
	reviewer.click("form[action$='/approve'] button")
	if !strings.Contains(reviewer.body(), "已在网站发布") {
		reviewer.shot("approve-failed")
		t.Fatalf("not approved: %s", reviewer.text("main"))
	}

	// Visitors read it in 企业风采, the script shown as text.
	visitor := person(t, root, portalURL, dir)
	visitor.visit("/art/" + artID)
	if !strings.Contains(visitor.text("h1"), name) || !strings.Contains(visitor.text("main"), "联系电话：0573-82710000") {
		visitor.shot("page-missing")
		t.Fatalf("the page is not on the portal: %s", visitor.text("main"))
	}
	if eval[bool](visitor, `window.__owned === 1 || document.querySelectorAll('main script').length > 0`) {
		t.Fatal("the company's script ran on the portal")
	}
	pageRules(t, visitor, "article")
	visitor.shot("published")
	company.visit("/qiye/")
	if !strings.Contains(company.text(".state-box"), "已发布") {
		t.Fatalf("the company does not see it published: %s", company.text(".state-box"))
	}
	company.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	company.visit("/qiye/")
	if w := eval[int](company, `document.documentElement.scrollWidth`); w > 400 {
		company.shot("too-wide")
		t.Fatalf("the enterprise page is %d px wide on a phone", w)
	}
	company.shot("account-phone")
	company.do(chromedp.EmulateViewport(1366, 768))

	// Forbidden paths: a form from another site, a form without the
	// session, a staff page with the company's session.
	resp, err := http.PostForm(portalURL+"/qiye/page", url.Values{"body": {"冒名"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a bare POST to /qiye/page: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("POST", portalURL+"/qiye/login", strings.NewReader("code="+code+"&password=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site sign-in: %d", resp.StatusCode)
	}
	if st, _ := get(t, portalURL+"/portal/enterprises"); st != http.StatusNotFound {
		t.Errorf("the staff page on the portal listener: %d", st)
	}

	// The administrator disables the account: the company is signed out.
	admin.visit("/portal/enterprises")
	admin.click("form[action$='/disable'] button")
	company.visit("/qiye/")
	if !strings.HasSuffix(company.location(), "/qiye/login") {
		t.Fatalf("a disabled account still in: %s", company.location())
	}
	company.typeInto("#code", code)
	company.typeInto("#password", "秀洲机械2026")
	company.click("form[action='/qiye/login'] button")
	if !strings.Contains(company.text(".problem"), "停用") {
		t.Fatalf("a disabled account signed in: %s", company.text("main"))
	}

	// The demo company signs in with the README's password.
	demo := person(t, root, portalURL, dir)
	demo.visit("/qiye/login")
	demo.typeInto("#code", portal.DemoEnterpriseCode)
	demo.typeInto("#password", portal.DemoEnterprisePassword)
	demo.click("form[action='/qiye/login'] button")
	if !strings.Contains(demo.text("h1"), portal.DemoEnterpriseName) {
		demo.shot("demo-company")
		t.Fatalf("the demo company cannot sign in: %s", demo.text("main"))
	}
	demo.shot("demo-company")
}
