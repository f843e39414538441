// Command casebench measures the citizens' case store (portal/cases) on a
// database of a million cases, in one run:
//
//   - the database: -n cases (1,000,000) received from 2024-01-01 to now,
//     written straight into the store's tables with raw SQL in large
//     transactions (synchronous=OFF while generating only), in the shape
//     the store writes them: a random 查询码 and a gapless 工单编号 per
//     year, the five public types, the category codes, a dozen
//     departments, most answered (working days, on time or not), rated or
//     not, Chinese titles and texts of realistic length, one trail line
//     each; the schema and indexes are the store's own (cases.Open runs
//     its migrations first, and the rollup's insert trigger fills
//     case_rollup as the rows go in); merged_into 0 for every case;
//   - the rollup checked: sum(received) of case_rollup against the
//     unmerged cases, before and after the load, and the year's Stats
//     (the rollup) against Recount (case by case);
//   - durable submissions: -submits Submit calls of operators' 代录
//     (Channel phone, By "bench", the same durable path as a verified web
//     case) from -workers goroutines, every one fsynced (synchronous=FULL)
//     before it returns; no new one starts after -submit-for, and the rate
//     is of those done;
//   - the public lookup: Lookup of random existing 查询码 from -readers
//     goroutines;
//   - 网上监督: Stats over one calendar year (-year), for all departments
//     and for one, run after run (whole months: the rollup), and Recount
//     of the same year -recounts times (the old case-by-case path, to
//     show what the rollup saves; not a target); and Stats' one query
//     on cases (the unrated answers still in their rating window) alone,
//     as stats.go writes it and with its two lower bounds on replied in
//     the other order.
//
// Beside each phase, the CPU stall: the share of its wall time in which
// some runnable task waited for a CPU (/proc/pressure/cpu), i.e. how much
// other work on the machine took from the run.
//
// The store is measured as it ships: no ANALYZE. -analyze times the
// lookups and statistics again after ANALYZE (and drops its statistics
// afterwards, so that a kept database stays as shipped).
//
// The database is made in a new folder under /var/tmp (not tmpfs: fsync
// costs what it costs on the disk) and removed at the end unless -keep.
//
// Usage: go run ./bench/casebench [-n 1000000] [-keep] [-reuse DIR] [-analyze]
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	_ "github.com/mattn/go-sqlite3"

	"nanhu/internal/workcal"
	"nanhu/portal/cases"
)

var (
	nCases   = flag.Int("n", 1000000, "cases in the database")
	keep     = flag.Bool("keep", false, "keep the database folder (printed) for -reuse")
	reuse    = flag.String("reuse", "", "reuse the database kept in `DIR` instead of generating one")
	submits  = flag.Int("submits", 5000, "durable submissions")
	subFor   = flag.Duration("submit-for", 3*time.Minute, "stop starting submissions after this long (the rate is of those done)")
	workers  = flag.Int("workers", 32, "concurrent submitters")
	lookups  = flag.Int("lookups", 10000, "查询码 lookups")
	readers  = flag.Int("readers", 4, "concurrent lookups")
	runs     = flag.Int("stats", 100, "runs of each statistics query")
	recounts = flag.Int("recounts", 3, "runs of Recount (case by case) of the same year, for all and for -dept")
	year     = flag.Int("year", 2025, "the calendar year of the statistics")
	dept     = flag.String("dept", "区城市管理局", "the department of the one-department statistics")
	analyze  = flag.Bool("analyze", false, "then run ANALYZE and time lookups and statistics again")
	seed     = flag.Uint64("seed", 2004, "seed of the generator")
	batchLen = flag.Int("batch", 50000, "cases per transaction while generating")
	cpuProf  = flag.String("cpuprofile", "", "write a CPU profile of the submissions to `FILE`")
)

// Targets.
const (
	targetSubmits = 500.0                 // durable submissions/s, at least
	targetLookup  = 10 * time.Millisecond // lookup p99, under
	targetStats   = 100 * time.Millisecond
)

func main() {
	flag.Parse()
	log.SetFlags(log.Ltime)
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

// sample is an existing case the load picks from.
type sample struct{ code, mobile string }

func run(ctx context.Context) error {
	dir := *reuse
	if dir == "" {
		d, err := os.MkdirTemp("/var/tmp", "casebench-")
		if err != nil {
			return fmt.Errorf("make the folder: %w", err)
		}
		dir = d
		if !*keep {
			defer os.RemoveAll(dir)
		}
	}
	path := filepath.Join(dir, "cases.db")
	g := &gen{r: rand.New(rand.NewPCG(*seed, 11))}

	var samples []sample
	var genTime time.Duration
	if *reuse == "" {
		log.Printf("generating %d cases in %s", *nCases, path)
		t0 := time.Now()
		var err error
		if samples, err = generate(ctx, path, *nCases, g); err != nil {
			return err
		}
		genTime = time.Since(t0)
		log.Printf("generated in %s", genTime.Round(time.Second))
	} else {
		var err error
		if samples, err = sampleOf(ctx, path, 20000, g); err != nil {
			return err
		}
	}
	dbSize, walSize := fileSize(path), fileSize(path+"-wal")

	s, err := cases.Open(ctx, cases.DefaultOptions(path))
	if err != nil {
		return err
	}
	defer func() {
		if s != nil {
			s.Close()
		}
	}()
	before, err := count(ctx, path)
	if err != nil {
		return err
	}
	rollBefore, err := rollupCheck(ctx, path)
	if err != nil {
		return err
	}
	log.Printf("rollup: sum(received) %d = the unmerged cases", rollBefore)
	plans, err := queryPlans(ctx, path, samples[0].mobile)
	if err != nil {
		return err
	}
	dup, err := dupCheck(ctx, path, samples, g)
	if err != nil {
		return err
	}
	unrated, swapped, err := unratedCheck(ctx, path)
	if err != nil {
		return err
	}

	// 1. Durable submissions.
	subs := make([]cases.Submission, *submits)
	for i := range subs {
		subs[i] = g.submission(samples[g.r.IntN(len(samples))].mobile)
	}
	log.Printf("%d submissions from %d goroutines", len(subs), *workers)
	if *cpuProf != "" {
		f, err := os.Create(*cpuProf)
		if err != nil {
			return fmt.Errorf("profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("profile: %w", err)
		}
	}
	p0 := stall()
	sub, err := submitLoad(ctx, s, subs)
	sub.stall = stall().share(p0)
	pprof.StopCPUProfile()
	if err != nil {
		return err
	}
	after, err := count(ctx, path)
	if err != nil {
		return err
	}
	if after-before != int64(sub.n) {
		return fmt.Errorf("%d submissions answered, but the cases went from %d to %d", sub.n, before, after)
	}
	rollAfter, err := rollupCheck(ctx, path)
	if err != nil {
		return err
	}
	if rollAfter-rollBefore != int64(sub.n) {
		return fmt.Errorf("%d submissions answered, but the rollup went from %d to %d", sub.n, rollBefore, rollAfter)
	}
	log.Printf("rollup: sum(received) %d = the unmerged cases", rollAfter)

	// 2 and 3. Lookups and statistics.
	codes := make([]string, *lookups)
	for i := range codes {
		codes[i] = samples[g.r.IntN(len(samples))].code
	}
	from := time.Date(*year, 1, 1, 0, 0, 0, 0, workcal.Shanghai())
	to := from.AddDate(1, 0, 0)
	reads := func(label string) (readFigures, error) {
		var f readFigures
		var err error
		log.Printf("%s: %d lookups from %d goroutines", label, len(codes), *readers)
		p0 := stall()
		if f.lookup, err = lookupLoad(ctx, s, codes); err != nil {
			return f, err
		}
		f.lookup.stall = stall().share(p0)
		log.Printf("%s: statistics of %d, %d runs each", label, *year, *runs)
		p0 = stall()
		if f.all, f.received, err = statsLoad(ctx, s, from, to, ""); err != nil {
			return f, err
		}
		if f.one, f.deptReceived, err = statsLoad(ctx, s, from, to, *dept); err != nil {
			return f, err
		}
		f.statsStall = stall().share(p0)
		log.Printf("%s: Recount of %d, %d runs each", label, *year, *recounts)
		if f.recAll, err = recountLoad(ctx, s, from, to, ""); err != nil {
			return f, err
		}
		if f.recOne, err = recountLoad(ctx, s, from, to, *dept); err != nil {
			return f, err
		}
		return f, nil
	}
	shipped, err := reads("as shipped")
	if err != nil {
		return err
	}
	var analyzed *readFigures
	if *analyze {
		s.Close()
		s = nil
		t0 := time.Now()
		if err := exec(ctx, path, "ANALYZE"); err != nil {
			return err
		}
		log.Printf("ANALYZE took %s", time.Since(t0).Round(time.Millisecond))
		if s, err = cases.Open(ctx, cases.DefaultOptions(path)); err != nil {
			return err
		}
		f, err := reads("after ANALYZE")
		if err != nil {
			return err
		}
		analyzed = &f
		s.Close()
		s = nil
		if err := exec(ctx, path, "DROP TABLE IF EXISTS sqlite_stat1; DROP TABLE IF EXISTS sqlite_stat4"); err != nil {
			return err
		}
	}
	if s != nil {
		s.Close()
		s = nil
	}
	endSize, endWAL := fileSize(path), fileSize(path+"-wal")

	// The figures.
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("\ncommand: go run ./bench/casebench %s\n", strings.Join(os.Args[1:], " "))
	fmt.Printf("date %s, %s, nproc %d, loadavg %s\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.Version(), runtime.NumCPU(),
		strings.Join(strings.Fields(string(load))[:3], " "))
	fmt.Printf("database: %s, %d cases before the load, %d after\n", path, before, after)
	if genTime > 0 {
		fmt.Printf("generated: %d cases in %s\n", *nCases, genTime.Round(time.Second))
	} else {
		fmt.Printf("reused: %s\n", dir)
	}
	fmt.Println()
	line("measure", "figure", "target")
	if sub.n < len(subs) {
		fmt.Printf("(submissions stopped after -submit-for %s: %d of %d done)\n", *subFor, sub.n, len(subs))
	}
	line(fmt.Sprintf("Submit, phone 代录, %d goroutines, %d cases, FULL", *workers, sub.n),
		withStall(fmt.Sprintf("%s /s (p50 %s, p99 %s)", rate(sub.rate), ms(pct(sub.lat, 50)), ms(pct(sub.lat, 99))), sub.stall), verdict(sub.rate >= targetSubmits, "≥ 500/s"))
	row := func(label string, f readFigures) {
		line(fmt.Sprintf("Lookup, %d readers, %d codes%s", *readers, len(codes), label),
			withStall(fmt.Sprintf("p50 %s, p90 %s, p99 %s (%.0f /s)", ms(pct(f.lookup.lat, 50)), ms(pct(f.lookup.lat, 90)), ms(pct(f.lookup.lat, 99)), f.lookup.rate),
				f.lookup.stall),
			verdict(pct(f.lookup.lat, 99) < targetLookup, "p99 < 10 ms"))
		line(fmt.Sprintf("Stats %d, all (%d cases), %d runs%s", *year, f.received, *runs, label),
			withStall(fmt.Sprintf("p50 %s, p99 %s", ms(pct(f.all, 50)), ms(pct(f.all, 99))), f.statsStall), verdict(pct(f.all, 99) < targetStats, "p99 < 100 ms"))
		line(fmt.Sprintf("Stats %d, %s (%d cases), %d runs%s", *year, *dept, f.deptReceived, *runs, label),
			fmt.Sprintf("p50 %s, p99 %s", ms(pct(f.one, 50)), ms(pct(f.one, 99))), verdict(pct(f.one, 99) < targetStats, "p99 < 100 ms"))
		line(fmt.Sprintf("  Recount %d, all, %d runs%s", *year, *recounts, label),
			fmt.Sprintf("p50 %s, max %s", ms(pct(f.recAll, 50)), ms(pct(f.recAll, 100))), "(case by case; not a target)")
		line(fmt.Sprintf("  Recount %d, %s, %d runs%s", *year, *dept, *recounts, label),
			fmt.Sprintf("p50 %s, max %s", ms(pct(f.recOne, 50)), ms(pct(f.recOne, 100))), "(case by case; not a target)")
	}
	line("  of which: Submit's duplicate check alone, 10 runs",
		fmt.Sprintf("p50 %s, max %s", ms(pct(dup, 50)), ms(pct(dup, 100))), "(flow.go's query, one reader)")
	row("", shipped)
	line(fmt.Sprintf("  Stats' unrated answers in their window alone, %d", *year),
		fmt.Sprintf("p50 %s, max %s", ms(pct(unrated, 50)), ms(pct(unrated, 100))), "(stats.go's query, one reader)")
	line("  the same with \"replied >= ?\" written first",
		fmt.Sprintf("p50 %s, max %s", ms(pct(swapped, 50)), ms(pct(swapped, 100))), "(not the store's code)")
	if analyzed != nil {
		row(", ANALYZEd", *analyzed)
	}
	line("case_rollup sum(received) = unmerged cases", fmt.Sprintf("%d before the load, %d after", rollBefore, rollAfter), "checked")
	line("cases.db + -wal on disk, before the load", fmt.Sprintf("%s + %s", mb(dbSize), mb(walSize)), "recorded")
	line("cases.db + -wal on disk, after", fmt.Sprintf("%s + %s", mb(endSize), mb(endWAL)), "recorded")
	if genTime > 0 {
		line("generation", genTime.Round(time.Second).String(), "recorded")
	}
	fmt.Printf("\nquery plans (as shipped):\n%s", plans)
	if *keep && *reuse == "" {
		fmt.Printf("\nkept: %s (rerun with -reuse %s)\n", dir, dir)
	}
	return nil
}

type readFigures struct {
	lookup                 loadFigures
	all, one               []time.Duration
	recAll, recOne         []time.Duration
	statsStall             string
	received, deptReceived int
}

type loadFigures struct {
	n     int
	rate  float64
	lat   []time.Duration
	stall string // the CPU pressure meanwhile
}

// pressure is a reading of the kernel's CPU pressure (PSI): the
// microseconds in which some runnable task waited for a CPU, and when.
type pressure struct {
	us int64
	at time.Time
}

func stall() pressure {
	p := pressure{us: -1, at: time.Now()}
	b, err := os.ReadFile("/proc/pressure/cpu")
	if err != nil {
		return p
	}
	for _, f := range strings.Fields(string(b)) {
		if v, ok := strings.CutPrefix(f, "total="); ok {
			fmt.Sscan(v, &p.us)
			break
		}
	}
	return p
}

// share is the part of the time since p0 in which some task waited for
// a CPU, as "NN% CPU stall" ("" without PSI).
func (p pressure) share(p0 pressure) string {
	if p.us < 0 || p0.us < 0 {
		return ""
	}
	return fmt.Sprintf("CPU stall %.0f%%", 100*float64(p.us-p0.us)/float64(p.at.Sub(p0.at).Microseconds()))
}

// withStall appends the stall, if known.
func withStall(figure, stall string) string {
	if stall == "" {
		return figure
	}
	return figure + "; " + stall
}

// submitLoad submits subs from -workers goroutines.
func submitLoad(ctx context.Context, s *cases.Store, subs []cases.Submission) (loadFigures, error) {
	return parallel(ctx, *workers, len(subs), *subFor, func(ctx context.Context, i int) error {
		c, err := s.Submit(ctx, subs[i])
		if err != nil {
			return fmt.Errorf("submit: %w", err)
		}
		if len(c.Code) != cases.CodeLen || c.Number == "" {
			return fmt.Errorf("submit: case %d came back without its 查询码 or number", c.ID)
		}
		return nil
	})
}

// lookupLoad looks codes up from -readers goroutines.
func lookupLoad(ctx context.Context, s *cases.Store, codes []string) (loadFigures, error) {
	return parallel(ctx, *readers, len(codes), 0, func(ctx context.Context, i int) error {
		v, err := s.Lookup(ctx, codes[i])
		if err != nil {
			return fmt.Errorf("lookup %s: %w", codes[i], err)
		}
		if v.Code != codes[i] || len(v.Trail) == 0 {
			return fmt.Errorf("lookup %s: case %s with %d trail lines", codes[i], v.Code, len(v.Trail))
		}
		return nil
	})
}

// parallel runs f(0..n-1) from g goroutines, timing each call.
func parallel(ctx context.Context, g, n int, limit time.Duration, f func(ctx context.Context, i int) error) (loadFigures, error) {
	lat := make([]time.Duration, n)
	var next, done atomic.Int64
	var wg sync.WaitGroup
	var first error
	var once sync.Once
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	stop := start.Add(limit)
	for range g {
		wg.Go(func() {
			for {
				if limit > 0 && time.Now().After(stop) {
					return
				}
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				t := time.Now()
				if err := f(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
				lat[i] = time.Since(t)
				done.Add(1)
			}
		})
	}
	wg.Wait()
	el := time.Since(start)
	if first != nil {
		return loadFigures{}, first
	}
	// Calls are handed out in order: the first done ones are lat[:done].
	k := int(done.Load())
	return loadFigures{n: k, rate: float64(k) / el.Seconds(), lat: lat[:k]}, nil
}

// statsLoad runs Stats -stats times in a row.
func statsLoad(ctx context.Context, s *cases.Store, from, to time.Time, dept string) ([]time.Duration, int, error) {
	var lat []time.Duration
	received := 0
	for range *runs {
		t := time.Now()
		st, err := s.Stats(ctx, from, to, dept)
		if err != nil {
			return nil, 0, fmt.Errorf("statistics %q: %w", dept, err)
		}
		lat = append(lat, time.Since(t))
		if len(st.Months) != 12 || st.Total.Received == 0 || len(st.Categories) == 0 {
			return nil, 0, fmt.Errorf("statistics %q: %d months, %d cases, %d categories", dept, len(st.Months), st.Total.Received, len(st.Categories))
		}
		received = st.Total.Received
	}
	return lat, received, nil
}

// recountLoad runs Recount -recounts times in a row, and checks that it
// gives what Stats (the rollup) gives.
func recountLoad(ctx context.Context, s *cases.Store, from, to time.Time, dept string) ([]time.Duration, error) {
	var lat []time.Duration
	for range *recounts {
		t := time.Now()
		rc, err := s.Recount(ctx, from, to, dept)
		if err != nil {
			return nil, fmt.Errorf("recount %q: %w", dept, err)
		}
		lat = append(lat, time.Since(t))
		st, err := s.Stats(ctx, from, to, dept)
		if err != nil {
			return nil, fmt.Errorf("statistics %q: %w", dept, err)
		}
		if !reflect.DeepEqual(st, rc) {
			return nil, fmt.Errorf("statistics %q: the rollup's %+v differ from the recount's %+v", dept, st.Total, rc.Total)
		}
	}
	return lat, nil
}

// rollupCheck is sum(received) of case_rollup, checked against the
// number of unmerged cases.
func rollupCheck(ctx context.Context, path string) (int64, error) {
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		return 0, fmt.Errorf("check the rollup: %w", err)
	}
	defer db.Close()
	var rolled, unmerged int64
	if err := db.QueryRowContext(ctx, `SELECT (SELECT coalesce(sum(received), 0) FROM case_rollup), (SELECT count(*) FROM cases WHERE merged_into = 0)`).
		Scan(&rolled, &unmerged); err != nil {
		return 0, fmt.Errorf("check the rollup: %w", err)
	}
	if rolled != unmerged {
		return 0, fmt.Errorf("check the rollup: sum(received) of case_rollup is %d, but %d cases are unmerged", rolled, unmerged)
	}
	return rolled, nil
}

// The generated cases.

var (
	kinds    = []cases.Kind{cases.Consult, cases.Suggest, cases.Complain, cases.Help, cases.Report}
	kindW    = []int{30, 15, 35, 12, 8}
	channels = []cases.Channel{cases.Web, cases.Phone, cases.SMS, cases.Mail, cases.Open311}
	chanW    = []int{45, 25, 15, 10, 5}
	depts    = []string{"区城市管理局", "区交通运输局", "区教育局", "区卫生健康局", "区生态环境分局", "区住房和城乡建设局",
		"区人力资源和社会保障局", "区市场监督管理局", "区民政局", "区公安分局", "区自然资源和规划分局", "区农业农村局"}
	// deptOf is the department that mostly handles a category.
	deptOf = map[string]string{"srhj": "区城市管理局", "szss": "区住房和城乡建设局", "hjbh": "区生态环境分局", "jtcx": "区交通运输局",
		"sqsw": "区民政局", "shbz": "区人力资源和社会保障局", "jyws": "区教育局", "scjg": "区市场监督管理局", "qt": "区公安分局"}
	catW = []int{22, 16, 12, 14, 12, 8, 7, 6, 3}

	surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严")
	given    = []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文红玲兰萍辉宇鹏志海燕鑫亮飞斌雪梅琳晨浩慧颖婷博")
	places   = strings.Fields(`新塍镇 王江泾镇 油车港镇 洪合镇 王店镇 新城街道 嘉北街道 塘汇街道 高照街道 新嘉街道 城南街道 东栅街道`)
	spots    = strings.Fields(`农贸市场 中心小学 人民医院 公交站 菜场 老街 商业街 工业园区 体育公园 幼儿园 卫生院 社区服务中心 停车场 河滨公园 十字路口 安置小区 城中村`)
	roads    = strings.Fields(`中山路 解放路 建国路 秀洲大道 新塍大道 洪兴路 康和路 文昌路 友谊路 勤俭路 长水路 禾兴路`)
	problems = map[string][]string{
		"srhj": {"垃圾堆放无人清运", "流动摊贩占道经营", "小广告乱张贴", "绿化带长期无人养护", "建筑垃圾乱倒", "垃圾桶满溢发臭"},
		"szss": {"道路破损坑洼严重", "路灯不亮", "井盖缺失存在安全隐患", "雨后积水严重", "人行道砖松动", "排水管道堵塞"},
		"hjbh": {"夜间施工噪声扰民", "餐饮油烟直排", "河道污水发黑发臭", "工厂排放刺鼻废气", "露天焚烧垃圾"},
		"jtcx": {"公交车班次太少", "停车位不足乱停车", "红绿灯时间设置不合理", "出租车拒载", "电动车乱停放", "学校门口交通拥堵"},
		"sqsw": {"物业不作为", "小区电梯经常故障", "楼上漏水邻里纠纷", "小区消防通道被占", "物业费收取不透明"},
		"shbz": {"社保转移接续办理慢", "医保报销比例咨询", "养老金发放时间咨询", "灵活就业人员参保", "失业保险金申领"},
		"jyws": {"学校午餐质量差", "幼儿园入园难", "医院挂号排队时间长", "卫生院缺少儿科医生", "学区划分咨询"},
		"scjg": {"超市出售过期食品", "商家价格欺诈", "预付卡商家跑路", "无证经营小作坊", "网购商品质量问题"},
		"qt":   {"其他事项反映", "政策咨询", "办事流程咨询", "意见建议"},
	}
	asks     = []string{"的问题", "问题", "，请尽快处理", "，望解决", "，请求帮助", "的建议", "的反映", "，盼回复"}
	openings = []string{"您好，我是%s%s附近的居民。", "我是住在%s%s的群众，", "尊敬的领导：我家住在%s%s旁边。", "你好！我在%s%s上班，", "我们是%s%s周边的住户，"}
	fillers  = []string{"这个情况已经持续了%d个多月，", "附近的老人和孩子出行很不方便，", "多次打电话给社区和物业反映，一直没有人管，", "每天早晚高峰尤其严重，", "严重影响了周边居民的正常生活和休息，",
		"雨天更是无法通行，", "上个月有人因此摔伤，", "拍了照片可以提供，", "周围很多邻居都有同样的意见，", "去年也反映过一次，当时说会处理，但到现在还是老样子，", "希望政府重视一下，"}
	closings = []string{"恳请有关部门尽快派人现场查看并处理。", "希望相关部门能尽快解决，谢谢！", "请给予答复。", "盼早日落实，感谢！", "望有关部门加强管理。"}
	replies  = []string{"您好！您反映的问题已收悉。", "感谢您对我区工作的关心和支持。", "经我局工作人员%d日现场核查，情况基本属实，", "已责成属地街道和相关单位限期整改，", "目前已处理完毕，", "我们将加强日常巡查，防止问题反弹，",
		"如有疑问，可拨打%s咨询。", "对您反映的情况，我局高度重视，", "已将您的建议转交相关科室研究，", "根据相关政策规定，"}
	reasons   = []string{"您反映的事项属于司法程序，请通过诉讼途径解决", "所反映事项不属于本区职责范围，已告知向有关部门反映", "来信内容不完整，无法核实"}
	operators = []string{"liangxiaoyan", "heping", "zhoumin", "wangfang"}
)

type gen struct{ r *rand.Rand }

func (g *gen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

func (g *gen) weighted(w []int) int {
	t := 0
	for _, x := range w {
		t += x
	}
	n := g.r.IntN(t)
	for i, x := range w {
		if n < x {
			return i
		}
		n -= x
	}
	return len(w) - 1
}

func (g *gen) name() string {
	n := string(surnames[g.r.IntN(len(surnames))]) + string(given[g.r.IntN(len(given))])
	if g.r.IntN(3) > 0 {
		n += string(given[g.r.IntN(len(given))])
	}
	return n
}

func (g *gen) mobile() string {
	return fmt.Sprintf("1%d%09d", 3+g.r.IntN(7), g.r.IntN(1000000000))
}

const codeAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

func (g *gen) code() string {
	b := make([]byte, cases.CodeLen)
	for i := range b {
		b[i] = codeAlphabet[g.r.IntN(len(codeAlphabet))]
	}
	return string(b)
}

// cut is s cut to n characters at most.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// title is a title of 10 to 25 characters about cat.
func (g *gen) title(cat string) string {
	t := g.pick(places) + g.pick(spots) + g.pick(problems[cat])
	if g.r.IntN(2) == 0 {
		t = g.pick(places) + g.pick(roads) + g.pick(problems[cat])
	}
	for utf8.RuneCountInString(t) < 10 {
		t += g.pick(asks)
	}
	if utf8.RuneCountInString(t) < 20 && g.r.IntN(3) == 0 {
		t += g.pick(asks)
	}
	return cut(t, 10+g.r.IntN(16))
}

// text is a letter of 50 to 300 characters about cat.
func (g *gen) text(cat string) string {
	want := 50 + g.r.IntN(251)
	var b strings.Builder
	fmt.Fprintf(&b, g.pick(openings), g.pick(places), g.pick(spots))
	b.WriteString(g.pick(roads) + "一带" + g.pick(problems[cat]) + "，")
	end := g.pick(closings)
	for utf8.RuneCountInString(b.String())+utf8.RuneCountInString(end) < want {
		f := g.pick(fillers)
		if strings.Contains(f, "%d") {
			f = fmt.Sprintf(f, 1+g.r.IntN(11))
		}
		b.WriteString(f)
	}
	b.WriteString(end)
	return cut(b.String(), 300)
}

func (g *gen) reply(dept string) string {
	var b strings.Builder
	want := 60 + g.r.IntN(141)
	b.WriteString(replies[0])
	for utf8.RuneCountInString(b.String()) < want-16 {
		f := replies[1+g.r.IntN(len(replies)-1)]
		switch {
		case strings.Contains(f, "%d"):
			f = fmt.Sprintf(f, 1+g.r.IntN(28))
		case strings.Contains(f, "%s"):
			f = fmt.Sprintf(f, dept+"办公室 0573-8"+fmt.Sprintf("%07d", g.r.IntN(10000000)))
		}
		b.WriteString(f)
	}
	b.WriteString(replies[1])
	return b.String()
}

func (g *gen) category() string { return cases.Categories[g.weighted(catW)].Code }

// submission is an operator's 代录 of a phone call.
func (g *gen) submission(mobile string) cases.Submission {
	cat := g.category()
	return cases.Submission{Channel: cases.Phone, By: "bench", Kind: kinds[g.weighted(kindW)], Category: cat,
		Writer: cases.Writer{Name: g.name(), Mobile: mobile, Address: g.pick(places) + g.pick(roads) + fmt.Sprintf("%d号", 1+g.r.IntN(300)), Area: "330411102000"},
		Title:  g.title(cat), Text: g.text(cat), Consent: g.r.IntN(5) < 2}
}

// dueOf is the store's deadline: the end of the limit's last working day.
func dueOf(k cases.Kind, t time.Time) time.Time {
	d := workcal.AddWorkingDays(t.In(workcal.Shanghai()), cases.DefaultLimits[k], workcal.Weekday)
	return time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 59, 0, d.Location())
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// generate makes the store's schema with cases.Open (all its migrations,
// the rollup's among them), then fills it with n cases with raw SQL, and
// returns a sample of them. The rollup's backfill ran on no cases; its
// insert trigger fills it as the cases go in (rollupCheck checks it).
func generate(ctx context.Context, path string, n int, g *gen) ([]sample, error) {
	s, err := cases.Open(ctx, cases.DefaultOptions(path))
	if err != nil {
		return nil, err
	}
	if err := s.Close(); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=OFF&_txlock=immediate&_foreign_keys=off")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA cache_size = -524288; PRAGMA temp_store = MEMORY`); err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}

	loc := workcal.Shanghai()
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, loc)
	now := time.Now()
	span := now.Sub(start) - time.Hour // the newest a little before now
	step := span / time.Duration(n)
	mobiles := make([]string, max(n/3, 1)) // a writer writes three times on average
	for i := range mobiles {
		mobiles[i] = g.mobile()
	}
	numbers := map[int]int{}
	var samples []sample
	every := max(n/20000, 1)

	const insCase = `INSERT INTO cases (id, number, code, channel, kind, category, name, mobile, mail, address, area, confidential, anonymous, consent,
		title, text, state, received, due, duplicate_of, reply, replied, reason, key, lat, long, api_key, dept, closed, rating, rated, rework,
		month, answer_days, on_time, merged_into)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, 0)
		ON CONFLICT (code) DO NOTHING`
	const insTrail = `INSERT INTO trail (case_id, at, by, action, note, public) VALUES (?, ?, ?, 'opened', ?, 1)`
	var tx *sql.Tx
	var caseSt, trailSt *sql.Stmt
	begin := func() error {
		var err error
		if tx, err = conn.BeginTx(ctx, nil); err != nil {
			return err
		}
		if caseSt, err = tx.PrepareContext(ctx, insCase); err != nil {
			return err
		}
		trailSt, err = tx.PrepareContext(ctx, insTrail)
		return err
	}
	if err := begin(); err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	defer func() {
		if tx != nil {
			tx.Rollback()
		}
	}()
	t0 := time.Now()
	for i := range n {
		id := int64(i + 1)
		rec := start.Add(time.Duration(i)*step + time.Duration(g.r.Int64N(int64(step))))
		local := rec.In(loc)
		y := local.Year()
		numbers[y]++
		number := fmt.Sprintf("%d-%06d", y, numbers[y])
		kind := kinds[g.weighted(kindW)]
		ch := channels[g.weighted(chanW)]
		cat := g.category()
		mobile := mobiles[g.r.IntN(len(mobiles))]
		name := g.name()
		mail := ""
		if ch == cases.Mail || g.r.IntN(5) == 0 {
			mail = fmt.Sprintf("u%d@example.cn", g.r.IntN(10000000))
		}
		if ch == cases.Mail && g.r.IntN(2) == 0 {
			mobile = ""
		}
		anonymous := kind == cases.Report && g.r.IntN(3) == 0
		if anonymous {
			name = ""
		}
		address, area := "", ""
		if g.r.IntN(10) < 7 {
			address = g.pick(places) + g.pick(roads) + fmt.Sprintf("%d号", 1+g.r.IntN(300))
		}
		if g.r.IntN(10) < 6 {
			area = fmt.Sprintf("330411%03d000", 100+g.r.IntN(12))
		}
		var lat, long any
		if ch == cases.Open311 {
			lat, long = 30.74+g.r.Float64()*0.1, 120.68+g.r.Float64()*0.12
		}
		due := dueOf(kind, rec)
		state := cases.Accepted
		var replied, closed, rated time.Time
		var dep, reply, reason string
		var rating, days, onTime, rework int
		switch {
		case g.r.IntN(100) < 3:
			state, reason = cases.Rejected, g.pick(reasons)
		default:
			dep = deptOf[cat]
			if g.r.IntN(10) < 3 {
				dep = g.pick(depts)
			}
			limit := cases.DefaultLimits[kind]
			if g.r.IntN(10) < 9 {
				days, onTime = g.r.IntN(limit+1), 1
			} else {
				days = min(limit+1+g.r.IntN(max(20-limit, 1)), 20)
			}
			if days == 0 {
				replied = rec.Add(10*time.Minute + time.Duration(g.r.Int64N(int64(4*time.Hour))))
			} else {
				d := workcal.AddWorkingDays(local, days, workcal.Weekday)
				replied = time.Date(d.Year(), d.Month(), d.Day(), 9, 0, 0, 0, loc).Add(time.Duration(g.r.Int64N(int64(8 * time.Hour))))
			}
			if replied.After(now) { // still in hand
				replied, days, onTime = time.Time{}, 0, 0
				state = []cases.State{cases.Received, cases.Accepted, cases.Assigned, cases.Assigned, cases.Assigned}[g.r.IntN(5)]
				if state != cases.Assigned {
					dep = ""
				}
				break
			}
			state, reply = cases.Replied, g.reply(dep)
			if c := replied.Add(time.Duration(1+g.r.IntN(5)) * 24 * time.Hour); c.Before(now) && g.r.IntN(10) < 7 {
				state, closed = cases.Closed, c
			}
			if r := g.r.IntN(100); r >= 45 {
				rating = 1 + g.weighted([]int{50, 30, 10, 6, 4})
				rated = replied.Add(time.Duration(g.r.Int64N(int64(5 * 24 * time.Hour))))
				if rated.After(now) {
					rated = now
				}
			}
			if g.r.IntN(100) == 0 {
				rework = 1
			}
		}
		for {
			code := g.code()
			res, err := caseSt.ExecContext(ctx, id, number, code, ch, kind, cat, name, mobile, mail, address, area, g.r.IntN(10) == 0, anonymous, g.r.IntN(5) < 2,
				g.title(cat), g.text(cat), state, millis(rec), millis(due), 0, reply, millis(replied), reason, lat, long, dep, millis(closed), rating, millis(rated), rework,
				y*100+int(local.Month()), days, onTime)
			if err != nil {
				return nil, fmt.Errorf("generate case %d: %w", id, err)
			}
			if k, _ := res.RowsAffected(); k == 0 {
				continue // a 查询码 drawn twice
			}
			if i%every == 0 && mobile != "" {
				samples = append(samples, sample{code, mobile})
			}
			break
		}
		by := string(ch)
		if ch == cases.Phone {
			by = g.pick(operators)
		}
		if _, err := trailSt.ExecContext(ctx, id, millis(rec), by, cases.ChannelNames[ch]+"来信"); err != nil {
			return nil, fmt.Errorf("generate the trail of case %d: %w", id, err)
		}
		if (i+1)%*batchLen == 0 || i == n-1 {
			caseSt.Close()
			trailSt.Close()
			if err := tx.Commit(); err != nil {
				return nil, fmt.Errorf("generate: commit: %w", err)
			}
			tx = nil
			if (i+1)%(*batchLen*4) == 0 {
				log.Printf("  %d cases (%s)", i+1, time.Since(t0).Round(time.Second))
			}
			if i < n-1 {
				if err := begin(); err != nil {
					return nil, fmt.Errorf("generate: %w", err)
				}
			}
		}
	}
	for y, last := range numbers {
		if _, err := conn.ExecContext(ctx, `INSERT INTO numbers (year, last) VALUES (?, ?) ON CONFLICT (year) DO UPDATE SET last = excluded.last`, y, last); err != nil {
			return nil, fmt.Errorf("generate the numbers: %w", err)
		}
	}
	if _, err := conn.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return nil, fmt.Errorf("generate: checkpoint: %w", err)
	}
	return samples, nil
}

// sampleOf reads about k cases of a kept database, by random ids.
func sampleOf(ctx context.Context, path string, k int, g *gen) ([]sample, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("reuse: %w", err)
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		return nil, fmt.Errorf("reuse %s: %w", path, err)
	}
	defer db.Close()
	var last int64
	if err := db.QueryRowContext(ctx, `SELECT max(id) FROM cases`).Scan(&last); err != nil {
		return nil, fmt.Errorf("reuse %s: %w", path, err)
	}
	var out []sample
	for range k {
		var s sample
		err := db.QueryRowContext(ctx, `SELECT code, mobile FROM cases WHERE id = ?`, 1+g.r.Int64N(last)).Scan(&s.code, &s.mobile)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reuse %s: %w", path, err)
		}
		if s.mobile != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("reuse %s: no cases", path)
	}
	return out, nil
}

func count(ctx context.Context, path string) (int64, error) {
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		return 0, fmt.Errorf("count the cases: %w", err)
	}
	defer db.Close()
	var n int64
	if err := db.QueryRowContext(ctx, `SELECT max(id) FROM cases`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count the cases: %w", err)
	}
	return n, nil
}

func exec(ctx context.Context, path, q string) error {
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=15000")
	if err != nil {
		return fmt.Errorf("%s: %w", q, err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("%s: %w", q, err)
	}
	return nil
}

// queryPlans are EXPLAIN QUERY PLAN of the statistics' queries as
// stats.go writes them, for all and for one department: Stats' three
// (the rollup, the unrated answers still in their rating window, the
// rollup's categories) and Recount's two (case by case); and of the
// duplicate check every submission makes (flow.go), by mobile and by
// mail.
func queryPlans(ctx context.Context, path, mobile string) (string, error) {
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		return "", fmt.Errorf("query plans: %w", err)
	}
	defer db.Close()
	const rollupQ = `SELECT month, dept, sum(received), sum(answered), sum(on_time), sum(days), sum(r1), sum(r2), sum(r3), sum(r4), sum(r5), sum(unrated)
		FROM case_rollup WHERE month >= ? AND month < ?`
	const recentQ = `SELECT month, dept, count(*) FROM cases WHERE rating = 0 AND replied > 0 AND merged_into = 0 AND replied >= ? AND month >= ? AND month < ?`
	const rollCats = `SELECT category, sum(received) AS n FROM case_rollup WHERE month >= ? AND month < ?`
	const recountQ = `SELECT month, dept, count(*), sum(replied > 0), sum(on_time), sum(answer_days),
		sum(rating = 1), sum(rating = 2), sum(rating = 3), sum(rating = 4), sum(rating = 5),
		sum(rating = 0 AND replied > 0), sum(rating = 0 AND replied > 0 AND replied < ?)
		FROM cases WHERE received >= ? AND received < ? AND merged_into = 0`
	const recountCats = `SELECT category, count(*) AS n FROM cases WHERE received >= ? AND received < ? AND merged_into = 0`
	const dupQ = `SELECT id, title, text FROM cases WHERE %[1]s = ? AND %[1]s != '' AND received >= ? ORDER BY id DESC LIMIT 50`
	from := time.Date(*year, 1, 1, 0, 0, 0, 0, workcal.Shanghai())
	a, b := from.UnixMilli(), from.AddDate(1, 0, 0).UnixMilli()
	fm, tm := *year*100+1, (*year+1)*100+1
	cutoff := time.Now().Add(-28 * 24 * time.Hour).UnixMilli() // about 20 working days
	window := time.Now().Add(-30 * 24 * time.Hour).UnixMilli()
	qs := []struct {
		label, q string
		args     []any
	}{
		{"Stats, all: the rollup", rollupQ + ` GROUP BY month, dept`, []any{fm, tm}},
		{"Stats, all: unrated answers still in their window", recentQ + ` GROUP BY month, dept`, []any{cutoff, fm, tm}},
		{"Stats, all: categories", rollCats + ` GROUP BY category HAVING n > 0 ORDER BY n DESC, category LIMIT 10`, []any{fm, tm}},
		{"Stats, one department: the rollup", rollupQ + ` AND dept = ? GROUP BY month, dept`, []any{fm, tm, *dept}},
		{"Stats, one department: unrated answers still in their window", recentQ + ` AND dept = ? GROUP BY month, dept`, []any{cutoff, fm, tm, *dept}},
		{"Stats, one department: categories", rollCats + ` AND dept = ? GROUP BY category HAVING n > 0 ORDER BY n DESC, category LIMIT 10`, []any{fm, tm, *dept}},
		{"Recount, all", recountQ + ` GROUP BY month, dept`, []any{cutoff, a, b}},
		{"Recount, all: categories", recountCats + ` GROUP BY category ORDER BY n DESC, category LIMIT 10`, []any{a, b}},
		{"Recount, one department", recountQ + ` AND dept = ? GROUP BY month, dept`, []any{cutoff, a, b, *dept}},
		{"Recount, one department: categories", recountCats + ` AND dept = ? GROUP BY category ORDER BY n DESC, category LIMIT 10`, []any{a, b, *dept}},
		{"Submit's duplicate check, by mobile", fmt.Sprintf(dupQ, "mobile"), []any{mobile, window}},
		{"Submit's duplicate check, by mail", fmt.Sprintf(dupQ, "mail"), []any{"u1@example.cn", window}},
	}
	var out strings.Builder
	for _, q := range qs {
		rows, err := db.QueryContext(ctx, `EXPLAIN QUERY PLAN `+q.q, q.args...)
		if err != nil {
			return "", fmt.Errorf("query plan of %s: %w", q.label, err)
		}
		fmt.Fprintf(&out, "  %s:\n", q.label)
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				rows.Close()
				return "", err
			}
			fmt.Fprintf(&out, "    %s\n", detail)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return "", err
		}
	}
	return out.String(), nil
}

// dupCheck times the query of Submit's duplicate check (flow.go), as the
// store sends it, for ten writers of the sample, before the load.
func dupCheck(ctx context.Context, path string, samples []sample, g *gen) ([]time.Duration, error) {
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		return nil, fmt.Errorf("duplicate check: %w", err)
	}
	defer db.Close()
	var lat []time.Duration
	for range 10 {
		t := time.Now()
		rows, err := db.QueryContext(ctx, `SELECT id, title, text FROM cases WHERE mobile = ? AND mobile != '' AND received >= ? ORDER BY id DESC LIMIT 50`,
			samples[g.r.IntN(len(samples))].mobile, time.Now().Add(-30*24*time.Hour).UnixMilli())
		if err != nil {
			return nil, fmt.Errorf("duplicate check: %w", err)
		}
		for rows.Next() {
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("duplicate check: %w", err)
		}
		lat = append(lat, time.Since(t))
	}
	return lat, nil
}

// unratedCheck times Stats' query of the unrated answers still in their
// rating window (stats.go), as the store sends it and with its two lower
// bounds on replied in the other order, 10 runs each, before the load.
// The cutoff is 28 days back, about the store's 20 working days.
func unratedCheck(ctx context.Context, path string) (asIs, swapped []time.Duration, err error) {
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		return nil, nil, fmt.Errorf("unrated answers: %w", err)
	}
	defer db.Close()
	const tail = ` AND month >= ? AND month < ? GROUP BY month, dept`
	qs := []string{
		`SELECT month, dept, count(*) FROM cases WHERE rating = 0 AND replied > 0 AND merged_into = 0 AND replied >= ?` + tail,
		`SELECT month, dept, count(*) FROM cases WHERE replied >= ? AND rating = 0 AND replied > 0 AND merged_into = 0` + tail,
	}
	cutoff := time.Now().Add(-28 * 24 * time.Hour).UnixMilli()
	var lat [2][]time.Duration
	var n [2]int
	for range 10 {
		for i, q := range qs {
			t := time.Now()
			rows, err := db.QueryContext(ctx, q, cutoff, *year*100+1, (*year+1)*100+1)
			if err != nil {
				return nil, nil, fmt.Errorf("unrated answers: %w", err)
			}
			n[i] = 0
			for rows.Next() {
				n[i]++
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, nil, fmt.Errorf("unrated answers: %w", err)
			}
			lat[i] = append(lat[i], time.Since(t))
		}
	}
	if n[0] != n[1] {
		return nil, nil, fmt.Errorf("unrated answers: %d groups as written, %d with the bounds swapped", n[0], n[1])
	}
	return lat[0], lat[1], nil
}

// line prints a row of the table, padded by display width (a Chinese
// character takes two columns).
func line(measure, figure, target string) {
	fmt.Printf("%s %s %s\n", pad(measure, 60), pad(figure, 66), target)
}

func pad(s string, n int) string {
	w := 0
	for _, r := range s {
		w++
		if r >= 0x1100 {
			w++
		}
	}
	return s + strings.Repeat(" ", max(n-w, 0))
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[min(max(i-1, 0), len(s)-1)]
}

func rate(r float64) string {
	if r < 100 {
		return fmt.Sprintf("%.1f", r)
	}
	return fmt.Sprintf("%.0f", r)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }

func verdict(ok bool, target string) string {
	if ok {
		return target + ": met"
	}
	return target + ": NOT MET"
}

func fileSize(p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return st.Size()
}
