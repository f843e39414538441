package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"nanhu/internal/workcal"
	"nanhu/portal/content"
)

// get fetches url and returns its status and body.
func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// a11yProblems are the page's failures of the checks a server can make
// sure of (GB/T 37668 level 2 as far as markup goes): lang, a skip link,
// alt on every image, a label on every field, headings in order.
const a11yProblems = `(() => {
  const p = [];
  if (document.documentElement.lang !== 'zh-CN') p.push('lang=' + document.documentElement.lang);
  if (!document.querySelector('a[href="#main"]')) p.push('no skip link');
  document.querySelectorAll('img').forEach(i => { if (!i.hasAttribute('alt')) p.push('img without alt: ' + i.getAttribute('src')); });
  document.querySelectorAll('input, select, textarea').forEach(f => {
    if (['hidden', 'submit', 'button'].includes(f.type)) return;
    const ok = (f.id && document.querySelector('label[for="' + f.id + '"]')) || f.closest('label') || f.getAttribute('aria-label') || f.getAttribute('aria-labelledby');
    if (!ok) p.push('field without label: ' + (f.name || f.id));
  });
  let last = 0;
  document.querySelectorAll('h1, h2, h3, h4, h5, h6').forEach(h => {
    const n = +h.tagName[1];
    if (last === 0 && n !== 1) p.push('first heading is ' + h.tagName);
    if (last && n > last + 1) p.push('heading jumps from h' + last + ' to h' + n + ': ' + h.textContent.trim().slice(0, 20));
    last = n;
  });
  return p;
})()`

// pageRules checks what every portal page must carry: the footer's
// entries and the meta tags, plus the column's and article's own.
func pageRules(t *testing.T, b *browser, kind string) {
	t.Helper()
	if p := eval[[]string](b, a11yProblems); len(p) > 0 {
		b.shot("a11y")
		t.Fatalf("%s at %s: accessibility: %v", kind, b.location(), p)
	}
	metas := []string{"SiteName", "SiteDomain", "SiteIDCode"}
	switch kind {
	case "column":
		metas = append(metas, "ColumnName", "ColumnType")
	case "article":
		metas = append(metas, "ColumnName", "ColumnType", "ArticleTitle", "PubDate", "ContentSource")
	}
	for _, m := range metas {
		if v := eval[string](b, `(document.querySelector('meta[name="`+m+`"]') || {}).content || ""`); v == "" {
			t.Fatalf("%s at %s: no meta %s", kind, b.location(), m)
		}
	}
	footer := b.text("footer")
	for _, want := range []string{"主办单位", "联系方式", "网站标识码", "3304110001", "ICP备案号", "公安机关备案号"} {
		if !strings.Contains(footer, want) {
			t.Fatalf("%s at %s: the footer lacks %s", kind, b.location(), want)
		}
	}
	if eval[int](b, `document.querySelectorAll('footer img[alt="党政机关网站标识"]').length`) != 1 {
		t.Fatalf("%s: no 党政机关网站标识", kind)
	}
	if title := eval[string](b, `document.title`); !strings.HasSuffix(title, "中国南湖") || (kind != "home" && !strings.Contains(title, "_中国南湖")) {
		t.Fatalf("%s: title %q is not 标题_网站名称", kind, title)
	}
}

func testPNG(t *testing.T) string {
	img := image.NewRGBA(image.Rect(0, 0, 120, 80))
	for x := 0; x < 120; x++ {
		for y := 0; y < 80; y++ {
			img.Set(x, y, color.RGBA{uint8(40 + x), 120, uint8(200 - y), 255})
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	p := filepath.Join(t.TempDir(), "分类现场.png")
	os.WriteFile(p, b.Bytes(), 0o644)
	return p
}

// TestPortalInBrowser walks an article through the CMS as its editor and
// reviewer would, in their browsers, and reads it on the portal as a
// visitor: home page, column, RSS, sitemap.xml, search; then withdraws it
// and checks it is gone from all of them.
func TestPortalInBrowser(t *testing.T) {
	ts := startDemoServer(t)
	portalURL := "http://" + ts.addr("portal")
	staffURL := "http://" + ts.addr("http")
	dir := screenshotDir(t)
	root := newBrowsers(t)
	editor := person(t, root, staffURL, dir)
	reviewer := person(t, root, staffURL, dir)
	visitor := person(t, root, portalURL, dir)

	// The demo portal is alive: a newcomer sees columns, departments and
	// documents on the home page.
	visitor.visit("/")
	home := visitor.text("main")
	for _, want := range []string{"南湖要闻", "通知公告", "政策文件", "政策解读", "办事指南", "区财政局", "新塍镇"} {
		if !strings.Contains(home, want) {
			visitor.shot("home-missing")
			t.Fatalf("the home page lacks %s", want)
		}
	}
	pageRules(t, visitor, "home")

	// The editor writes.
	const title = "秀洲区召开垃圾分类工作推进会"
	editor.signIn("chenxiao", "nanhu2004")
	editor.visit("/portal")
	yw := ts.portal.Store()
	ywCol, err := yw.ColumnBySlug(context.Background(), "main", "yw")
	if err != nil {
		t.Fatal(err)
	}
	editor.do(chromedp.SetValue(chromedp.CSS("#column"), fmt.Sprint(ywCol.ID)))
	editor.typeInto("#new-title", title)
	editor.click("form[action='/portal/articles'] button[type=submit]")
	if !strings.Contains(editor.body(), "草稿已建立") {
		editor.shot("create-failed")
		t.Fatalf("no draft: %s", editor.body())
	}
	artPath := strings.TrimPrefix(editor.location(), staffURL)
	id := artPath[strings.LastIndex(artPath, "/")+1:]

	// A mislabelled upload is refused with a sentence; a picture and a
	// PDF are taken.
	fake := filepath.Join(t.TempDir(), "通知.pdf")
	os.WriteFile(fake, []byte("<html>not a pdf</html>"), 0o644)
	editor.do(chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{fake}))
	editor.click("form[enctype='multipart/form-data'] button[type=submit]")
	if p := editor.text(".problem"); !strings.Contains(p, "不是 .pdf 文件") {
		t.Fatalf("a mislabelled upload: %q", p)
	}
	editor.visit(artPath)
	editor.do(chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{testPNG(t)}))
	editor.click("form[enctype='multipart/form-data'] button[type=submit]")
	pdf := filepath.Join(t.TempDir(), "实施方案.pdf")
	os.WriteFile(pdf, []byte("%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"), 0o644)
	editor.do(chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{pdf}))
	editor.click("form[enctype='multipart/form-data'] button[type=submit]")
	code := editor.text("td code")
	src := regexp.MustCompile(`/files/\d+/[^"]+`).FindString(code)
	if src == "" {
		t.Fatalf("no image code: %q", code)
	}
	imgID := strings.Split(src, "/")[2]
	editor.typeInto("#summary", "会议部署下一阶段垃圾分类和村民参与工作。")
	// The body in the rich-text editor: typed, then a picture from the
	// toolbar's list of the article's own.
	editor.do(chromedp.Click(chromedp.CSS(".rich-surface")),
		chromedp.SendKeys(chromedp.CSS(".rich-surface"), "12月6日，全区垃圾分类工作推进会召开，各镇（街道）汇报了农村垃圾分类进展。"),
		chromedp.Focus(chromedp.CSS(".rich-bar select")), chromedp.SendKeys(chromedp.CSS(".rich-bar select"), kb.ArrowDown))
	if n := eval[int](editor, `document.querySelectorAll('.rich-surface img').length`); n != 1 {
		editor.shot("editor-no-picture")
		t.Fatalf("the editor holds %d pictures", n)
	}
	// The picture shows in the editor (from the staff web's copy), and
	// the body keeps its public address.
	editor.do(chromedp.Poll[chromedp.Void](`(() => { const i = document.querySelector('.rich-surface img'); return i && i.complete && i.naturalWidth > 0; })()`, chromedp.WithPollingTimeout(10*time.Second)))
	editor.typeInto("#source", "区政府办公室")
	editor.do(chromedp.SetValue(chromedp.CSS("#cover"), imgID))
	// A date slipped into the form is not taken: the date is the
	// publication's.
	editor.do(chromedp.Evaluate[chromedp.Void](`(() => { const f = document.querySelector('#body').form;
		for (const n of ['published', 'published_at', 'date', 'pubdate']) { const i = document.createElement('input'); i.type = 'hidden'; i.name = n; i.value = '2020-01-01 08:00'; f.appendChild(i); } })()`))
	editor.click("button[name=then][value=submit]")
	if !strings.Contains(editor.body(), "已保存并送审") {
		editor.shot("submit-failed")
		t.Fatalf("not submitted: %s", editor.text("main"))
	}
	editor.do(chromedp.Poll[chromedp.Void](`(() => { const i = document.querySelector('.preview img'); return i && i.complete && i.naturalWidth > 0; })()`, chromedp.WithPollingTimeout(10*time.Second)))
	editor.shot("editor-submitted")

	// The reviewer returns it with an opinion.
	reviewer.signIn("wangli", "nanhu2004")
	reviewer.visit("/portal?state=review")
	reviewer.click("a[href='" + artPath + "']")
	reviewer.typeInto("#return-opinion", "请在标题中写明会议时间")
	reviewer.click("form[action$='/return'] button")
	if !strings.Contains(reviewer.body(), "已退回给编辑") {
		t.Fatalf("not returned: %s", reviewer.text("main"))
	}
	// The editor sees the opinion, fixes the title, sends it again.
	editor.visit("/portal")
	if !strings.Contains(editor.text("main"), "请在标题中写明会议时间") {
		editor.shot("opinion-missing")
		t.Fatal("the editor's list does not show the opinion")
	}
	editor.visit(artPath)
	fixed := "12月6日" + title
	editor.typeInto("#title", fixed)
	editor.click("button[name=then][value=submit]")
	reviewer.visit(artPath)
	reviewer.shot("reviewer-desk")
	reviewer.click("form[action$='/approve'] button")
	if !strings.Contains(reviewer.body(), "已在网站发布") {
		reviewer.shot("approve-failed")
		t.Fatalf("not approved: %s", reviewer.text("main"))
	}
	approved := time.Now()

	// A visitor finds it everywhere.
	visitor.visit("/")
	if !strings.Contains(visitor.text("main"), fixed) {
		visitor.shot("home-without-article")
		t.Fatal("the home page does not list the new article")
	}
	visitor.click("a[href='/art/" + id + "']")
	pageRules(t, visitor, "article")
	if got := eval[string](visitor, `document.querySelector('meta[name="PubDate"]').content`); !strings.HasPrefix(got, approved.In(workcal.Shanghai()).Format("2006-01-02")) {
		t.Fatalf("PubDate %q: back-dated", got)
	}
	if n := eval[int](visitor, `[...document.querySelectorAll('main img')].filter(i => i.complete && i.naturalWidth > 0).length`); n < 1 {
		t.Fatal("the article's picture does not load")
	}
	if !strings.Contains(visitor.text(".attachments"), "实施方案.pdf") {
		t.Fatal("the attachment is not listed")
	}
	visitor.shot("article-desktop")
	visitor.visit("/col/" + fmt.Sprint(ywCol.ID))
	pageRules(t, visitor, "column")
	if !strings.Contains(visitor.text("main"), fixed) {
		t.Fatal("the column does not list it")
	}
	visitor.shot("column-desktop")
	if _, rss := get(t, portalURL+"/col/"+fmt.Sprint(ywCol.ID)+"/rss.xml"); !strings.Contains(rss, fixed) || xml.Unmarshal([]byte(rss), new(struct{})) != nil {
		t.Fatal("the feed lacks it, or is not XML")
	}
	if _, sm := get(t, portalURL+"/sitemap.xml"); !strings.Contains(sm, "/art/"+id+"</loc>") {
		t.Fatal("sitemap.xml lacks it")
	}
	visitor.visit("/")
	visitor.typeInto("#site-q", "分类 会议")
	visitor.click("form[role=search] button")
	pageRules(t, visitor, "search")
	marks := eval[[]string](visitor, `[...document.querySelectorAll('.hits mark')].map(m => m.textContent)`)
	if !strings.Contains(visitor.text(".hits"), "垃圾分类工作推进会") || !contains(marks, "分类") || !contains(marks, "会议") {
		visitor.shot("search-failed")
		t.Fatalf("search for two-character words: marks %v in %s", marks, visitor.text("main"))
	}
	visitor.shot("search-desktop")

	// 长者模式 stays on from page to page.
	visitor.click("a.elder-toggle")
	visitor.visit("/art/" + id)
	if !eval[bool](visitor, `document.documentElement.classList.contains('elder')`) {
		t.Fatal("长者模式 did not stay on")
	}
	if fs := eval[float64](visitor, `parseFloat(getComputedStyle(document.documentElement).fontSize)`); fs < 20 {
		t.Fatalf("长者模式 font size %v", fs)
	}
	visitor.shot("article-elder")
	visitor.click("a.elder-toggle")

	// Phone width.
	visitor.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	for _, p := range []struct{ path, name string }{{"/", "home-phone"}, {"/col/" + fmt.Sprint(ywCol.ID), "column-phone"}, {"/art/" + id, "article-phone"},
		{"/search?q=" + url.QueryEscape("垃圾分类"), "search-phone"}} {
		visitor.visit(p.path)
		if w := eval[int](visitor, `document.documentElement.scrollWidth`); w > 400 {
			visitor.shot(p.name + "-too-wide")
			t.Fatalf("%s is %d px wide on a phone", p.path, w)
		}
		visitor.shot(p.name)
	}
	visitor.visit("/elder?on=1&next=/")
	visitor.shot("home-elder-phone")
	visitor.visit("/elder?on=0&next=/")
	visitor.do(chromedp.EmulateViewport(1366, 768))
	visitor.visit("/")
	visitor.shot("home-desktop")

	// Withdrawn: gone from every place.
	reviewer.visit(artPath)
	reviewer.typeInto("#withdraw-reason", "会议信息需核实")
	reviewer.click("form[action$='/withdraw'] button")
	if !strings.Contains(reviewer.body(), "已撤稿：网站上不再显示") {
		t.Fatalf("not withdrawn: %s", reviewer.text("main"))
	}
	if st, _ := get(t, portalURL+"/art/"+id); st != http.StatusNotFound {
		t.Fatalf("withdrawn article answers %d", st)
	}
	for _, p := range []string{"/", "/col/" + fmt.Sprint(ywCol.ID), "/col/" + fmt.Sprint(ywCol.ID) + "/rss.xml", "/sitemap.xml", "/search?q=" + url.QueryEscape(fixed)} {
		_, body := get(t, portalURL+p)
		listed := strings.Contains(body, "/art/"+id+"<") || strings.Contains(body, "/art/"+id+"\"")
		if listed || (!strings.HasPrefix(p, "/search") && strings.Contains(body, fixed)) {
			t.Fatalf("withdrawn article still on %s", p)
		}
	}
	if st, _ := get(t, portalURL+"/files/"+imgID+"/x.png"); st != http.StatusNotFound {
		t.Fatalf("a withdrawn article's picture answers %d", st)
	}
	reviewer.visit(artPath)
	if trail := reviewer.text("main"); !strings.Contains(trail, "撤稿（第 3 版）：会议信息需核实") || !strings.Contains(trail, "退回（第 2 版）：请在标题中写明会议时间") {
		t.Fatalf("the trail lacks the steps: %s", trail)
	}
}

// TestPortalHostileInput sends script in every field and SQL in the
// search box and filters: nothing runs, nothing breaks.
func TestPortalHostileInput(t *testing.T) {
	ts := startDemoServer(t)
	portalURL := "http://" + ts.addr("portal")
	st := ts.portal.Store()
	ctx := context.Background()
	yw, _ := st.ColumnBySlug(ctx, "main", "yw")
	ed := content.Actor{Login: "chenxiao", Roles: []string{content.RoleEditor}, Depts: []string{"xxk"}}
	rv := content.Actor{Login: "wangli", Roles: []string{content.RoleReviewer}, Depts: []string{"xxk"}}
	payload := `<script>window.__xss=1</script><img src=x onerror="window.__xss=1"><svg onload="window.__xss=1">"'><a href="javascript:window.__xss=1">x</a>`
	id, err := st.Create(ctx, ed, yw.ID, content.Fields{Title: "测试" + payload[:40], Summary: payload, Source: "<b onmouseover=window.__xss=1>来源</b>",
		Author: `"><script>window.__xss=1</script>`, Keywords: payload[:60], Body: "<p>正文安全测试</p>" + payload + `<iframe src="javascript:window.__xss=1"></iframe>`})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Submit(ctx, ed, id); err != nil {
		t.Fatal(err)
	}
	if err := st.Approve(ctx, rv, id, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	root := newBrowsers(t)
	b := person(t, root, portalURL, screenshotDir(t))
	for _, p := range []string{fmt.Sprintf("/art/%d", id), "/", fmt.Sprintf("/col/%d", yw.ID), "/search?q=" + url.QueryEscape("安全测试 "+payload[:30])} {
		b.visit(p)
		time.Sleep(200 * time.Millisecond)
		if eval[bool](b, `window.__xss === 1`) {
			b.shot("xss")
			t.Fatalf("script ran on %s", p)
		}
		if n := eval[int](b, `document.querySelectorAll('script, iframe, svg, [onerror], [onload], [onmouseover], a[href^="javascript"]').length`); n > 0 {
			t.Fatalf("%s holds %d active elements", p, n)
		}
	}
	b.visit(fmt.Sprintf("/art/%d", id))
	if !strings.Contains(b.text("h1"), "<script>") {
		t.Fatalf("the title is not shown escaped: %q", b.text("h1"))
	}
	// SQL in the search box and the filters: an answer, never an error.
	for _, q := range []string{
		"q=" + url.QueryEscape(`' OR 1=1 --`),
		"q=" + url.QueryEscape(`政务"); DROP TABLE live; --`),
		"q=" + url.QueryEscape("政务") + "&col=" + url.QueryEscape("1 OR 1=1") + "&bm=" + url.QueryEscape("' OR ''='") + "&from=" + url.QueryEscape("2020-01-01' --"),
		"q=" + url.QueryEscape(`NEAR(政务 AND "`) + "&page=" + url.QueryEscape("-1 UNION SELECT 1"),
		"q=" + strings.Repeat("%E6%94%BF", 500),
	} {
		code, body := get(t, portalURL+"/search?"+q)
		if code != http.StatusOK || !strings.Contains(body, "站内搜索") {
			t.Fatalf("/search?%s answered %d", q, code)
		}
	}
	if n, _, _ := st.List(ctx, yw.ID, 1, 0); len(n) == 0 {
		t.Fatal("the column lost its items")
	}
}

// TestPortalListenerServesNoStaffRoute asks the portal listener for every
// route of the staff web: none answers there.
func TestPortalListenerServesNoStaffRoute(t *testing.T) {
	ts := startDemoServer(t)
	portalURL := "http://" + ts.addr("portal")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	param := regexp.MustCompile(`\{[^}]+\}`)
	n := 0
	for _, r := range ts.kit.Routes() {
		method, path := r.Method, strings.ReplaceAll(r.Pattern, "{$}", "")
		if method == "" {
			method = "GET"
		}
		path = param.ReplaceAllString(path, "1")
		if path == "/" || path == "" {
			continue // the portal's own home page
		}
		req, _ := http.NewRequest(method, portalURL+path, strings.NewReader("a=1"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("admin", "admin2004")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s %s on the portal listener answered %d", method, path, resp.StatusCode)
		}
		n++
	}
	if n < 50 {
		t.Fatalf("only %d staff routes asked", n)
	}
	for _, p := range []string{"/login", "/api/v1/sms", "/metrics", "/healthz", "/admin/people", "/portal"} {
		if code, _ := get(t, portalURL+p); code != http.StatusNotFound {
			t.Errorf("%s on the portal: %d", p, code)
		}
	}
	// The portal's pages are cacheable: ETag, Last-Modified, 304.
	resp, err := http.Get(portalURL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	etag, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if etag == "" || lm == "" || !strings.Contains(resp.Header.Get("Cache-Control"), "public") || resp.Header.Get("Set-Cookie") != "" {
		t.Fatalf("home page headers %v", resp.Header)
	}
	req, _ := http.NewRequest("GET", portalURL+"/", nil)
	req.Header.Set("If-None-Match", etag)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match answered %d", resp.StatusCode)
	}
}

// TestPortalInspection: the administrator's inspection page lists every
// rule; when one warns, 立即检查 (as the daily run) gives the inspectors a
// to-do through the queue, and the to-do closes when the rule is fine
// again.
func TestPortalInspection(t *testing.T) {
	ts := startDemoServer(t)
	st := ts.portal.Store()
	ctx := context.Background()
	root := newBrowsers(t)
	a := person(t, root, "http://"+ts.addr("http"), screenshotDir(t))
	a.signIn("admin", "admin2004")
	a.visit("/portal/inspect")
	page := a.text("main")
	for _, want := range []string{"首页更新", "动态要闻类栏目更新", "通知公告、政策文件类栏目更新", "空白栏目", "链接可用性", "留言办理", "站外链接检查：关闭"} {
		if !strings.Contains(page, want) {
			t.Fatalf("the inspection page lacks %s", want)
		}
	}
	if strings.Contains(a.text("#rules-h + .table-wrap"), "预警") {
		a.shot("demo-warns")
		t.Fatalf("the demo portal warns: %s", page)
	}
	admin := content.Actor{Login: "admin", Roles: []string{content.RoleAdmin}}
	// The footer's entries are the administrator's to set; a wrong
	// 标识码 is refused.
	a.visit("/portal/settings")
	a.typeInto("#s-id_code", "12345")
	a.click("form[action='/portal/settings'] button")
	if !strings.Contains(a.text(".problem"), "10 位") {
		t.Fatalf("a bad 标识码 was taken: %s", a.text("main"))
	}
	a.typeInto("#s-id_code", "3304110099")
	a.typeInto("#s-sponsor", "秀洲区人民政府办公室（门户网站测试）")
	a.click("form[action='/portal/settings'] button")
	if _, home := get(t, "http://"+ts.addr("portal")+"/"); !strings.Contains(home, "秀洲区人民政府办公室（门户网站测试）") || !strings.Contains(home, `content="3304110099"`) {
		t.Fatal("the portal does not show the new settings")
	}
	// A column added on the columns page.
	a.visit("/portal/columns")
	a.typeInto("#c-slug", "kong")
	a.typeInto("#c-name", "测试空栏目")
	a.click("form[action='/portal/columns'] button")
	if !strings.Contains(a.body(), "栏目「测试空栏目」已保存") {
		t.Fatalf("column not saved: %s", a.text("main"))
	}
	kong, err := st.ColumnBySlug(ctx, "main", "kong")
	if err != nil {
		t.Fatal(err)
	}
	colID := kong.ID
	yw, _ := st.ColumnBySlug(ctx, "main", "yw")
	art, err := st.Create(ctx, admin, yw.ID, content.Fields{Title: "链接测试", Body: `<p><a href="/art/99999">旧文</a></p>`})
	if err != nil {
		t.Fatal(err)
	}
	st.Submit(ctx, admin, art)
	if err := st.Approve(ctx, admin, art, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	a.visit("/portal/inspect")
	a.click("form[action='/portal/inspect'] button")
	page = a.text("main")
	if !strings.Contains(page, "1 个空白栏目：中国南湖·测试空栏目") || !strings.Contains(page, "/art/99999") || !strings.Contains(page, "文章不存在或已撤稿") {
		a.shot("inspect")
		t.Fatalf("the inspection missed the empty column or the broken link: %s", page)
	}
	a.shot("inspect-warnings")
	a.visit("/")
	a.waitText("main", "网站检查预警：空白栏目", 15*time.Second)
	a.waitText("main", "网站检查预警：链接可用性", 5*time.Second)
	// Fill the column: the empty-column to-do closes, the link's stays.
	fill, err := st.Create(ctx, admin, colID, content.Fields{Title: "补充内容", Body: "<p>正文</p>"})
	if err != nil {
		t.Fatal(err)
	}
	st.Submit(ctx, admin, fill)
	st.Approve(ctx, admin, fill, "", time.Time{})
	a.visit("/portal/inspect")
	a.click("form[action='/portal/inspect'] button")
	deadline := time.Now().Add(15 * time.Second)
	for {
		a.visit("/")
		body := a.text("main")
		if !strings.Contains(body, "网站检查预警：空白栏目") && strings.Contains(body, "网站检查预警：链接可用性") {
			break
		}
		if time.Now().After(deadline) {
			a.shot("todo-not-closed")
			t.Fatalf("the empty column's to-do did not close: %s", body)
		}
		time.Sleep(300 * time.Millisecond)
	}
}
