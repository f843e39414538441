package cases

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"nanhu/internal/workcal"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func openTest(t *testing.T) (*Store, *clock) {
	t.Helper()
	// Friday 2026-09-25, 10:00 in Shanghai: the National Day holiday
	// (10-01 to 10-08) is ahead, with Sunday 09-27 and Saturday 10-10
	// worked in exchange.
	c := &clock{t: time.Date(2026, 9, 25, 10, 0, 0, 0, workcal.Shanghai())}
	cal, err := workcal.NewCalendar([]string{"2026-10-01..2026-10-08"}, []string{"2026-09-27", "2026-10-10"})
	if err != nil {
		t.Fatal(err)
	}
	o := DefaultOptions(filepath.Join(t.TempDir(), "cases.db"))
	o.Calendar, o.Now = cal, c.now
	s, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, c
}

func complaint() Submission {
	return Submission{Channel: Phone, By: "liangxiaoyan", Kind: Complain, Category: "城乡建设/市容环境", Title: "新塍镇农贸市场门口垃圾堆放",
		Text: "新塍镇农贸市场东门口的垃圾已经堆放三天没人清运，气味很大，请尽快处理。", Consent: true,
		Writer: Writer{Name: "张三", Mobile: "13957311111", Address: "秀洲区新塍镇", Area: "330411"}}
}

func TestSubmitChecks(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	for _, c := range []struct {
		name  string
		edit  func(*Submission)
		field string
	}{
		{"short title", func(s *Submission) { s.Title = "垃圾太多" }, "title"},
		{"long title", func(s *Submission) { s.Title = strings.Repeat("长", 26) }, "title"},
		{"no text", func(s *Submission) { s.Text = " \n " }, "text"},
		{"long text", func(s *Submission) { s.Text = strings.Repeat("字", 601) }, "text"},
		{"bad mobile", func(s *Submission) { s.Writer.Mobile = "1234567" }, "mobile"},
		{"no mobile", func(s *Submission) { s.Writer.Mobile = "" }, "mobile"},
		{"no name", func(s *Submission) { s.Writer.Name = "" }, "name"},
		{"bad mail", func(s *Submission) { s.Writer.Mail = "not a mail" }, "mail"},
		{"bad area", func(s *Submission) { s.Writer.Area = "3304" }, "area"},
		{"unknown type", func(s *Submission) { s.Kind = "praise" }, "kind"},
		{"anonymous complaint", func(s *Submission) { s.Anonymous = true }, "anonymous"},
		{"phone without operator", func(s *Submission) { s.By = "" }, ""},
	} {
		sub := complaint()
		c.edit(&sub)
		_, err := s.Submit(ctx, sub)
		var inv *Invalid
		if !errors.As(err, &inv) || inv.Field != c.field {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	// An anonymous 举报 needs no name; an SMS only its number.
	rep := complaint()
	rep.Kind, rep.Anonymous, rep.Writer = Report, true, Writer{}
	if c, err := s.Submit(ctx, rep); err != nil || c.Writer.Name != "" {
		t.Errorf("anonymous report: %+v %v", c, err)
	}
	sms := Submission{Channel: SMS, Kind: Consult, Title: "请问新生儿医保怎么办理", Text: "请问新生儿医保怎么办理？", Writer: Writer{Mobile: "+8613957322222"}}
	if c, err := s.Submit(ctx, sms); err != nil || c.Writer.Mobile != "13957322222" {
		t.Errorf("sms: %+v %v", c, err)
	}
}

func TestLifeOfACase(t *testing.T) {
	s, clk := openTest(t)
	ctx := context.Background()
	c, err := s.Submit(ctx, complaint())
	if err != nil {
		t.Fatal(err)
	}
	if !validCode(c.Code) || c.Number != "2026-000001" || c.State != Received {
		t.Fatalf("opened %+v", c)
	}
	// 投诉 has 13 working days: from Friday 09-25, Sunday 09-27 (worked)
	// and 09-28..09-30 are four, 10-01..10-08 are the holiday, Friday
	// 10-09 and Saturday 10-10 (worked) six, and so on to Tuesday 10-20.
	want := time.Date(2026, 10, 20, 23, 59, 59, 0, workcal.Shanghai())
	if !c.Due.Equal(want) {
		t.Errorf("due %s, want %s", c.Due.In(workcal.Shanghai()), want)
	}
	v, err := s.Lookup(ctx, strings.ToLower(c.Code[:4])+" "+c.Code[4:])
	if err != nil || v.State != "已受理" || v.Reply != "" {
		t.Fatalf("lookup: %+v %v", v, err)
	}
	// Steps out of order are refused.
	if _, err := s.Apply(ctx, c.ID, Step{Action: "reply", By: "dispatcher", Note: "答复"}); err == nil {
		t.Error("a reply before acceptance")
	}
	if _, err := s.Apply(ctx, c.ID, Step{Action: "reject", By: "dispatcher"}); err == nil {
		t.Error("a rejection without a reason")
	}
	steps := []Step{
		{Action: "accept", By: "liangxiaoyan"},
		{Action: "assign", By: "liangxiaoyan", Note: "主办：区城市管理局；协办：新塍镇"},
		{Action: "extend", By: "liangxiaoyan", Days: 5, Note: "需协调清运单位"},
		{Action: "reply", By: "heping", Note: "已于当日清运完毕，并增加清运频次。"},
	}
	for _, st := range steps {
		clk.add(time.Hour)
		if c, err = s.Apply(ctx, c.ID, st); err != nil {
			t.Fatalf("%s: %v", st.Action, err)
		}
	}
	if c.State != Replied || !c.Due.After(want) {
		t.Errorf("after the reply: %s, due %s", c.State, c.Due)
	}
	v, _ = s.Lookup(ctx, c.Code)
	if v.State != "已答复" || v.Reply != "已于当日清运完毕，并增加清运频次。" {
		t.Errorf("the public view: %+v", v)
	}
	for _, e := range v.Trail {
		if strings.Contains(e.Note, "城市管理局") {
			t.Errorf("the departments leak onto the public trail: %+v", e)
		}
	}
	if _, err := s.AddInfo(ctx, c.Code, SMS, "补充：东门口右侧也有。", "sms-1"); err != nil {
		t.Fatal(err)
	}
	// The same SMS delivered again adds nothing (the trail below has one).
	if _, err := s.AddInfo(ctx, c.Code, SMS, "补充：东门口右侧也有。", "sms-1"); err != nil {
		t.Fatal(err)
	}
	if c, err = s.Apply(ctx, c.ID, Step{Action: "close", By: "liangxiaoyan"}); err != nil || c.State != Closed {
		t.Fatalf("close: %v", err)
	}
	if _, err := s.AddInfo(ctx, c.Code, Web, "还有", ""); err == nil {
		t.Error("information added to a closed case")
	}
	if c, err = s.Apply(ctx, c.ID, Step{Action: "reopen", By: "citizen", Note: "又堆起来了"}); err != nil || c.State != Assigned {
		t.Fatalf("reopen: %+v %v", c, err)
	}
	trail, _ := s.Trail(ctx, c.ID)
	var actions []string
	for _, e := range trail {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, " "); got != "opened accepted assigned handling extended replied info-added closed reopened" {
		t.Errorf("trail: %s", got)
	}
	// The trail is append-only, in the database itself.
	if _, err := s.db.Writer().Exec(`UPDATE trail SET note = 'x'`); err == nil {
		t.Error("a trail line was changed")
	}
	if _, err := s.db.Writer().Exec(`DELETE FROM trail`); err == nil {
		t.Error("trail lines were deleted")
	}
}

func TestLookupLeaksNothing(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	c, _ := s.Submit(ctx, complaint())
	for _, code := range []string{"", "x", c.Code[:11], c.Code + "2", "OOOOOOOOOOOO", "' OR 1=1 --", strings.Repeat("2", CodeLen)} {
		if _, err := s.Lookup(ctx, code); !errors.Is(err, ErrNotFound) {
			t.Errorf("Lookup(%q) = %v", code, err)
		}
	}
}

func TestDuplicatesAndKeys(t *testing.T) {
	s, clk := openTest(t)
	ctx := context.Background()
	first, _ := s.Submit(ctx, complaint())
	clk.add(24 * time.Hour)
	again := complaint()
	again.Text = "新塍镇农贸市场东门口的垃圾已经堆放四天没人清运，气味很大，请尽快处理！"
	dup, err := s.Submit(ctx, again)
	if err != nil || dup.DuplicateOf != first.ID {
		t.Errorf("a near copy: duplicate of %d, %v", dup.DuplicateOf, err)
	}
	other := complaint()
	other.Title, other.Text = "王江泾镇路灯不亮请维修", "王江泾镇南虹路一段的路灯已经一周不亮，夜里行人不安全。"
	if o, _ := s.Submit(ctx, other); o.DuplicateOf != 0 {
		t.Error("another matter flagged as a duplicate")
	}
	clk.add(40 * 24 * time.Hour)
	if late, _ := s.Submit(ctx, complaint()); late.DuplicateOf != 0 {
		t.Error("a duplicate outside the window")
	}
	keyed := complaint()
	keyed.Key = "form-token-1"
	a, err := s.Submit(ctx, keyed)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Submit(ctx, keyed)
	if err != nil || a.ID != b.ID || a.Code != b.Code {
		t.Errorf("a repeated submission opened another case: %d %d %v", a.ID, b.ID, err)
	}
}

// TestNumbersUnderConcurrency: 工单编号 are gapless and unique, 查询码 unique,
// with many submissions at once.
func TestNumbersUnderConcurrency(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	const n = 60
	var wg sync.WaitGroup
	var mu sync.Mutex
	numbers, codes := map[string]bool{}, map[string]bool{}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sub := complaint()
			sub.Writer.Mobile = fmt.Sprintf("139573%05d", i)
			c, err := s.Submit(ctx, sub)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			numbers[c.Number], codes[c.Code] = true, true
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(codes) != n {
		t.Errorf("%d codes for %d cases", len(codes), n)
	}
	for i := 1; i <= n; i++ {
		if !numbers[fmt.Sprintf("2026-%06d", i)] {
			t.Errorf("number %d missing", i)
		}
	}
}

func TestVerification(t *testing.T) {
	s, clk := openTest(t)
	ctx := context.Background()
	web := complaint()
	web.Channel, web.By = Web, ""
	if _, err := s.Submit(ctx, web); err == nil {
		t.Fatal("a web case without a code")
	}
	code, _, err := s.StartVerification(ctx, web.Writer.Mobile, "198.51.100.7")
	if err != nil || len(code) != 6 {
		t.Fatalf("start: %q %v", code, err)
	}
	if _, _, err := s.StartVerification(ctx, web.Writer.Mobile, "198.51.100.7"); err == nil {
		t.Error("a second code within the minute")
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	web.Verify = wrong
	if _, err := s.Submit(ctx, web); err == nil || !strings.Contains(err.Error(), "还可以试 4 次") {
		t.Fatalf("a wrong code: %v", err)
	}
	web.Verify = code
	c, err := s.Submit(ctx, web)
	if err != nil || c.Channel != Web {
		t.Fatalf("the right code: %v", err)
	}
	web.Key = "again"
	if _, err := s.Submit(ctx, web); err == nil {
		t.Error("a code used twice")
	}
	// Five wrong tries use a code up; an old code has expired.
	clk.add(2 * time.Minute)
	code, _, _ = s.StartVerification(ctx, web.Writer.Mobile, "198.51.100.7")
	for range 5 {
		web.Verify = wrong
		s.Submit(ctx, web)
	}
	web.Verify = code
	if _, err := s.Submit(ctx, web); err == nil {
		t.Error("the right code after five wrong tries")
	}
	clk.add(2 * time.Minute)
	code, _, _ = s.StartVerification(ctx, web.Writer.Mobile, "198.51.100.7")
	clk.add(11 * time.Minute)
	web.Verify = code
	if _, err := s.Submit(ctx, web); err == nil {
		t.Error("an expired code")
	}
	// A number gets five an hour (three so far); an address ten.
	clk.add(2 * time.Minute)
	if _, _, err := s.StartVerification(ctx, web.Writer.Mobile, "198.51.100.7"); err != nil {
		t.Fatal(err)
	}
	clk.add(2 * time.Minute)
	if _, _, err := s.StartVerification(ctx, web.Writer.Mobile, "198.51.100.7"); err != nil {
		t.Fatal(err)
	}
	clk.add(2 * time.Minute)
	if _, _, err := s.StartVerification(ctx, web.Writer.Mobile, "198.51.100.7"); !errors.Is(err, ErrTooMany) {
		t.Errorf("a sixth code in the hour: %v", err)
	}
	for i := range 5 {
		if _, _, err := s.StartVerification(ctx, fmt.Sprintf("1380000000%d", i), "198.51.100.7"); err != nil {
			t.Fatalf("number %d: %v", i, err)
		}
	}
	if _, _, err := s.StartVerification(ctx, "13800000009", "198.51.100.7"); !errors.Is(err, ErrTooMany) {
		t.Errorf("an eleventh code from one address: %v", err)
	}
	if _, _, err := s.StartVerification(ctx, "13800000009", "198.51.100.8"); err != nil {
		t.Errorf("another address: %v", err)
	}
}

func FuzzSubmission(f *testing.F) {
	f.Add("新塍镇农贸市场门口垃圾堆放", "垃圾三天没人清运。", "张三", "13957311111", "a@b.cn", "330411")
	f.Add("", "\x00\r\n", "<script>", "+86", "@", "x")
	s := &Store{opts: DefaultOptions("")}
	f.Fuzz(func(t *testing.T, title, text, name, mobile, mail, area string) {
		sub := Submission{Channel: Web, Kind: Consult, Title: title, Text: text, Writer: Writer{Name: name, Mobile: mobile, Mail: mail, Area: area}}
		err := s.check(&sub)
		if err != nil {
			var inv *Invalid
			if !errors.As(err, &inv) || inv.Msg == "" {
				t.Fatalf("not a refusal to show: %v", err)
			}
			return
		}
		if strings.ContainsAny(sub.Title+sub.Writer.Name, "\x00\r") || !mobileRE.MatchString(sub.Writer.Mobile) {
			t.Fatalf("accepted %+v", sub)
		}
	})
}

func FuzzNormalCode(f *testing.F) {
	f.Add("abcd efgh jkmn")
	f.Add("２３４５－６７８９")
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalCode(s)
		if validCode(n) && NormalCode(n) != n {
			t.Fatalf("%q normalises to %q, then to %q", s, n, NormalCode(n))
		}
	})
}

func TestUnanswered(t *testing.T) {
	s, clk := openTest(t)
	ctx := context.Background()
	old, _ := s.Submit(ctx, complaint())
	answered, _ := s.Submit(ctx, complaint())
	s.Apply(ctx, answered.ID, Step{Action: "accept", By: "d"})
	s.Apply(ctx, answered.ID, Step{Action: "reply", By: "d", Note: "已答复"})
	refused, _ := s.Submit(ctx, complaint())
	s.Apply(ctx, refused.ID, Step{Action: "reject", By: "d", Note: "不属于受理范围"})
	clk.add(61 * 24 * time.Hour)
	s.Submit(ctx, complaint()) // new
	n, oldest, err := s.Unanswered(ctx, clk.now().Add(-60*24*time.Hour))
	if err != nil || n != 1 || !oldest.Equal(old.Received) {
		t.Errorf("unanswered for 60 days: %d, %s, %v", n, oldest, err)
	}
	if n, _, _ := s.Unanswered(ctx, clk.now().Add(-90*24*time.Hour)); n != 0 {
		t.Errorf("unanswered for 90 days: %d", n)
	}
}

func TestReadCategories(t *testing.T) {
	list, err := ReadCategories(strings.NewReader("\uFEFFcode,name,group,description,keywords\n" +
		"a01,市容环境,城乡建设,垃圾清运,垃圾;占道；绿化\n\nb02,其他\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Code != "a01" || len(list[0].Keywords) != 3 || list[1].Name != "其他" || list[1].Group != "" {
		t.Fatalf("list %+v", list)
	}
	for _, bad := range []string{
		"", "name,code\nx,y\n", "code,name\n", "code,name\nA1,大写\n", "code,name\na,x\na,y\n", "code,name\na,\n",
		"code,name\na,b,c,d,e,f\n", "code,name\na,\"unclosed\n",
	} {
		if _, err := ReadCategories(strings.NewReader(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func FuzzReadCategories(f *testing.F) {
	f.Add("code,name,group,description,keywords\nsrhj,市容环境,城乡建设,垃圾,垃圾;占道\n")
	f.Add("code,name\na,\"x\ny\"\n")
	f.Fuzz(func(t *testing.T, in string) {
		list, err := ReadCategories(strings.NewReader(in))
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, c := range list {
			if !codeRE.MatchString(c.Code) || seen[c.Code] || c.Name == "" {
				t.Fatalf("accepted a bad category %+v", c)
			}
			seen[c.Code] = true
		}
	})
}

func TestAttachments(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	png := []byte("\x89PNG\r\n\x1a\n" + strings.Repeat("x", 100))
	sub := complaint()
	sub.Files = []File{{Name: `C:\照片\现场.png`, Data: png}}
	c, err := s.Submit(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	files, err := s.Files(ctx, c.ID)
	if err != nil || len(files) != 1 || files[0].Name != "现场.png" || files[0].ContentType != "image/png" || files[0].Size != int64(len(png)) {
		t.Fatalf("files %+v %v", files, err)
	}
	f, err := s.FileOf(ctx, c.ID, files[0].ID)
	if err != nil || string(f.Data) != string(png) {
		t.Fatalf("file %v", err)
	}
	if _, err := s.FileOf(ctx, c.ID+1, files[0].ID); err != ErrNotFound {
		t.Fatalf("another case's file: %v", err)
	}
	for name, files := range map[string][]File{
		"renamed":   {{Name: "病毒.png", Data: []byte("MZ\x90\x00 not a picture")}},
		"exe":       {{Name: "a.exe", Data: []byte("MZ")}},
		"too many":  {{Name: "1.png", Data: png}, {Name: "2.png", Data: png}, {Name: "3.png", Data: png}, {Name: "4.png", Data: png}},
		"too large": {{Name: "big.pdf", Data: append([]byte("%PDF-1.7\n"), make([]byte, 6<<20)...)}},
	} {
		sub := complaint()
		sub.Writer.Mobile, sub.Files = "13957300001", files
		if _, err := s.Submit(ctx, sub); err == nil || err.(*Invalid).Field != "files" {
			t.Errorf("%s: %v", name, err)
		}
	}
}
