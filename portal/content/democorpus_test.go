package content

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// demoColumnIndex is the demo columns by "section/slug".
func demoColumnIndex() map[string]demoColumn {
	cols := map[string]demoColumn{}
	for _, s := range demoSections {
		for _, c := range demoColumnsOf(s) {
			cols[s.Code+"/"+c.slug] = c
		}
	}
	return cols
}

// demoSection is the demo section of code.
func demoSection(t *testing.T, code string) Section {
	t.Helper()
	for _, s := range demoSections {
		if s.Code == code {
			return s
		}
	}
	t.Fatalf("no demo section %q", code)
	return Section{}
}

// kindOf is the kind of an item's column.
func kindOf(it DemoItem) string { return demoColumnIndex()[it.Section+"/"+it.Column].kind }

func TestDemoCorpusShape(t *testing.T) {
	items := DemoCorpus()
	if n := len(items); n < 250 || n > 400 {
		t.Fatalf("%d items, want 250..400", n)
	}
	cols := demoColumnIndex()
	keys := map[string]bool{}
	old, edited := 0, 0
	for _, it := range items {
		if keys[it.Key] {
			t.Errorf("key %s twice", it.Key)
		}
		keys[it.Key] = true
		if _, ok := cols[it.Section+"/"+it.Column]; !ok {
			t.Errorf("%s: no column %s/%s", it.Key, it.Section, it.Column)
		}
		if !strings.HasPrefix(it.Key, it.Section+"/"+it.Column+"/") {
			t.Errorf("key %s is not of %s/%s", it.Key, it.Section, it.Column)
		}
		if it.Age <= 0 || it.Age > 730*24*time.Hour {
			t.Errorf("%s: age %v, want (0, 730 days]", it.Key, it.Age)
		}
		if it.Age > 180*24*time.Hour {
			old++
		}
		if it.Edited < 0 || it.Edited >= it.Age {
			t.Errorf("%s: edited %v for age %v", it.Key, it.Edited, it.Age)
		}
		if it.Edited > 0 {
			edited++
		}
	}
	if old*10 < len(items)*3 {
		t.Errorf("%d of %d items older than 180 days, want at least 30%%", old, len(items))
	}
	if edited*100 < len(items) || edited*10 > len(items) {
		t.Errorf("%d of %d items edited, want a few %%", edited, len(items))
	}
}

func TestDemoCorpusColumns(t *testing.T) {
	items := DemoCorpus()
	n := map[string]int{}
	for _, it := range items {
		n[it.Section+"/"+it.Column]++
	}
	for _, s := range demoSections {
		for _, c := range demoColumnsOf(s) {
			k, got := s.Code+"/"+c.slug, n[s.Code+"/"+c.slug]
			lo, hi := 1, 1000
			switch {
			case c.kind == KindInteract || c.kind == KindCatalogue:
				lo, hi = 0, 0
			case c.kind == KindPage || c.kind == KindLeaders:
				lo, hi = 1, 1
			case c.kind == KindEnterprise:
				lo, hi = 6, 10
			case c.kind == KindInterpret:
				lo, hi = 10, 14
			case c.kind == KindGuide:
				lo, hi = 13, 17
			case s.Code == mainSection && (c.slug == "yw" || c.slug == "gzdt"):
				lo, hi = 35, 45
			case s.Code != mainSection:
				lo, hi = 3, 8
			}
			if got < lo || got > hi {
				t.Errorf("%s (%s): %d items, want %d..%d", k, c.kind, got, lo, hi)
			}
		}
	}
}

func TestDemoCorpusFresh(t *testing.T) {
	items := DemoCorpus()
	newest := map[string]time.Duration{}
	all := time.Duration(1 << 62)
	for _, it := range items {
		k := it.Section + "/" + it.Column
		if a, ok := newest[k]; !ok || it.Age < a {
			newest[k] = it.Age
		}
		all = min(all, it.Age)
	}
	if all >= 2*24*time.Hour {
		t.Errorf("newest item is %v old, want < 2 days", all)
	}
	for k, c := range demoColumnIndex() {
		a, ok := newest[k]
		switch c.update {
		case UpdateNews:
			if !ok || a >= 6*24*time.Hour {
				t.Errorf("%s: newest item %v old, want < 6 days", k, a)
			}
		case UpdateNotice:
			if !ok || a >= 90*24*time.Hour {
				t.Errorf("%s: newest item %v old, want < 90 days", k, a)
			}
		}
	}
}

func TestDemoCorpusText(t *testing.T) {
	ascii := regexp.MustCompile(`[,;:?!()]`)
	titles := map[string]bool{}
	for _, it := range DemoCorpus() {
		f := it.Fields
		if f.Title == "" || utf8.RuneCountInString(f.Title) > 60 {
			t.Errorf("%s: title %q, want 1..60 characters", it.Key, f.Title)
		}
		if k := it.Section + "/" + it.Column + "|" + f.Title; titles[k] {
			t.Errorf("%s: title %q twice in its column", it.Key, f.Title)
		} else {
			titles[k] = true
		}
		if utf8.RuneCountInString(f.Summary) > 120 || !strings.HasSuffix(f.Summary, "。") || strings.Count(f.Summary, "。") != 1 ||
			strings.ContainsAny(f.Summary, "！？\n") {
			t.Errorf("%s: summary %q is not one sentence of at most 120 characters", it.Key, f.Summary)
		}
		if f.Source == "" || utf8.RuneCountInString(f.Source) > 50 {
			t.Errorf("%s: source %q", it.Key, f.Source)
		}
		if n := utf8.RuneCountInString(f.Author); n < 2 || n > 3 {
			t.Errorf("%s: author %q, want a name", it.Key, f.Author)
		}
		kw := strings.Split(f.Keywords, "，")
		if len(kw) < 2 || len(kw) > 3 || slices.Contains(kw, "") || len(slices.Compact(slices.Sorted(slices.Values(kw)))) != len(kw) {
			t.Errorf("%s: keywords %q, want 2..3 words joined by ，", it.Key, f.Keywords)
		}
		text := f.Title + f.Summary + f.Keywords + PlainText(f.Body)
		if m := ascii.FindString(text); m != "" {
			t.Errorf("%s: ASCII punctuation %q in its text", it.Key, m)
		}
		if f.Cover != 0 || f.Interprets != nil {
			t.Errorf("%s: cover or interprets set", it.Key)
		}
	}
}

func TestDemoCorpusBodies(t *testing.T) {
	tag := regexp.MustCompile(`<(/?)([^\s>/]*)([^>]*)>`)
	handler := regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
	allowed := []string{"p", "h3", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td"}
	for _, it := range DemoCorpus() {
		b := it.Fields.Body
		for _, bad := range []string{"<script", "style=", "<img", "<a ", "href", "http", "<iframe"} {
			if strings.Contains(strings.ToLower(b), bad) {
				t.Errorf("%s: body has %q", it.Key, bad)
			}
		}
		if handler.MatchString(b) {
			t.Errorf("%s: body has an event handler", it.Key)
		}
		var open []string
		for _, m := range tag.FindAllStringSubmatch(b, -1) {
			if !slices.Contains(allowed, m[2]) || m[3] != "" {
				t.Errorf("%s: tag %q", it.Key, m[0])
				continue
			}
			if m[1] == "" {
				open = append(open, m[2])
			} else if len(open) == 0 || open[len(open)-1] != m[2] {
				t.Errorf("%s: </%s> closes nothing", it.Key, m[2])
			} else {
				open = open[:len(open)-1]
			}
		}
		if len(open) > 0 {
			t.Errorf("%s: %v left open", it.Key, open)
		}
		if p := strings.Count(b, "<p>"); p < 3 || p > 8 {
			t.Errorf("%s: %d paragraphs, want 3..8", it.Key, p)
		}
		if s := Sanitize(b); s != b {
			t.Errorf("%s: the sanitiser changes the body:\n%s\n%s", it.Key, b, s)
		}
	}
}

func TestDemoCorpusPolicies(t *testing.T) {
	items := DemoCorpus()
	now := time.Now()
	prefixes := map[string]string{"czj": "秀财发", "fgj": "秀发改", "jyj": "秀教", "wsj": "秀卫", "gaj": "秀公",
		"cgj": "秀城管", "nyj": "秀农", "hbj": "秀环", "xfj": "秀信访"}
	topics := []string{"综合政务", "财政金融", "城乡建设", "农业农村", "教育", "卫生健康", "公安", "环境保护", "社会保障"}
	index := regexp.MustCompile(`^(\d{9})/(\d{4})-(\d{5})$`)
	number := regexp.MustCompile(`^(秀\p{Han}+)〔(\d{4})〕(\d+)号$`)
	codes, numbers, indexNos := map[string]string{}, map[string]bool{}, map[string]bool{}
	validity := map[string]int{}
	type doc struct {
		written string
		serial  int
	}
	series := map[string][]doc{}
	policies := 0
	for _, it := range items {
		p := it.Fields.Policy
		if kindOf(it) != KindPolicy {
			if p != nil {
				t.Errorf("%s: a policy outside a policy column", it.Key)
			}
			continue
		}
		policies++
		if p == nil {
			t.Errorf("%s: no policy", it.Key)
			continue
		}
		for what, v := range map[string]string{"索引号": p.IndexNo, "发文字号": p.Number, "发文机关": p.Issuer, "成文日期": p.Written, "有效性": p.Validity, "主题分类": p.Topic} {
			if v == "" {
				t.Errorf("%s: no %s", it.Key, what)
			}
		}
		if len([]rune(p.IndexNo)) > 40 || len([]rune(p.Number)) > 40 || len([]rune(p.Issuer)) > 60 || len([]rune(p.Topic)) > 20 {
			t.Errorf("%s: a policy field too long: %+v", it.Key, *p)
		}
		written, err := time.ParseInLocation(time.DateOnly, p.Written, time.Local)
		if err != nil {
			t.Errorf("%s: 成文日期 %q: %v", it.Key, p.Written, err)
			continue
		}
		if pub := now.Add(-it.Age); !written.Before(pub.Add(24*time.Hour)) || written.Before(pub.AddDate(0, 0, -12)) {
			t.Errorf("%s: written %s, published %s", it.Key, p.Written, pub.Format(time.DateOnly))
		}
		validity[p.Validity]++
		if !slices.Contains(topics, p.Topic) {
			t.Errorf("%s: 主题分类 %q", it.Key, p.Topic)
		}
		m := index.FindStringSubmatch(p.IndexNo)
		if m == nil || m[2] != strconv.Itoa(written.Year()) {
			t.Errorf("%s: 索引号 %q for %s", it.Key, p.IndexNo, p.Written)
		} else if c, ok := codes[it.Section]; ok && c != m[1] {
			t.Errorf("%s: organisation code %s, the section's is %s", it.Key, m[1], c)
		} else {
			codes[it.Section] = m[1]
		}
		n := number.FindStringSubmatch(p.Number)
		if n == nil || n[2] != strconv.Itoa(written.Year()) {
			t.Errorf("%s: 发文字号 %q for %s", it.Key, p.Number, p.Written)
			continue
		}
		if numbers[p.Number] || indexNos[p.IndexNo] {
			t.Errorf("%s: %s or %s twice", it.Key, p.Number, p.IndexNo)
		}
		numbers[p.Number], indexNos[p.IndexNo] = true, true
		serial, _ := strconv.Atoi(n[3])
		series[n[1]+n[2]] = append(series[n[1]+n[2]], doc{p.Written, serial})
		sec := demoSection(t, it.Section)
		switch {
		case it.Section == mainSection:
			if !(n[1] == "秀政发" && p.Issuer == "秀洲区人民政府" || n[1] == "秀政办发" && p.Issuer == "秀洲区人民政府办公室") {
				t.Errorf("%s: %s issued by %s", it.Key, p.Number, p.Issuer)
			}
		case n[1] != prefixes[it.Section] || p.Issuer != "秀洲区"+strings.TrimPrefix(sec.Name, "区"):
			t.Errorf("%s: %s issued by %s", it.Key, p.Number, p.Issuer)
		}
	}
	if policies < 30 {
		t.Errorf("%d policy documents", policies)
	}
	seen := map[string]string{}
	for sec, c := range codes {
		if s, ok := seen[c]; ok {
			t.Errorf("sections %s and %s share organisation code %s", s, sec, c)
		}
		seen[c] = sec
	}
	for k, docs := range series {
		slices.SortFunc(docs, func(x, y doc) int { return x.serial - y.serial })
		for i := 1; i < len(docs); i++ {
			if docs[i].written < docs[i-1].written {
				t.Errorf("%s: %d written %s after %d written %s", k, docs[i-1].serial, docs[i-1].written, docs[i].serial, docs[i].written)
			}
		}
	}
	if validity[Amended] < 3 || validity[Repealed] < 3 || validity[Expired] < 2 || validity[Valid]*2 < policies {
		t.Errorf("validities %v, want mostly %s, at least 3 %s, 3 %s and 2 %s", validity, Valid, Amended, Repealed, Expired)
	}
}

func TestDemoCorpusInterpretations(t *testing.T) {
	items := DemoCorpus()
	at := map[string]int{}
	for i, it := range items {
		at[it.Key] = i
	}
	quote := strings.NewReplacer("《", "〈", "》", "〉")
	n, two := 0, 0
	for i, it := range items {
		if kindOf(it) != KindInterpret {
			if it.Explains != nil {
				t.Errorf("%s explains %v", it.Key, it.Explains)
			}
			continue
		}
		n++
		if len(it.Explains) < 1 || len(it.Explains) > 2 {
			t.Errorf("%s explains %v, want 1 or 2", it.Key, it.Explains)
			continue
		}
		if len(it.Explains) == 2 {
			two++
		}
		for _, k := range it.Explains {
			j, ok := at[k]
			if !ok {
				t.Errorf("%s explains %s: no such item", it.Key, k)
				continue
			}
			if p := items[j]; kindOf(p) != KindPolicy || j > i || p.Age < it.Age {
				t.Errorf("%s (age %v) explains %s (%s, age %v, at %d of %d)", it.Key, it.Age, k, kindOf(p), p.Age, j, i)
			}
		}
		if p := items[at[it.Explains[0]]]; it.Fields.Title != "《"+quote.Replace(p.Fields.Title)+"》政策解读" {
			t.Errorf("%s: title %q for %q", it.Key, it.Fields.Title, p.Fields.Title)
		}
		for _, h := range []string{"背景依据", "主要内容", "适用范围"} {
			if !regexp.MustCompile(`<h3>[^<]*` + h + `</h3>`).MatchString(it.Fields.Body) {
				t.Errorf("%s: no <h3> %s", it.Key, h)
			}
		}
	}
	if n < 10 || two == 0 {
		t.Errorf("%d interpretations, %d of two documents", n, two)
	}
}

func TestDemoCorpusGuides(t *testing.T) {
	phone := regexp.MustCompile(`^0573-8\d{7}$`)
	limit := regexp.MustCompile(`^(即办|\d+个工作日)$`)
	place := regexp.MustCompile(`^秀洲区行政服务中心[一二三]楼\d+号窗口$`)
	basis := regexp.MustCompile(`^《\p{Han}+》第\p{Han}+条`)
	matters := map[string]bool{}
	for _, it := range DemoCorpus() {
		g := it.Fields.Guide
		if kindOf(it) != KindGuide {
			if g != nil {
				t.Errorf("%s: a guide outside a guide column", it.Key)
			}
			continue
		}
		if g == nil {
			t.Errorf("%s: no guide", it.Key)
			continue
		}
		fields := map[string]string{"事项名称": g.Matter, "设定依据": g.Basis, "申请条件": g.Conditions, "办理材料": g.Materials,
			"办理地点": g.Place, "办理时间": g.Hours, "收费标准": g.Fees, "办理时限": g.TimeLimit, "咨询电话": g.Phone}
		for what, v := range fields {
			if v == "" {
				t.Errorf("%s: no %s", it.Key, what)
			}
		}
		if matters[g.Matter] {
			t.Errorf("%s: matter %s twice", it.Key, g.Matter)
		}
		matters[g.Matter] = true
		if it.Fields.Title != g.Matter+"办事指南" {
			t.Errorf("%s: title %q for %q", it.Key, it.Fields.Title, g.Matter)
		}
		if lines := strings.Split(g.Materials, "\n"); len(lines) < 3 || slices.Contains(lines, "") {
			t.Errorf("%s: materials %q, want a line each", it.Key, g.Materials)
		}
		if !basis.MatchString(g.Basis) || !place.MatchString(g.Place) || !phone.MatchString(g.Phone) || !limit.MatchString(g.TimeLimit) {
			t.Errorf("%s: guide %+v", it.Key, *g)
		}
		if g.Hours != "工作日 上午9:00-12:00 下午13:30-17:00" || g.Fees != "不收费" && !strings.HasSuffix(g.Fees, "元") {
			t.Errorf("%s: hours %q, fees %q", it.Key, g.Hours, g.Fees)
		}
	}
	if len(matters) < 13 {
		t.Errorf("%d guides", len(matters))
	}
}

func TestDemoCorpusPages(t *testing.T) {
	firms := 0
	for _, it := range DemoCorpus() {
		b := it.Fields.Body
		var want []string
		switch k := kindOf(it); {
		case k == KindLeaders:
			want = []string{"<table>", "<td>区长</td>", "<td>副区长</td>", "分工"}
			if strings.Count(b, "副区长") < 3 {
				t.Errorf("%s: too few 副区长", it.Key)
			}
		case k == KindPage && it.Column == "jgzn":
			want = []string{"主要职责", "<ol><li>"}
		case k == KindPage && it.Column == "gk":
			want = []string{"平方公里", "行政村", "社区", "万人"}
		case k == KindPage:
			want = []string{"平方公里"}
		case k == KindEnterprise:
			firms++
			want = []string{"<table>", "员工"}
			if !strings.HasSuffix(it.Fields.Title, "有限公司") || utf8.RuneCountInString(it.Fields.Title) < 8 {
				t.Errorf("%s: company %q", it.Key, it.Fields.Title)
			}
		}
		for _, w := range want {
			if !strings.Contains(b, w) {
				t.Errorf("%s (%s): no %q in\n%s", it.Key, it.Fields.Title, w, b)
			}
		}
	}
	if firms < 6 {
		t.Errorf("%d enterprises", firms)
	}
}

func TestDemoCorpusWords(t *testing.T) {
	items := DemoCorpus()
	for _, w := range []string{"会议", "工作", "农业", "企业", "学校", "医疗", "安全", "环境", "垃圾", "分类", "村民", "社区", "政策"} {
		n := 0
		for _, it := range items {
			if strings.Contains(it.Fields.Title+PlainText(it.Fields.Body), w) {
				n++
			}
		}
		if n < 10 {
			t.Errorf("%q in %d items, want at least 10", w, n)
		}
	}
}

// undated is items without the dates that depend on the day; with
// numbers, without the 文号 and 索引号 too, which carry the year.
func undated(items []DemoItem, numbers bool) []DemoItem {
	for _, it := range items {
		if p := it.Fields.Policy; p != nil {
			p.Written = ""
			if numbers {
				p.Number, p.IndexNo = "", ""
			}
		}
	}
	return items
}

func TestDemoCorpusDeterministic(t *testing.T) {
	a, b := undated(DemoCorpus(), false), undated(DemoCorpus(), false)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two calls differ")
	}
	now := time.Date(2026, 3, 5, 10, 0, 0, 0, time.Local)
	if x, y := demoCorpus(now), demoCorpus(now); !reflect.DeepEqual(x, y) {
		t.Fatal("two calls for the same day differ")
	}
	later := demoCorpus(now.AddDate(1, 0, 3))
	for _, it := range later {
		if p := it.Fields.Policy; p != nil && !strings.Contains(p.Number, fmt.Sprintf("〔%s〕", p.Written[:4])) {
			t.Errorf("%s: %s written %s", it.Key, p.Number, p.Written)
		}
	}
	if !reflect.DeepEqual(undated(demoCorpus(now), true), undated(later, true)) {
		t.Error("the corpus of a year later differs in more than its dates")
	}
}
