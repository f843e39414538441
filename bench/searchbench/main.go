// Command searchbench measures the portal's Chinese search on a generated
// corpus against bleve v2 with its CJK analyzer, in one run, on the same
// documents and queries:
//
//   - the corpus: DOCS generated articles (titles and bodies of common
//     Chinese words of government news, some Latin words and numbers),
//     the same for both engines;
//   - the queries: two-character words, longer words, quoted phrases and
//     mixed Chinese and Latin terms; a query of several terms wants every
//     term (AND);
//   - the truth: for each query, the articles that hold every term, found
//     by scanning the text (folded as both engines fold it); recall is the
//     share of the true hits an engine finds, precision the share of its
//     hits that are true;
//   - latency: each query REPS times through portal/content's Search (the
//     first page of 10, ranked, with highlighted snippets: what the portal
//     answers) and through bleve's Search (the first 10, ranked, no
//     highlighting), p50 and p99 over all and by kind of query.
//
// Usage: go run ./bench/searchbench [-docs 100000] [-queries 200] [-reps 5]
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	_ "github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"

	"nanhu/internal/searchtext"
	"nanhu/portal/content"
)

// Words of district government news, by length; the generator strings
// them into sentences.
var (
	words2 = strings.Fields(`会议 工作 农业 企业 学校 医疗 安全 环境 垃圾 分类 村民 社区 政策 服务 项目 建设 发展 管理 群众 干部
		经济 产业 教育 卫生 交通 道路 河道 水质 治理 防汛 台风 消防 检查 培训 考核 改革 创新 数字 平台 数据
		网络 信息 公开 政务 办事 窗口 审批 许可 登记 证明 补贴 资金 预算 财政 税收 就业 创业 养老 医保 社保
		住房 租赁 物业 文明 城市 乡村 美丽 生态 绿色 低碳 能源 电力 供水 燃气 粮食 蔬菜 水果 养殖 种植 农机
		市场 价格 质量 食品 药品 疫苗 接种 防控 应急 演练 志愿 服务 文化 旅游 体育 赛事 图书 博物 遗产 非遗`)
	words3 = strings.Fields(`新农村 示范区 合作社 工业园 服务站 责任制 督导组 志愿者 老年人 残疾人 幼儿园 卫生院 派出所 文化站
		党支部 居委会 村委会 招商会 座谈会 推进会 现场会 培训班 联席会 网格员 监测点 排污口 充电桩 停车场`)
	words4 = strings.Fields(`垃圾分类 美丽乡村 营商环境 数字政府 农村电商 粮食生产 安全生产 水环境治理 乡村振兴 共同富裕 最多跑一次
		一网通办 放管服改革 河长制度 疫情防控 文明城市 社会治理 民生实事 基层治理 产业升级 科技创新 人才引进 招商引资
		防汛防台 森林防火 食品安全 校园安全 交通安全 消防安全 生态保护 污水处理 老旧小区 城中村改造 集体经济`)
	latin  = strings.Fields(`5G APP GDP ETC WiFi PM2.5 AI ISO 12345 110 120 2026 2025 LED PPP`)
	places = strings.Fields(`新塍镇 王江泾镇 油车港镇 洪合镇 王店镇 新城街道 嘉北街道 塘汇街道 秀洲区 高照街道 嘉兴市`)
	glue   = strings.Fields(`召开 推进 开展 部署 落实 加强 完善 提升 组织 举办 启动 完成 实施 深化 强化`)
	ends   = []string{"。", "，", "；", "！"}
)

type gen struct{ r *rand.Rand }

func (g gen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

func (g gen) word() string {
	switch n := g.r.IntN(20); {
	case n < 11:
		return g.pick(words2)
	case n < 14:
		return g.pick(words3)
	case n < 17:
		return g.pick(words4)
	case n < 18:
		return g.pick(latin)
	default:
		return g.pick(places)
	}
}

func (g gen) sentence() string {
	var b strings.Builder
	b.WriteString(g.pick(places))
	for i, n := 0, 4+g.r.IntN(7); i < n; i++ {
		if i%3 == 1 {
			b.WriteString(g.pick(glue))
		}
		b.WriteString(g.word())
	}
	b.WriteString(g.pick(ends))
	return b.String()
}

func (g gen) doc() (string, string) {
	title := g.pick(places) + g.pick(glue) + g.word() + g.word() + g.pick([]string{"工作", "推进会", "专项行动", "座谈会", "检查"})
	var body strings.Builder
	for p, n := 0, 3+g.r.IntN(5); p < n; p++ {
		body.WriteString("<p>")
		for s, m := 0, 2+g.r.IntN(4); s < m; s++ {
			body.WriteString(g.sentence())
		}
		body.WriteString("</p>")
	}
	return title, body.String()
}

// queryOf is a query as the visitor types it, and its terms.
type benchQuery struct {
	kind  string
	text  string
	terms []string
}

func (g gen) queries(n int) []benchQuery {
	var out []benchQuery
	for i := 0; i < n; i++ {
		var q benchQuery
		switch i % 10 {
		case 0, 1, 2, 3:
			q = benchQuery{kind: "two-character word", terms: []string{g.pick(words2)}}
			if i%4 == 3 {
				q.terms = append(q.terms, g.pick(words2))
				q.kind = "two two-character words"
			}
		case 4, 5:
			q = benchQuery{kind: "longer word", terms: []string{g.pick(append(words3, words4...))}}
		case 6, 7:
			q = benchQuery{kind: "phrase", terms: []string{g.pick(words2) + g.pick(words2)}}
		default:
			q = benchQuery{kind: "Chinese and Latin", terms: []string{g.pick(latin), g.pick(words2)}}
		}
		if q.kind == "phrase" {
			q.text = `"` + q.terms[0] + `"`
		} else {
			q.text = strings.Join(q.terms, " ")
		}
		out = append(out, q)
	}
	return out
}

func fold(s string) string { return searchtext.Fold(searchtext.Simplified(s)) }

func main() {
	docs := flag.Int("docs", 100000, "articles in the corpus")
	nq := flag.Int("queries", 200, "queries")
	reps := flag.Int("reps", 5, "times each query is timed")
	dir := flag.String("workdir", "", "working folder (default: a temporary one, removed)")
	flag.Parse()
	if *dir == "" {
		d, err := os.MkdirTemp("", "searchbench-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	ctx := context.Background()
	g := gen{rand.New(rand.NewPCG(2004, 11))}
	log.Printf("generating %d articles", *docs)
	items := make([]content.DemoItem, *docs)
	texts := make([]string, *docs) // folded title + body text, for the truth
	for i := range items {
		title, body := g.doc()
		items[i] = content.DemoItem{Key: strconv.Itoa(i), Section: "main", Column: "gzdt",
			Fields: content.Fields{Title: title, Body: body}, Age: time.Duration(*docs-i) * time.Minute}
		texts[i] = fold(title + "\n" + content.PlainText(body))
	}
	queries := g.queries(*nq)

	// Nanhu.
	st, err := content.Open(ctx, content.Options{Path: filepath.Join(*dir, "portal.db")})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	t0 := time.Now()
	if _, err := st.Seed(ctx, items); err != nil {
		log.Fatal(err)
	}
	log.Printf("nanhu: indexed in %s", time.Since(t0).Round(time.Millisecond))
	// Article ids are given in order of the items after the demo's own
	// sections: map them back through the titles' keys.
	idOf := map[int64]int{}
	rows, err := st.DB().Reader().QueryContext(ctx, `SELECT id FROM live ORDER BY id`)
	if err != nil {
		log.Fatal(err)
	}
	i := 0
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		idOf[id] = i
		i++
	}
	rows.Close()

	// bleve, its CJK analyzer on both fields.
	im := bleve.NewIndexMapping()
	im.DefaultAnalyzer = "cjk"
	dm := mapping.NewDocumentMapping()
	for _, f := range []string{"title", "body"} {
		fm := mapping.NewTextFieldMapping()
		fm.Analyzer = "cjk"
		fm.Store = false
		dm.AddFieldMappingsAt(f, fm)
	}
	im.DefaultMapping = dm
	bi, err := bleve.New(filepath.Join(*dir, "bleve"), im)
	if err != nil {
		log.Fatal(err)
	}
	defer bi.Close()
	t0 = time.Now()
	batch := bi.NewBatch()
	for i, it := range items {
		batch.Index(strconv.Itoa(i), map[string]string{"title": it.Fields.Title, "body": content.PlainText(it.Fields.Body)})
		if batch.Size() == 1000 {
			if err := bi.Batch(batch); err != nil {
				log.Fatal(err)
			}
			batch = bi.NewBatch()
		}
	}
	if err := bi.Batch(batch); err != nil {
		log.Fatal(err)
	}
	log.Printf("bleve: indexed in %s", time.Since(t0).Round(time.Millisecond))
	bleveQuery := func(q benchQuery) query.Query {
		var all []query.Query
		for _, t := range q.terms {
			var either []query.Query
			for _, f := range []string{"title", "body"} {
				p := bleve.NewMatchPhraseQuery(t)
				p.SetField(f)
				p.Analyzer = "cjk"
				either = append(either, p)
			}
			all = append(all, bleve.NewDisjunctionQuery(either...))
		}
		return bleve.NewConjunctionQuery(all...)
	}

	// Recall and precision against the truth.
	type tally struct{ truth, found, right int }
	byKind := map[string]*[2]tally{}
	var kinds []string
	// Nanhu's index in memory is built on the first search (serve
	// builds it at start): its time and the heap it takes.
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	t1 := time.Now()
	if _, err := st.Search(ctx, content.Query{Text: "政务"}); err != nil {
		log.Fatal(err)
	}
	built := time.Since(t1)
	runtime.GC()
	runtime.ReadMemStats(&m1)
	log.Printf("nanhu: index in memory built in %s, heap %.0f MB", built.Round(time.Millisecond), float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc))/(1<<20))

	var both [2]tally
	for _, q := range queries {
		truth := map[int]bool{}
		for i, text := range texts {
			ok := true
			for _, t := range q.terms {
				if !strings.Contains(text, fold(t)) {
					ok = false
					break
				}
			}
			if ok {
				truth[i] = true
			}
		}
		// Nanhu's hits: every id the index's match gives (what Search ranks).
		var match []string
		for _, t := range content.Terms(q.text) {
			match = append(match, searchtext.MatchQuery(searchtext.Simplified(t)))
		}
		nanhu := map[int]bool{}
		rows, err := st.DB().Reader().QueryContext(ctx, `SELECT docid FROM search WHERE search MATCH ?`, strings.Join(match, " "))
		if err != nil {
			log.Fatal(err)
		}
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			nanhu[idOf[id]] = true
		}
		rows.Close()
		// Search (the index in memory) must count exactly FTS4's matches.
		if res, err := st.Search(ctx, content.Query{Text: q.text}); err != nil || res.Total != len(nanhu) {
			log.Fatalf("%q: Search counts %d (%v), FTS4 matches %d", q.text, res.Total, err, len(nanhu))
		}
		req := bleve.NewSearchRequestOptions(bleveQuery(q), *docs, 0, false)
		res, err := bi.Search(req)
		if err != nil {
			log.Fatal(err)
		}
		bl := map[int]bool{}
		for _, h := range res.Hits {
			n, _ := strconv.Atoi(h.ID)
			bl[n] = true
		}
		if byKind[q.kind] == nil {
			byKind[q.kind] = &[2]tally{}
			kinds = append(kinds, q.kind)
		}
		for e, hits := range []map[int]bool{nanhu, bl} {
			t := &byKind[q.kind][e]
			t.truth += len(truth)
			t.found += len(hits)
			both[e].truth += len(truth)
			both[e].found += len(hits)
			for id := range hits {
				if truth[id] {
					t.right++
					both[e].right++
				}
			}
		}
	}

	// Latency.
	var nl, bl []time.Duration
	lat := map[string]*[2][]time.Duration{}
	count := map[string]int{}
	for _, q := range queries {
		count[q.kind]++
		if lat[q.kind] == nil {
			lat[q.kind] = &[2][]time.Duration{}
		}
	}
	for r := 0; r < *reps; r++ {
		for _, q := range queries {
			t := time.Now()
			if _, err := st.Search(ctx, content.Query{Text: q.text}); err != nil {
				log.Fatal(err)
			}
			d := time.Since(t)
			nl = append(nl, d)
			lat[q.kind][0] = append(lat[q.kind][0], d)
			t = time.Now()
			if _, err := bi.Search(bleve.NewSearchRequestOptions(bleveQuery(q), 10, 0, false)); err != nil {
				log.Fatal(err)
			}
			d = time.Since(t)
			bl = append(bl, d)
			lat[q.kind][1] = append(lat[q.kind][1], d)
		}
	}
	pct := func(d []time.Duration, p float64) string {
		slices.Sort(d)
		return fmt.Sprintf("%.2f", float64(d[int(p*float64(len(d)-1))].Microseconds())/1000)
	}
	ratio := func(a, b int) string {
		if b == 0 {
			return "—"
		}
		return fmt.Sprintf("%.1f%%", 100*float64(a)/float64(b))
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("\n%d articles, %d queries, each timed %d times; date %s, loadavg %s\n", *docs, len(queries), *reps,
		time.Now().UTC().Format("2006-01-02 15:04"), strings.Join(strings.Fields(string(load))[:3], " "))
	fmt.Printf("%-26s %10s %10s %10s %10s\n", "engine", "p50 (ms)", "p99 (ms)", "recall", "precision")
	fmt.Printf("%-26s %10s %10s %10s %10s\n", "Nanhu (portal/content)", pct(nl, .5), pct(nl, .99), ratio(both[0].right, both[0].truth), ratio(both[0].right, both[0].found))
	fmt.Printf("%-26s %10s %10s %10s %10s\n", "bleve v2.6.3, cjk", pct(bl, .5), pct(bl, .99), ratio(both[1].right, both[1].truth), ratio(both[1].right, both[1].found))
	fmt.Println("\nby kind of query: true hits; recall and precision of Nanhu, then of bleve")
	for _, k := range kinds {
		t := byKind[k]
		fmt.Printf("  %-26s %8d   %7s %7s   %7s %7s\n", k, t[0].truth, ratio(t[0].right, t[0].truth), ratio(t[0].right, t[0].found),
			ratio(t[1].right, t[1].truth), ratio(t[1].right, t[1].found))
	}
	fmt.Println("\nby kind of query: queries, true hits per query, Nanhu p50 and p99 (ms), then bleve's")
	for _, k := range kinds {
		l := lat[k]
		fmt.Printf("  %-26s %4d %8d   %7s %7s   %7s %7s\n", k, count[k], byKind[k][0].truth/count[k], pct(l[0], .5), pct(l[0], .99), pct(l[1], .5), pct(l[1], .99))
	}
}
