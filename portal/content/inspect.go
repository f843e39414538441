package content

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"nanhu/internal/workcal"
)

var shanghaiZone = workcal.Shanghai()

// The inspection (国办秘函〔2019〕19号, 政府网站与政务新媒体检查指标):
// what fails a 政府网站 outright, and how long before that the portal
// warns. Each rule has a warning limit and the limit that fails.
const (
	homeWarn, homeFail     = 10 * 24 * time.Hour, 14 * 24 * time.Hour
	newsWarn, newsFail     = 10 * 24 * time.Hour, 14 * 24 * time.Hour
	noticeWarn, noticeFail = 150 * 24 * time.Hour, 183 * 24 * time.Hour
	emptyFail              = 5 // empty columns that fail the site
)

// Check states.
const (
	CheckOK   = "ok"
	CheckWarn = "warn"
	CheckFail = "fail"
)

// CheckNames are the states in Chinese.
var CheckNames = map[string]string{CheckOK: "合格", CheckWarn: "预警", CheckFail: "不合格"}

// Rule is one rule of the inspection and how the portal stands.
type Rule struct {
	Key    string // stable, for the to-do it raises
	Name   string // 首页更新
	Limit  string // what fails the site
	State  string
	Detail string // how it stands now
	Advice string // what to do
}

// ColumnCheck is a column's state under the update rules.
type ColumnCheck struct {
	Column  Column
	Section string // the section's name
	Count   int
	Newest  time.Time
	Rule    string // 动态要闻类, 通知公告政策文件类, or ""
	State   string
	Detail  string
}

// BrokenLink is a link of a published article that leads nowhere.
type BrokenLink struct {
	Article int64
	Title   string
	Href    string
	Why     string
}

// Report is the inspection's answer.
type Report struct {
	At      time.Time
	Rules   []Rule
	Columns []ColumnCheck
	Links   []BrokenLink
	// External says whether outside links were checked (the network
	// allows it) or only the portal's own.
	External bool
	Checked  int // links checked
}

// Worst is the worst state of the report's rules.
func (r Report) Worst() string {
	w := CheckOK
	for _, x := range r.Rules {
		if x.State == CheckFail {
			return CheckFail
		}
		if x.State == CheckWarn {
			w = CheckWarn
		}
	}
	return w
}

// InspectOptions tune an inspection.
type InspectOptions struct {
	// External checks outside links too (a HEAD, then a GET, each within
	// Timeout); only where the network reaches the internet.
	External bool
	Timeout  time.Duration
	Client   *http.Client
}

// generated are the column kinds whose content is made by the system,
// not written: they are never empty in the inspection's sense.
func generated(kind string) bool { return kind == KindInteract || kind == KindCatalogue }

// Inspect checks the portal against the inspection's rules.
func (s *Store) Inspect(ctx context.Context, o InspectOptions) (Report, error) {
	now := s.now()
	rep := Report{At: now, External: o.External}
	states, err := s.ColumnStates(ctx)
	if err != nil {
		return rep, err
	}
	secs, err := s.Sections(ctx)
	if err != nil {
		return rep, err
	}
	names := map[string]string{}
	for _, sec := range secs {
		names[sec.Code] = sec.Name
	}
	var homeNewest time.Time
	var empty []string
	newsState, noticeState := CheckOK, CheckOK
	var newsLate, noticeLate []string
	for _, st := range states {
		c := ColumnCheck{Column: st.Column, Section: names[st.Column.Section], Count: st.Count, Newest: fromMS(st.Newest), State: CheckOK}
		if c.Column.Home && c.Newest.After(homeNewest) {
			homeNewest = c.Newest
		}
		label := c.Section + "·" + c.Column.Name
		age := now.Sub(c.Newest)
		switch {
		case st.Count == 0 && !generated(c.Column.Kind):
			c.State, c.Detail = CheckWarn, "栏目为空"
			empty = append(empty, label)
		case c.Column.Update == UpdateNews:
			c.Rule = "动态要闻类"
			c.State = grade(age, newsWarn, newsFail)
			c.Detail = fmt.Sprintf("%d 天未更新", int(age.Hours()/24))
			if c.State != CheckOK {
				newsLate = append(newsLate, label)
				newsState = worse(newsState, c.State)
			}
		case c.Column.Update == UpdateNotice:
			c.Rule = "通知公告政策文件类"
			c.State = grade(age, noticeWarn, noticeFail)
			c.Detail = fmt.Sprintf("%d 天未更新", int(age.Hours()/24))
			if c.State != CheckOK {
				noticeLate = append(noticeLate, label)
				noticeState = worse(noticeState, c.State)
			}
		}
		rep.Columns = append(rep.Columns, c)
	}
	homeAge := now.Sub(homeNewest)
	home := Rule{Key: "home", Name: "首页更新", Limit: "首页栏目信息超过 2 周未更新即单项否决", State: grade(homeAge, homeWarn, homeFail)}
	if homeNewest.IsZero() {
		home.State, home.Detail = CheckFail, "首页栏目没有任何信息。"
	} else {
		home.Detail = fmt.Sprintf("首页栏目最新一条信息发布于 %s，已 %d 天。", homeNewest.In(shanghaiZone).Format("2006-01-02"), int(homeAge.Hours()/24))
	}
	home.Advice = "首页的要闻、动态、通知公告等栏目每周都应有新信息；请安排编辑发布。"
	news := Rule{Key: "news", Name: "动态要闻类栏目更新", Limit: "动态、要闻类栏目超过 2 周未更新即单项否决", State: newsState,
		Detail: "全部按时更新。", Advice: "在超期前发布本部门、本镇街的工作动态。"}
	if len(newsLate) > 0 {
		news.Detail = "超过 10 天未更新：" + strings.Join(newsLate, "、") + "。"
	}
	notice := Rule{Key: "notice", Name: "通知公告、政策文件类栏目更新", Limit: "通知公告、政策文件类栏目超过 6 个月未更新即单项否决", State: noticeState,
		Detail: "全部按时更新。", Advice: "检查有无应公开未公开的通知公告和政策文件，及时发布。"}
	if len(noticeLate) > 0 {
		notice.Detail = "超过 5 个月未更新：" + strings.Join(noticeLate, "、") + "。"
	}
	emptyRule := Rule{Key: "empty", Name: "空白栏目", Limit: "空白栏目达到 5 个即单项否决", State: CheckOK, Detail: "没有空白栏目。",
		Advice: "为空白栏目补充内容；确实无内容的栏目应合并或撤销。"}
	if n := len(empty); n > 0 {
		emptyRule.State = CheckWarn
		if n >= emptyFail {
			emptyRule.State = CheckFail
		}
		emptyRule.Detail = fmt.Sprintf("%d 个空白栏目：%s。", n, strings.Join(empty, "、"))
	}
	if rep.Links, rep.Checked, err = s.checkLinks(ctx, o); err != nil {
		return rep, err
	}
	links := Rule{Key: "links", Name: "链接可用性", Limit: "首页、栏目和文章中不得有无法访问的链接（错链、断链）", State: CheckOK,
		Advice: "修改或删除失效的链接，然后重新送审发布。"}
	scope := "站内链接"
	if o.External {
		scope = "站内和站外链接"
	}
	links.Detail = fmt.Sprintf("检查了 %d 个%s，全部可以访问。", rep.Checked, scope)
	if n := len(rep.Links); n > 0 {
		links.State = CheckWarn
		links.Detail = fmt.Sprintf("检查了 %d 个%s，其中 %d 个无法访问。", rep.Checked, scope, n)
	}
	if !o.External {
		links.Detail += "本机不能访问互联网，站外链接未检查（配置 [portal] check_external_links）。"
	}
	rep.Rules = []Rule{home, news, notice, emptyRule, links}
	return rep, nil
}

func grade(age, warn, fail time.Duration) string {
	switch {
	case age >= fail:
		return CheckFail
	case age >= warn:
		return CheckWarn
	}
	return CheckOK
}

func worse(a, b string) string {
	rank := map[string]int{CheckOK: 0, CheckWarn: 1, CheckFail: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

var hrefs = regexp.MustCompile(`(?i)\b(?:href|src)\s*=\s*"([^"]*)"`)

// checkLinks reads every published body's links: the portal's own are
// looked up, outside ones fetched when o.External.
func (s *Store) checkLinks(ctx context.Context, o InspectOptions) ([]BrokenLink, int, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT id, title, fields FROM live ORDER BY id`)
	if err != nil {
		return nil, 0, fmt.Errorf("portal: check links: %w", err)
	}
	type link struct {
		article int64
		title   string
		href    string
	}
	var all []link
	for rows.Next() {
		var id int64
		var title, js string
		if err := rows.Scan(&id, &title, &js); err != nil {
			rows.Close()
			return nil, 0, err
		}
		var f Fields
		if json.Unmarshal([]byte(js), &f) != nil {
			continue
		}
		for _, m := range hrefs.FindAllStringSubmatch(f.Body, -1) {
			all = append(all, link{id, title, htmlUnescape(m[1])})
		}
	}
	rows.Close()
	var broken []BrokenLink
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	checked := 0
	for _, l := range all {
		why := ""
		switch {
		case strings.HasPrefix(l.href, "/"):
			checked++
			why = s.ownLink(ctx, l.href)
		case strings.HasPrefix(l.href, "mailto:"), strings.HasPrefix(l.href, "#"):
		case o.External && (strings.HasPrefix(l.href, "http://") || strings.HasPrefix(l.href, "https://")):
			checked++
			wg.Add(1)
			go func(l link) {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				if why := fetch(ctx, o, l.href); why != "" {
					mu.Lock()
					broken = append(broken, BrokenLink{Article: l.article, Title: l.title, Href: l.href, Why: why})
					mu.Unlock()
				}
			}(l)
		}
		if why != "" {
			mu.Lock()
			broken = append(broken, BrokenLink{Article: l.article, Title: l.title, Href: l.href, Why: why})
			mu.Unlock()
		}
	}
	wg.Wait()
	slices.SortFunc(broken, func(a, b BrokenLink) int { return int(a.Article - b.Article) })
	return broken, checked, nil
}

var ownPath = regexp.MustCompile(`^/(art|col|files|bm|area)/([0-9a-z]+)`)

// ownLink says why a link to the portal's own page leads nowhere ("" when
// it leads somewhere).
func (s *Store) ownLink(ctx context.Context, href string) string {
	if href == "/" || strings.HasPrefix(href, "/search") || href == "/sitemap" || href == "/sitemap.xml" {
		return ""
	}
	m := ownPath.FindStringSubmatch(href)
	if m == nil {
		return "站内没有这个地址"
	}
	id, _ := strconv.ParseInt(m[2], 10, 64)
	var n int
	var q string
	switch m[1] {
	case "art":
		q = `SELECT count(*) FROM live WHERE id = ?`
	case "col":
		q = `SELECT count(*) FROM columns WHERE id = ?`
	case "files":
		q = `SELECT count(*) FROM files f JOIN live l ON l.id = f.article WHERE f.id = ? AND f.shown = 1`
	case "bm":
		if err := s.db.Reader().QueryRowContext(ctx, `SELECT count(*) FROM sections WHERE code = ?`, m[2]).Scan(&n); err != nil || n == 0 {
			return "没有这个部门或镇街"
		}
		return ""
	default:
		return ""
	}
	if err := s.db.Reader().QueryRowContext(ctx, q, id).Scan(&n); err != nil || n == 0 {
		return map[string]string{"art": "文章不存在或已撤稿", "col": "栏目不存在", "files": "文件不存在或未发布"}[m[1]]
	}
	return ""
}

// fetch says why an outside address does not answer ("" when it does):
// a HEAD, and a GET when the HEAD is refused (some servers answer HEAD
// with an error).
func fetch(ctx context.Context, o InspectOptions, href string) string {
	client := o.Client
	if client == nil {
		client = &http.Client{Timeout: max(o.Timeout, 10*time.Second)}
	}
	why := ""
	for _, method := range []string{http.MethodHead, http.MethodGet} {
		req, err := http.NewRequestWithContext(ctx, method, href, nil)
		if err != nil {
			return "地址无效"
		}
		resp, err := client.Do(req)
		if err != nil {
			why = "无法连接"
			continue
		}
		resp.Body.Close()
		if resp.StatusCode < 400 {
			return ""
		}
		why = fmt.Sprintf("对方回答 %d", resp.StatusCode)
	}
	return why
}

func htmlUnescape(s string) string { return strings.ReplaceAll(s, "&amp;", "&") }
