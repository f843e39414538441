package content

import (
	"context"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// clock is a settable clock for the store.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func openTest(t *testing.T) (*Store, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	s, err := Open(context.Background(), Options{Path: filepath.Join(t.TempDir(), "portal.db"), Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	admin := Actor{Login: "admin", Roles: []string{RoleAdmin}}
	for _, sec := range []Section{{Code: "main", Name: "中国南湖", Kind: SectionDistrict, Dept: "xxk"}, {Code: "czj", Name: "区财政局", Kind: SectionDepartment, Dept: "czj"}} {
		if err := s.PutSection(ctx, admin, sec); err != nil {
			t.Fatal(err)
		}
	}
	for _, col := range []Column{
		{Section: "main", Slug: "yw", Name: "南湖要闻", Area: AreaPublish, Kind: KindList, Home: true},
		{Section: "main", Slug: "zcwj", Name: "政策文件", Area: AreaPublish, Kind: KindPolicy},
		{Section: "main", Slug: "zcjd", Name: "政策解读", Area: AreaInterpret, Kind: KindInterpret},
		{Section: "czj", Slug: "gzdt", Name: "工作动态", Area: AreaPublish, Kind: KindList},
	} {
		if _, err := s.PutColumn(ctx, admin, col); err != nil {
			t.Fatal(err)
		}
	}
	return s, c
}

var (
	editor   = Actor{Login: "chenxiao", Roles: []string{RoleEditor}, Depts: []string{"xxk"}}
	reviewer = Actor{Login: "wangli", Roles: []string{RoleReviewer}, Depts: []string{"xxk"}}
	outsider = Actor{Login: "suntao", Roles: []string{RoleEditor, RoleReviewer}, Depts: []string{"czj"}}
)

func col(t *testing.T, s *Store, section, slug string) Column {
	t.Helper()
	c, err := s.ColumnBySlug(context.Background(), section, slug)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if CodeOf(err) != code {
		t.Fatalf("got %v, want a %q refusal", err, code)
	}
}

// publish writes, submits and approves an article; it returns its id.
func publish(t *testing.T, s *Store, c Column, f Fields) int64 {
	t.Helper()
	ctx := context.Background()
	id, err := s.Create(ctx, editor, c.ID, f)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Submit(ctx, editor, id); err != nil {
		t.Fatal(err)
	}
	if err := s.Approve(ctx, reviewer, id, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestLifeOfAnArticle(t *testing.T) {
	s, clk := openTest(t)
	ctx := context.Background()
	yw := col(t, s, "main", "yw")
	id, err := s.Create(ctx, editor, yw.ID, Fields{Title: "全区垃圾分类工作推进会召开", Body: "<p>会议要求各镇街道做好垃圾分类。</p>"})
	if err != nil {
		t.Fatal(err)
	}
	// Nobody outside the department writes or reviews here.
	wantCode(t, s.Save(ctx, outsider, id, 0, Fields{Title: "改"}), "forbidden")
	if _, err := s.Article(ctx, outsider, id); CodeOf(err) != "forbidden" {
		t.Fatalf("an outsider read the draft: %v", err)
	}
	// A draft is not on the portal.
	if _, err := s.Page(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("draft shown: %v", err)
	}
	if err := s.Submit(ctx, editor, id); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.Save(ctx, editor, id, 0, Fields{Title: "改"}), "conflict")
	wantCode(t, s.Approve(ctx, editor, id, "", time.Time{}), "forbidden") // an editor is no reviewer
	wantCode(t, s.Return(ctx, reviewer, id, ""), "invalid")               // an opinion is required
	if err := s.Return(ctx, reviewer, id, "标题请写明会议时间"); err != nil {
		t.Fatal(err)
	}
	art, err := s.Article(ctx, editor, id)
	if err != nil {
		t.Fatal(err)
	}
	if art.State != StateReturned {
		t.Fatalf("state %s after return", art.State)
	}
	clk.t = clk.t.Add(time.Hour)
	f := art.Fields
	f.Title = "3月2日全区垃圾分类工作推进会召开"
	// A save from an old version is refused, not lost.
	wantCode(t, s.Save(ctx, editor, id, art.Version+1, f), "conflict")
	if err := s.Save(ctx, editor, id, art.Version, f); err != nil {
		t.Fatal(err)
	}
	if err := s.Submit(ctx, editor, id); err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(time.Hour)
	published := clk.t
	if err := s.Approve(ctx, reviewer, id, "同意", time.Time{}); err != nil {
		t.Fatal(err)
	}
	p, err := s.Page(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Published.Equal(published) || !p.Updated.IsZero() || p.Fields.Title != f.Title {
		t.Fatalf("page %+v: want published at %v, not updated", p, published)
	}
	// An edit goes back to review; the portal keeps the approved form.
	clk.t = clk.t.Add(24 * time.Hour)
	art, _ = s.Article(ctx, editor, id)
	f.Title = "3月2日全区垃圾分类工作推进会召开（更正）"
	if err := s.Save(ctx, editor, id, art.Version, f); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.Page(ctx, id); strings.Contains(p.Fields.Title, "更正") {
		t.Fatal("an unapproved edit is on the portal")
	}
	if err := s.Submit(ctx, editor, id); err != nil {
		t.Fatal(err)
	}
	updated := clk.t
	if err := s.Approve(ctx, reviewer, id, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	p, _ = s.Page(ctx, id)
	if !p.Published.Equal(published) || !p.Updated.Equal(updated) || !strings.Contains(p.Fields.Title, "更正") {
		t.Fatalf("after the approved edit: published %v updated %v %q", p.Published, p.Updated, p.Fields.Title)
	}
	// Withdrawn: gone from the page, the lists and search; the trail keeps it.
	wantCode(t, s.Withdraw(ctx, reviewer, id, ""), "invalid")
	if err := s.Withdraw(ctx, reviewer, id, "内容有误"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Page(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("withdrawn page shown: %v", err)
	}
	if items, _, _ := s.List(ctx, yw.ID, 10, 0); len(items) != 0 {
		t.Fatalf("withdrawn article listed: %+v", items)
	}
	if r, _ := s.Search(ctx, Query{Text: "垃圾"}); r.Total != 0 {
		t.Fatalf("withdrawn article found: %+v", r)
	}
	trail, err := s.Trail(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range trail {
		actions = append(actions, e.Action)
	}
	want := "created submitted returned saved submitted approved published saved submitted approved published withdrawn"
	if strings.Join(actions, " ") != want {
		t.Fatalf("trail %v, want %s", actions, want)
	}
	if _, err := s.db.Writer().ExecContext(ctx, `DELETE FROM events`); err == nil {
		t.Fatal("the trail could be deleted")
	}
	if vs, _ := s.Versions(ctx, id); len(vs) != 3 {
		t.Fatalf("%d versions, want 3", len(vs))
	}
}

func TestReviewerDoesNotApproveOwnEdit(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	both := Actor{Login: "liu", Roles: []string{RoleEditor, RoleReviewer}, Depts: []string{"xxk"}}
	id, err := s.Create(ctx, both, col(t, s, "main", "yw").ID, Fields{Title: "测试", Body: "<p>正文</p>"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Submit(ctx, both, id); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.Approve(ctx, both, id, "", time.Time{}), "forbidden")
	if err := s.Approve(ctx, reviewer, id, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
}

func TestScheduledPublishing(t *testing.T) {
	s, clk := openTest(t)
	ctx := context.Background()
	id, _ := s.Create(ctx, editor, col(t, s, "main", "yw").ID, Fields{Title: "定时稿", Body: "<p>正文</p>"})
	s.Submit(ctx, editor, id)
	at := clk.t.Add(2 * time.Hour)
	if err := s.Approve(ctx, reviewer, id, "", at); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.PublishDue(ctx); n != 0 {
		t.Fatal("published before its time")
	}
	clk.t = at.Add(time.Minute)
	if n, err := s.PublishDue(ctx); n != 1 || err != nil {
		t.Fatalf("PublishDue = %d, %v", n, err)
	}
	p, err := s.Page(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	// The date is when it went on the portal, not when it was approved.
	if !p.Published.Equal(clk.t) {
		t.Fatalf("published %v, want %v", p.Published, clk.t)
	}
}

func TestPolicyAndInterpretation(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	pol := publish(t, s, col(t, s, "main", "zcwj"), Fields{Title: "关于印发秀洲区垃圾分类实施办法的通知", Body: "<p>各镇人民政府：</p>",
		Policy: &Policy{Number: "秀政发〔2026〕3号", Issuer: "秀洲区人民政府", Written: "2026-02-27", Validity: Amended}})
	jd := publish(t, s, col(t, s, "main", "zcjd"), Fields{Title: "《秀洲区垃圾分类实施办法》政策解读", Body: "<p>解读</p>", Interprets: []int64{pol}})
	p, err := s.Page(ctx, pol)
	if err != nil {
		t.Fatal(err)
	}
	if p.Fields.Policy.Validity != Amended || len(p.Interpretations) != 1 || p.Interpretations[0].ID != jd {
		t.Fatalf("policy page %+v", p)
	}
	j, _ := s.Page(ctx, jd)
	if len(j.Policies) != 1 || j.Policies[0].ID != pol {
		t.Fatalf("interpretation page links %+v", j.Policies)
	}
	// An interpretation must explain a policy document, and only those.
	id, _ := s.Create(ctx, editor, col(t, s, "main", "zcjd").ID, Fields{Title: "无对象的解读", Body: "<p>x</p>"})
	wantCode(t, s.Submit(ctx, editor, id), "invalid")
	art, _ := s.Article(ctx, editor, id)
	wantCode(t, s.Save(ctx, editor, id, art.Version, Fields{Title: "x", Interprets: []int64{jd}}), "invalid")
	// A policy document needs its number and issuer.
	id, _ = s.Create(ctx, editor, col(t, s, "main", "zcwj").ID, Fields{Title: "无文号", Body: "<p>x</p>"})
	wantCode(t, s.Submit(ctx, editor, id), "invalid")
	_, err = s.Create(ctx, editor, col(t, s, "main", "zcwj").ID, Fields{Title: "x", Policy: &Policy{Validity: "作废"}})
	wantCode(t, err, "invalid")
}

func TestSearch(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	yw := col(t, s, "main", "yw")
	a := publish(t, s, yw, Fields{Title: "电子政务建设推进会", Body: "<p>会议部署数字政府工作。</p>"})
	b := publish(t, s, yw, Fields{Title: "农村工作会议", Body: "<p>推进电子政务向村一级延伸，ＡＢＣ平台上线。</p>"})
	publish(t, s, col(t, s, "main", "zcwj"), Fields{Title: "关于加强安全生产的通知", Body: "<p>安全生产</p>",
		Policy: &Policy{Number: "秀政发〔2026〕9号", Issuer: "秀洲区人民政府"}})
	for _, c := range []struct {
		q    string
		want []int64
	}{
		{"政务", []int64{a, b}},           // a two-character word inside a longer run; the title match first
		{"电子政务 农村", []int64{b}},         // AND
		{`"政务 建设"`, []int64{a}},         // a phrase: the Chinese characters adjacent
		{"abc", []int64{b}},             // full-width letters folded
		{"ＡＢＣ", []int64{b}},             // and the other way
		{"不存在的词", nil},                  // nothing
		{`' OR 1=1 --`, nil},            // SQL in the box is text
		{`"unbalanced AND (NEAR*`, nil}, // FTS syntax in the box is text
		{"秀政发〔2026〕9号", []int64{a + 2}}, // the document number
		{"   ", nil},
	} {
		r, err := s.Search(ctx, Query{Text: c.q})
		if err != nil {
			t.Fatalf("%q: %v", c.q, err)
		}
		var got []int64
		for _, h := range r.Hits {
			got = append(got, h.ID)
		}
		if len(got) != len(c.want) || r.Total != len(c.want) {
			t.Fatalf("%q: got %v (total %d), want %v", c.q, got, r.Total, c.want)
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Fatalf("%q: got %v, want %v", c.q, got, c.want)
			}
		}
	}
	r, _ := s.Search(ctx, Query{Text: "政务"})
	if !strings.Contains(string(r.Hits[0].Title), "<mark>政务</mark>") || !strings.Contains(string(r.Hits[1].Snippet), "<mark>政务</mark>") {
		t.Fatalf("no highlight: %q / %q", r.Hits[0].Title, r.Hits[1].Snippet)
	}
	// Filters.
	if r, _ := s.Search(ctx, Query{Text: "安全", Column: yw.ID}); r.Total != 0 {
		t.Fatalf("column filter: %+v", r)
	}
	if r, _ := s.Search(ctx, Query{Text: "政务", Section: "czj"}); r.Total != 0 {
		t.Fatalf("section filter: %+v", r)
	}
	if r, _ := s.Search(ctx, Query{Text: "政务", From: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}); r.Total != 0 {
		t.Fatalf("date filter: %+v", r)
	}
}

func TestHighlightEscapes(t *testing.T) {
	got := string(Highlight(`<script>alert(1)</script> 政务公开`, []string{"政务"}, 0))
	if strings.Contains(got, "<script>") || !strings.Contains(got, "<mark>政务</mark>") {
		t.Fatalf("Highlight = %q", got)
	}
}

func TestTerms(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
	}{
		{"垃圾 分类", "垃圾|分类"},
		{`"垃圾 分类"`, "垃圾分类"},
		{"“数字 政府” 建设", "数字政府|建设"},
		{`"digital government" 南湖`, "digital government|南湖"},
		{"政务　公开", "政务|公开"},
	} {
		if got := strings.Join(Terms(c.in), "|"); got != c.want {
			t.Errorf("Terms(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

var xss = []string{
	`<script>alert(1)</script>`,
	`<img src=x onerror=alert(1)>`,
	`<a href="javascript:alert(1)">x</a>`,
	`<svg onload=alert(1)>`,
	`<iframe src="https://evil.example/"></iframe>`,
	`<p style="background:url(javascript:alert(1))">x</p>`,
	`<img src="https://evil.example/track.png">`,
	`<form action="https://evil.example/"><input name=x></form>`,
	`"><script>alert(1)</script>`,
	`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
}

func TestBodiesAreSanitised(t *testing.T) {
	for _, x := range xss {
		got := Sanitize(x)
		low := strings.ToLower(got)
		for _, bad := range []string{"<script", "onerror", "onload", "javascript:", "<iframe", "style=", "evil.example/track", "<form", "<svg", "<style"} {
			if strings.Contains(low, bad) {
				t.Errorf("Sanitize(%q) = %q keeps %s", x, got, bad)
			}
		}
	}
	if got := Sanitize(`<p>图<img src="/files/3/a.png" alt="图"></p>`); !strings.Contains(got, `src="/files/3/a.png"`) {
		t.Errorf("own image dropped: %q", got)
	}
}

func TestFiles(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	id, _ := s.Create(ctx, editor, col(t, s, "main", "yw").ID, Fields{Title: "带附件", Body: "<p>见附件。</p>"})
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...)
	img, err := s.AddFile(ctx, editor, id, "现场.png", png)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddFile(ctx, editor, id, "通知.pdf", []byte("not a pdf")); CodeOf(err) != "invalid" {
		t.Fatalf("a mislabelled file: %v", err)
	}
	if _, err := s.AddFile(ctx, editor, id, "run.exe", []byte("MZ")); CodeOf(err) != "invalid" {
		t.Fatalf("an executable: %v", err)
	}
	big := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 6<<20)...)
	if _, err := s.AddFile(ctx, editor, id, "big.png", big); CodeOf(err) != "invalid" {
		t.Fatalf("an oversized image: %v", err)
	}
	pdf, err := s.AddFile(ctx, editor, id, "通知.pdf", []byte("%PDF-1.4\n垃圾分类办法"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.FileData(ctx, img.ID, nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a draft's file is public: %v", err)
	}
	art, _ := s.Article(ctx, editor, id)
	f := art.Fields
	f.Cover = img.ID
	if err := s.Save(ctx, editor, id, art.Version, f); err != nil {
		t.Fatal(err)
	}
	s.Submit(ctx, editor, id)
	if err := s.Approve(ctx, reviewer, id, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, data, err := s.FileData(ctx, pdf.ID, nil); err != nil || len(data) == 0 {
		t.Fatalf("published attachment: %v", err)
	}
	p, _ := s.Page(ctx, id)
	if len(p.Files) != 2 || p.Fields.Cover != img.ID {
		t.Fatalf("page files %+v cover %d", p.Files, p.Fields.Cover)
	}
	// Removing a shown file keeps it until the edit is published.
	if err := s.RemoveFile(ctx, editor, id, pdf.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.FileData(ctx, pdf.ID, nil); err != nil {
		t.Fatalf("removed before the edit was approved: %v", err)
	}
	s.Submit(ctx, editor, id)
	s.Approve(ctx, reviewer, id, "", time.Time{})
	if _, _, err := s.FileData(ctx, pdf.ID, nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removed file still served: %v", err)
	}
}

func TestInvalidFields(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	yw := col(t, s, "main", "yw").ID
	for _, f := range []Fields{
		{Title: ""},
		{Title: strings.Repeat("长", 101)},
		{Title: "a\x00b"},
		{Title: "ok", Source: strings.Repeat("x", 51)},
		{Title: "bad\xff"},
	} {
		if _, err := s.Create(ctx, editor, yw, f); CodeOf(err) != "invalid" {
			t.Errorf("Create(%q): %v", f.Title, err)
		}
	}
}

func TestInspect(t *testing.T) {
	s, clk := openTest(t)
	ctx := context.Background()
	rep, err := s.Inspect(ctx, InspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	state := func(r Report, key string) string {
		for _, x := range r.Rules {
			if x.Key == key {
				return x.State
			}
		}
		t.Fatalf("no rule %s", key)
		return ""
	}
	// Nothing published: the home page fails, four columns are empty.
	if state(rep, "home") != CheckFail || state(rep, "empty") != CheckWarn {
		t.Fatalf("empty portal: %+v", rep.Rules)
	}
	yw := col(t, s, "main", "yw")
	a := publish(t, s, yw, Fields{Title: "要闻", Body: `<p>见<a href="/art/999">旧文</a>和<a href="/col/1">栏目</a>、<a href="https://example.invalid/">外站</a></p>`})
	if _, err := s.PutColumn(ctx, Actor{Login: "admin", Roles: []string{RoleAdmin}}, Column{ID: yw.ID, Section: "main", Slug: "yw", Name: "南湖要闻", Area: AreaPublish, Kind: KindList, Update: UpdateNews, Home: true}); err != nil {
		t.Fatal(err)
	}
	rep, _ = s.Inspect(ctx, InspectOptions{})
	if state(rep, "home") != CheckOK || state(rep, "news") != CheckOK || state(rep, "links") != CheckWarn {
		t.Fatalf("fresh: %+v", rep.Rules)
	}
	if len(rep.Links) != 1 || rep.Links[0].Article != a || rep.Links[0].Href != "/art/999" || rep.Checked != 2 {
		t.Fatalf("links %+v (checked %d)", rep.Links, rep.Checked)
	}
	clk.t = clk.t.Add(11 * 24 * time.Hour)
	rep, _ = s.Inspect(ctx, InspectOptions{})
	if state(rep, "home") != CheckWarn || state(rep, "news") != CheckWarn || rep.Worst() != CheckWarn {
		t.Fatalf("11 days: %+v", rep.Rules)
	}
	clk.t = clk.t.Add(4 * 24 * time.Hour)
	rep, _ = s.Inspect(ctx, InspectOptions{})
	if state(rep, "home") != CheckFail || rep.Worst() != CheckFail {
		t.Fatalf("15 days: %+v", rep.Rules)
	}
}

// TestDemoPassesInspection: the seeded demo portal is a living one, as a
// newcomer should see it: no rule warns on the day it is seeded, and its
// search finds two-character words.
func TestDemoPassesInspection(t *testing.T) {
	s, err := Open(context.Background(), Options{Path: filepath.Join(t.TempDir(), "portal.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if ok, err := s.SeedDemo(ctx); !ok || err != nil {
		t.Fatalf("SeedDemo = %v, %v", ok, err)
	}
	if ok, _ := s.SeedDemo(ctx); ok {
		t.Fatal("seeded twice")
	}
	rep, err := s.Inspect(ctx, InspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Worst() != CheckOK {
		t.Fatalf("the demo fails the inspection: %+v", rep.Rules)
	}
	for _, q := range []string{"垃圾", "农业", "企业", "学校"} {
		if r, err := s.Search(ctx, Query{Text: q}); err != nil || r.Total < 3 {
			t.Fatalf("search %s: %d, %v", q, r.Total, err)
		}
	}
	var jd int
	s.db.Reader().QueryRow(`SELECT count(*) FROM links`).Scan(&jd)
	if jd < 10 {
		t.Fatalf("%d interpretation links", jd)
	}
}

// TestBestHits: the heap keeps exactly what a full sort would put first.
func TestBestHits(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, k := range []int{1, 3, 10, 60} {
		var all []ranked
		top := &bestHits{k: k}
		for i := range 500 {
			h := ranked{id: int64(i), score: float64(r.IntN(40)), pub: int64(r.IntN(5))}
			all = append(all, h)
			top.add(h)
		}
		slices.SortFunc(all, func(a, b ranked) int {
			if better(a, b) {
				return -1
			}
			return 1
		})
		got := top.sorted()
		if !slices.Equal(got, all[:k]) {
			t.Fatalf("k=%d: heap %v, sort %v", k, got[:min(5, k)], all[:min(5, k)])
		}
	}
}
