package chart

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// hours returns the labels of the 24 hours from 09时.
func hours() []string {
	var labels []string
	for i := range 24 {
		labels = append(labels, fmt.Sprintf("%02d时", (9+i)%24))
	}
	return labels
}

// sample is a 24-hour chart of mail and SMS.
func sample(kind Kind) Chart {
	mail := []float64{12, 30, 42, 38, 25, 33, 41, 36, 28, 15, 8, 5, 3, 1, 0, 0, 0, 0, 0, 1, 2, 4, 6, 9}
	sms := []float64{40, 55, 61, 58, 49, 52, 66, 70, 45, 30, 22, 14, 9, 5, 2, 1, 1, 0, 2, 3, 6, 10, 18, 26}
	return Chart{
		Title:   "近24小时邮件和短信",
		XName:   "时段",
		XLabels: hours(),
		Series:  []Series{{Name: "邮件", Values: mail}, {Name: "短信", Values: sms}},
		YUnit:   "条",
		Kind:    kind,
	}
}

func mustSVG(t testing.TB, c Chart) string {
	t.Helper()
	out, err := c.SVG()
	if err != nil {
		t.Fatalf("SVG: %v", err)
	}
	checkXML(t, string(out))
	return string(out)
}

// element is a parsed XML element, enough for the assertions.
type element struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Children []element  `xml:",any"`
	Text     string     `xml:",chardata"`
}

func (e *element) attr(name string) string {
	for _, a := range e.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// walk calls f on e and all its descendants, depth first.
func (e *element) walk(f func(*element)) {
	f(e)
	for i := range e.Children {
		e.Children[i].walk(f)
	}
}

// find returns the elements named name.
func (e *element) find(name string) []*element {
	var found []*element
	e.walk(func(x *element) {
		if x.XMLName.Local == name {
			found = append(found, x)
		}
	})
	return found
}

func parse(t testing.TB, svg string) *element {
	t.Helper()
	var root element
	if err := xml.Unmarshal([]byte(svg), &root); err != nil {
		t.Fatalf("parse: %v\n%s", err, svg)
	}
	return &root
}

// checkXML checks that svg is one well-formed <svg> element, read to the
// end by encoding/xml, with no script and no style.
func checkXML(t testing.TB, svg string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
				if tok.Name.Local != "svg" {
					t.Fatalf("root element is %q", tok.Name.Local)
				}
			}
			switch strings.ToLower(tok.Name.Local) {
			case "script", "style", "foreignobject", "a", "image", "use":
				t.Fatalf("element <%s> in the output", tok.Name.Local)
			}
			for _, a := range tok.Attr {
				n := strings.ToLower(a.Name.Local)
				if n == "style" || strings.HasPrefix(n, "on") || n == "href" {
					t.Fatalf("attribute %s in the output", a.Name.Local)
				}
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(tok)) > 0 {
				t.Fatalf("text outside the root: %q", tok)
			}
		case xml.ProcInst, xml.Directive:
			t.Fatalf("unexpected %T", tok)
		}
	}
	if roots != 1 || depth != 0 {
		t.Fatalf("%d root elements, depth %d at the end", roots, depth)
	}
	if strings.Contains(strings.ToLower(svg), "<script") {
		t.Fatalf("raw <script in the output")
	}
}

func TestBarChart(t *testing.T) {
	c := sample(Bar)
	svg := mustSVG(t, c)
	root := parse(t, svg)

	if got := root.attr("role"); got != "img" {
		t.Errorf("role = %q", got)
	}
	if got := root.attr("width"); got != "100%" {
		t.Errorf("width = %q", got)
	}
	if got := root.attr("viewBox"); got != "0 0 640 320" {
		t.Errorf("viewBox = %q", got)
	}
	if root.attr("preserveAspectRatio") == "" {
		t.Error("no preserveAspectRatio")
	}
	if ff := root.attr("font-family"); !strings.HasPrefix(ff, "'Noto Sans CJK SC'") || !strings.HasSuffix(ff, "sans-serif") {
		t.Errorf("font-family = %q", ff)
	}

	// The accessible name and description.
	titles := root.Children[0]
	if titles.XMLName.Local != "title" || titles.Text != c.Title {
		t.Errorf("first child = <%s>%s, want <title>%s", titles.XMLName.Local, titles.Text, c.Title)
	}
	if root.attr("aria-labelledby") != titles.attr("id") || titles.attr("id") == "" {
		t.Errorf("aria-labelledby %q, title id %q", root.attr("aria-labelledby"), titles.attr("id"))
	}
	desc := root.Children[1]
	if desc.XMLName.Local != "desc" || root.attr("aria-describedby") != desc.attr("id") {
		t.Errorf("second child <%s id=%q>, aria-describedby %q", desc.XMLName.Local, desc.attr("id"), root.attr("aria-describedby"))
	}
	wantDesc := "柱状图“近24小时邮件和短信”：横轴共24项，从09时到08时，共2个系列；邮件合计339条，最大值42条（11时）；短信合计645条，最大值70条（16时）。"
	if desc.Text != wantDesc {
		t.Errorf("desc = %q\nwant %q", desc.Text, wantDesc)
	}

	// One rect per bar, in a group per series, each with its tooltip.
	var groups []*element
	root.walk(func(e *element) {
		if strings.HasPrefix(e.attr("class"), "series ") {
			groups = append(groups, e)
		}
	})
	if len(groups) != 2 {
		t.Fatalf("%d series groups, want 2", len(groups))
	}
	for si, g := range groups {
		rects := g.find("rect")
		if len(rects) != 24 {
			t.Errorf("series %d: %d rects, want 24", si, len(rects))
		}
		if g.attr("stroke") != looks[si].color {
			t.Errorf("series %d: outline %q, want %q", si, g.attr("stroke"), looks[si].color)
		}
		for j, r := range rects {
			want := fmt.Sprintf("%s，%s：%s条", c.Series[si].Name, c.XLabels[j], formatNumber(c.Series[si].Values[j]))
			if len(r.Children) != 1 || r.Children[0].Text != want {
				t.Errorf("series %d bar %d: tooltip %v, want %q", si, j, r.Children, want)
				break
			}
		}
	}
	// The first series is solid, the second hatched with a pattern of
	// the <defs>.
	if got := groups[0].attr("fill"); got != "#1f5fa8" {
		t.Errorf("series 0 fill = %q", got)
	}
	m := regexp.MustCompile(`^url\(#(.+)\)$`).FindStringSubmatch(groups[1].attr("fill"))
	if m == nil {
		t.Fatalf("series 1 fill = %q, want a pattern", groups[1].attr("fill"))
	}
	var patterns []string
	for _, p := range root.find("pattern") {
		patterns = append(patterns, p.attr("id"))
	}
	if !slices.Contains(patterns, m[1]) {
		t.Errorf("pattern %q not defined in %v", m[1], patterns)
	}

	// Bars stand on the x axis and are as tall as their value.
	rects := groups[1].find("rect")
	bottom := num(t, rects[0].attr("y")) + num(t, rects[0].attr("height"))
	for j, r := range rects {
		b := num(t, r.attr("y")) + num(t, r.attr("height"))
		if math.Abs(b-bottom) > 0.01 {
			t.Errorf("bar %d ends at %v, bar 0 at %v", j, b, bottom)
		}
	}
	h7, h16, h17 := num(t, rects[7].attr("height")), num(t, rects[16].attr("height")), num(t, rects[17].attr("height"))
	if h17 != 0 || math.Abs(h16*70-h7) > 0.15*70 || h7 <= 0 {
		t.Errorf("heights: 70 → %v, 1 → %v, 0 → %v", h7, h16, h17)
	}

	// Legend with both names, since there are two series.
	texts := allText(root)
	for _, want := range []string{"近24小时邮件和短信", "邮件", "短信", "单位：条", "0", "70"} {
		if !slices.Contains(texts, want) {
			t.Errorf("no text %q in %q", want, texts)
		}
	}
	if slices.Contains(texts, "暂无数据") {
		t.Error("暂无数据 on a chart with data")
	}
	if strings.Contains(svg, "<style") || strings.Contains(svg, " style=") {
		t.Error("style in the SVG")
	}
}

// allText returns the text of the <text> elements.
func allText(root *element) []string {
	var texts []string
	for _, e := range root.find("text") {
		texts = append(texts, e.Text)
	}
	return texts
}

func num(t testing.TB, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("number %q: %v", s, err)
	}
	return v
}

func TestXLabelsDoNotOverlap(t *testing.T) {
	for _, width := range []int{MinWidth, 360, DefaultWidth, 1366} {
		for _, labels := range [][]string{hours(), dates(31), dates(366), {"一", "二"}} {
			c := Chart{Kind: Bar, XLabels: labels, Width: width,
				Series: []Series{{Name: "件数", Values: make([]float64, len(labels))}}}
			var xs, ws []float64
			for _, e := range xLabelTexts(parse(t, mustSVG(t, c))) {
				if !slices.Contains(labels, e.Text) {
					t.Errorf("width %d: label %q shortened", width, e.Text)
				}
				xs = append(xs, num(t, e.attr("x")))
				ws = append(ws, textWidth(e.Text, sizeText))
			}
			if len(xs) == 0 {
				t.Errorf("width %d, %d labels: none drawn", width, len(labels))
				continue
			}
			if len(labels) <= 2 && len(xs) != len(labels) {
				t.Errorf("width %d: %d of %d labels drawn", width, len(xs), len(labels))
			}
			for i := range xs {
				if xs[i]-ws[i]/2 < 0 || xs[i]+ws[i]/2 > float64(width) {
					t.Errorf("width %d, %d labels: label %d at %v (%v wide) leaves the chart", width, len(labels), i, xs[i], ws[i])
				}
				if i > 0 && xs[i-1]+ws[i-1]/2 > xs[i]-ws[i]/2 {
					t.Errorf("width %d, %d labels: labels %d and %d overlap", width, len(labels), i-1, i)
				}
			}
		}
	}
}

// xLabelTexts returns the x labels drawn.
func xLabelTexts(root *element) []*element {
	var texts []*element
	for _, g := range root.find("g") {
		if g.attr("text-anchor") == "middle" {
			texts = append(texts, g.find("text")...)
		}
	}
	return texts
}

func dates(n int) []string {
	var labels []string
	for i := range n {
		labels = append(labels, fmt.Sprintf("2026-%02d-%02d", 1+i/28, 1+i%28))
	}
	return labels
}

func TestHoursSkipLabels(t *testing.T) {
	root := parse(t, mustSVG(t, Chart{Kind: Line, XLabels: hours(), Width: 360,
		Series: []Series{{Name: "邮件", Values: make([]float64, 24)}}}))
	var drawn []string
	for _, e := range xLabelTexts(root) {
		drawn = append(drawn, e.Text)
	}
	want := []string{"09时", "12时", "15时", "18时", "21时", "00时", "03时", "06时"}
	if !slices.Equal(drawn, want) {
		t.Errorf("hour labels at width 360: %v, want %v", drawn, want)
	}
}

func TestLineChart(t *testing.T) {
	c := sample(Line)
	svg := mustSVG(t, c)
	root := parse(t, svg)
	lines := root.find("polyline")
	if len(lines) != 2 {
		t.Fatalf("%d polylines, want 2", len(lines))
	}
	dashes := map[string]bool{}
	for si, l := range lines {
		points := strings.Fields(l.attr("points"))
		if len(points) != 24 {
			t.Errorf("line %d: %d points, want 24", si, len(points))
		}
		if l.attr("stroke") != looks[si].color || l.attr("fill") != "none" {
			t.Errorf("line %d: stroke %q fill %q", si, l.attr("stroke"), l.attr("fill"))
		}
		dashes[l.attr("stroke-dasharray")] = true
	}
	if len(dashes) != 2 {
		t.Errorf("the two lines share their dash pattern: %v", dashes)
	}
	// A marker path per series and a marker in each of the 2 legend entries.
	markers := 0
	for _, p := range root.find("path") {
		if d := p.attr("d"); strings.Count(d, "z") == 24 {
			markers++
		}
	}
	if markers != 2 {
		t.Errorf("%d marker paths of 24 points, want 2", markers)
	}
	if len(root.find("pattern")) != 0 {
		t.Error("a line chart defines patterns")
	}
	if !strings.HasPrefix(root.Children[1].Text, "折线图") {
		t.Errorf("desc = %q", root.Children[1].Text)
	}
}

func TestStackedBar(t *testing.T) {
	c := sample(StackedBar)
	root := parse(t, mustSVG(t, c))
	var groups []*element
	root.walk(func(e *element) {
		if strings.HasPrefix(e.attr("class"), "series ") {
			groups = append(groups, e)
		}
	})
	if len(groups) != 2 {
		t.Fatalf("%d groups", len(groups))
	}
	// The SMS segment of each hour sits on top of the mail segment.
	mail, sms := groups[0].find("rect"), groups[1].find("rect")
	for j := range mail {
		top := num(t, mail[j].attr("y"))
		bottom := num(t, sms[j].attr("y")) + num(t, sms[j].attr("height"))
		if math.Abs(top-bottom) > 0.01 {
			t.Errorf("hour %d: sms ends at %v, mail starts at %v", j, bottom, top)
		}
	}
	// The axis goes to the largest sum, 106 (16时: 36+70), so to 120.
	if texts := allText(root); !slices.Contains(texts, "120") || slices.Contains(texts, "140") {
		t.Errorf("ticks: %v", texts)
	}
}

func TestSingleSeriesHasNoLegend(t *testing.T) {
	c := sample(Bar)
	c.Series = c.Series[:1]
	root := parse(t, mustSVG(t, c))
	root.walk(func(e *element) {
		if e.attr("class") == "legend" {
			t.Error("legend with one series")
		}
	})
	if n := len(root.find("pattern")); n != 0 {
		t.Errorf("%d patterns for one solid series", n)
	}
}

func TestEscaping(t *testing.T) {
	evil := `<b>&"'</svg><script>alert(1)</script>`
	c := Chart{
		Title:   evil,
		XLabels: []string{evil, "x"},
		Series:  []Series{{Name: evil, Values: []float64{1, 2}}, {Name: "\x00\x01\ufffe", Values: []float64{3, 4}}},
		YUnit:   evil,
		Kind:    Bar,
	}
	svg := mustSVG(t, c)
	if !strings.Contains(svg, "&lt;b&gt;&amp;&#34;&#39;") {
		t.Errorf("label not escaped as expected:\n%s", svg)
	}
	if strings.Contains(svg, "<b>") || strings.Contains(svg, "</svg><") {
		t.Errorf("raw markup in the output:\n%s", svg)
	}
	root := parse(t, svg)
	if got := root.Children[0].Text; got != evil {
		t.Errorf("title reads %q, want %q", got, evil)
	}
	if texts := allText(root); !slices.Contains(texts, "\ufffd\ufffd\ufffd") {
		t.Errorf("invalid characters not replaced: %q", texts)
	}
	// And once more inside a page.
	tmpl := template.Must(template.New("p").Parse(`<figure>{{.}}</figure>`))
	var page strings.Builder
	out, _ := c.SVG()
	if err := tmpl.Execute(&page, out); err != nil {
		t.Fatal(err)
	}
	if strings.Count(page.String(), "<svg") != 1 || !strings.HasSuffix(page.String(), "</svg></figure>") {
		t.Errorf("page: %s", page.String())
	}
}

func TestErrors(t *testing.T) {
	ok := func() Chart { return sample(Bar) }
	tests := []struct {
		name   string
		change func(*Chart)
		want   error
	}{
		{"negative width", func(c *Chart) { c.Width = -1 }, ErrSize},
		{"negative height", func(c *Chart) { c.Height = -320 }, ErrSize},
		{"too narrow", func(c *Chart) { c.Width = MinWidth - 1 }, ErrSize},
		{"too high", func(c *Chart) { c.Height = MaxHeight + 1 }, ErrSize},
		{"unknown kind", func(c *Chart) { c.Kind = 7 }, ErrKind},
		{"too many series", func(c *Chart) {
			for len(c.Series) <= MaxSeries {
				c.Series = append(c.Series, c.Series[0])
			}
		}, ErrTooManySeries},
		{"too many labels", func(c *Chart) {
			c.XLabels = make([]string, MaxLabels+1)
			c.Series = nil
		}, ErrTooManyLabels},
		{"short series", func(c *Chart) { c.Series[1].Values = c.Series[1].Values[:23] }, ErrLength},
		{"long series", func(c *Chart) { c.Series[0].Values = append(c.Series[0].Values, 1) }, ErrLength},
		{"values without labels", func(c *Chart) { c.XLabels = nil }, ErrLength},
		{"NaN", func(c *Chart) { c.Series[0].Values[3] = math.NaN() }, ErrValue},
		{"+Inf", func(c *Chart) { c.Series[1].Values[0] = math.Inf(1) }, ErrValue},
		{"-Inf", func(c *Chart) { c.Series[1].Values[0] = math.Inf(-1) }, ErrValue},
		{"negative", func(c *Chart) { c.Series[0].Values[5] = -1 }, ErrValue},
		{"huge", func(c *Chart) { c.Series[0].Values[5] = 1e300 }, ErrValue},
		{"huge stack", func(c *Chart) {
			c.Kind = StackedBar
			c.Series[0].Values[5], c.Series[1].Values[5] = MaxValue, MaxValue
		}, ErrValue},
		{"bad id", func(c *Chart) { c.ID = `a" onload="x` }, ErrID},
		{"id starting with a digit", func(c *Chart) { c.ID = "1chart" }, ErrID},
	}
	for _, tt := range tests {
		c := ok()
		tt.change(&c)
		out, err := c.SVG()
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
		if out != "" {
			t.Errorf("%s: output with an error", tt.name)
		}
		if err2 := c.Validate(); !errors.Is(err2, tt.want) {
			t.Errorf("%s: Validate = %v, want %v", tt.name, err2, tt.want)
		}
	}
	// And the limits themselves are fine.
	for _, change := range []func(*Chart){
		func(c *Chart) { c.Width, c.Height = MinWidth, MinHeight },
		func(c *Chart) { c.Width, c.Height = MaxWidth, MaxHeight },
		func(c *Chart) { c.Series[0].Values[0] = MaxValue },
		func(c *Chart) { c.ID = "mail-sms_1" },
		func(c *Chart) {
			for len(c.Series) < MaxSeries {
				c.Series = append(c.Series, c.Series[0])
			}
		},
	} {
		c := ok()
		change(&c)
		mustSVG(t, c)
	}
}

func TestEmptyChart(t *testing.T) {
	for _, c := range []Chart{
		{},
		{Title: "本周工单", Kind: Line, YUnit: "件"},
		{Kind: StackedBar, XLabels: []string{"周一", "周二"}},
		{Kind: Bar, Series: []Series{{Name: "邮件"}}},
	} {
		root := parse(t, mustSVG(t, c))
		texts := allText(root)
		if !slices.Contains(texts, "暂无数据") {
			t.Errorf("%+v: no 暂无数据 in %q", c, texts)
		}
		if !slices.Contains(texts, "0") {
			t.Errorf("%+v: no y axis in %q", c, texts)
		}
		if n := len(root.find("rect")); n != 1 { // the background
			t.Errorf("%+v: %d rects", c, n)
		}
		if !strings.HasSuffix(root.Children[1].Text, "暂无数据。") {
			t.Errorf("%+v: desc %q", c, root.Children[1].Text)
		}
		if root.Children[0].Text == "" {
			t.Errorf("%+v: empty accessible name", c)
		}
	}
}

func TestDeterministic(t *testing.T) {
	for _, kind := range []Kind{Bar, Line, StackedBar} {
		a, b := mustSVG(t, sample(kind)), mustSVG(t, sample(kind))
		if a != b {
			t.Errorf("%v: two renderings differ", kind)
		}
		if regexp.MustCompile(`\d\.\d\d`).MatchString(a) {
			t.Errorf("%v: a number with more than one decimal: %s", kind, regexp.MustCompile(`[^" ,]*\d\.\d\d[^" ,]*`).FindString(a))
		}
	}
}

func TestIDs(t *testing.T) {
	a, b := sample(Bar), sample(Bar)
	b.Series[0].Values[0]++
	ida, idb := a.id(), b.id()
	if ida == idb {
		t.Errorf("two charts share the id %q", ida)
	}
	if !idPattern.MatchString(ida) {
		t.Errorf("derived id %q is not a valid id", ida)
	}
	a.ID = "chart-mail"
	root := parse(t, mustSVG(t, a))
	if got := root.attr("aria-labelledby"); got != "chart-mail-t" {
		t.Errorf("aria-labelledby = %q", got)
	}
	for _, p := range root.find("pattern") {
		if !strings.HasPrefix(p.attr("id"), "chart-mail-") {
			t.Errorf("pattern id %q", p.attr("id"))
		}
	}
}

func TestTable(t *testing.T) {
	c := Chart{
		Title:   "办件量",
		XName:   "日期",
		XLabels: []string{"5月1日", "5月2日", "5月3日"},
		Series: []Series{
			{Name: "受理", Values: []float64{3, 12.5, 0}},
			{Name: "办结", Values: []float64{1, 0.25, 1e6}},
		},
		YUnit: "件",
	}
	got := c.Table()
	want := Table{
		Caption: "办件量（单位：件）",
		Header:  []string{"日期", "受理", "办结"},
		Rows: [][]string{
			{"5月1日", "3", "1"},
			{"5月2日", "12.5", "0.25"},
			{"5月3日", "0", "1000000"},
		},
	}
	if got.Caption != want.Caption || !slices.Equal(got.Header, want.Header) ||
		!slices.EqualFunc(got.Rows, want.Rows, slices.Equal) {
		t.Errorf("Table() = %#v\nwant %#v", got, want)
	}

	// Not validated: bad values give empty cells, no panic.
	bad := Chart{XLabels: []string{"a", "b"}, Series: []Series{{Name: "s", Values: []float64{math.NaN()}}}}
	if got := bad.Table(); got.Header[0] != "类别" || !slices.Equal(got.Rows[0], []string{"a", ""}) || !slices.Equal(got.Rows[1], []string{"b", ""}) {
		t.Errorf("Table() of a bad chart = %#v", got)
	}
	if got := (Chart{}).Table(); got.Caption != "" || len(got.Rows) != 0 || !slices.Equal(got.Header, []string{"类别"}) {
		t.Errorf("Table() of an empty chart = %#v", got)
	}
}

// TestContrast checks that every series colour has at least 3:1 contrast
// against white (WCAG 1.4.11), and the text colours 4.5:1.
func TestContrast(t *testing.T) {
	for i, lk := range looks {
		if r := contrast(t, lk.color); r < 4.5 {
			t.Errorf("series %d colour %s: contrast %.2f", i, lk.color, r)
		}
	}
	for _, c := range []string{colorText, colorMute, colorAxis} {
		if r := contrast(t, c); r < 4.5 {
			t.Errorf("colour %s: contrast %.2f", c, r)
		}
	}
	// And each series differs from the others in pattern, not only colour.
	seen := map[string]bool{}
	for _, lk := range looks {
		key := fmt.Sprint(lk.hatch, lk.dash, lk.marker)
		for _, part := range []string{fmt.Sprint("h", lk.hatch), "d" + lk.dash, fmt.Sprint("m", lk.marker)} {
			if seen[part] {
				t.Errorf("pattern %q shared (%s)", part, key)
			}
			seen[part] = true
		}
	}
}

func contrast(t *testing.T, hex string) float64 {
	t.Helper()
	hex = strings.TrimPrefix(hex, "#")
	if len(hex) == 3 {
		hex = string([]byte{hex[0], hex[0], hex[1], hex[1], hex[2], hex[2]})
	}
	v, err := strconv.ParseUint(hex, 16, 32)
	if err != nil {
		t.Fatal(err)
	}
	lin := func(c uint64) float64 {
		s := float64(c) / 255
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	l := 0.2126*lin(v>>16&0xff) + 0.7152*lin(v>>8&0xff) + 0.0722*lin(v&0xff)
	return 1.05 / (l + 0.05)
}

// TestSamples writes sample charts, to look at: set CHART_SAMPLES to a
// folder to keep them (chart-bar.svg, chart-line.svg, …).
func TestSamples(t *testing.T) {
	dir := os.Getenv("CHART_SAMPLES")
	if dir == "" {
		dir = t.TempDir()
	}
	many := sample(Line)
	for i := 2; i < MaxSeries; i++ {
		s := Series{Name: fmt.Sprintf("系列%d（很长的名称）", i+1), Values: slices.Clone(many.Series[i%2].Values)}
		for j := range s.Values {
			s.Values[j] = s.Values[j]*float64(i)/3 + float64(i*3)
		}
		many.Series = append(many.Series, s)
	}
	manyBars := many
	manyBars.Kind = Bar
	manyBars.Width = 1000
	month := Chart{Title: "五月每日办件量", XName: "日期", XLabels: dates(31)[:31], Kind: StackedBar, YUnit: "件",
		Series: []Series{{Name: "受理", Values: make([]float64, 31)}, {Name: "办结", Values: make([]float64, 31)}}}
	for j := range 31 {
		month.Series[0].Values[j] = float64((j*7)%13 + 2)
		month.Series[1].Values[j] = float64((j*5)%11 + 1)
	}
	narrow := sample(Bar)
	narrow.Width, narrow.Height = 360, 280
	for name, c := range map[string]Chart{
		"chart-bar":     sample(Bar),
		"chart-line":    sample(Line),
		"chart-stacked": month,
		"chart-many":    many,
		"chart-manybar": manyBars,
		"chart-narrow":  narrow,
		"chart-empty":   {Title: "本周工单", YUnit: "件", XLabels: nil},
		"chart-evil":    {Title: `<b>&"标题`, XLabels: []string{`<b>&"`, "二"}, Series: []Series{{Name: `<i>`, Values: []float64{0.3, 0.75}}}},
	} {
		svg := mustSVG(t, c)
		if err := os.WriteFile(filepath.Join(dir, name+".svg"), []byte(svg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
