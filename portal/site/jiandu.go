package site

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"nanhu/internal/web"
	"nanhu/internal/web/chart"
	"nanhu/internal/workcal"
	"nanhu/portal/cases"
)

// The 网上监督 page: how the district answers its letters, per
// department and in total, for a year, as charts with their numbers
// beside them, and as Excel. The figures are counted from the cases
// each time the page is asked for.

type jianduView struct {
	chrome
	Year, Dept    string
	Years         []string
	Depts         []string
	Stats         cases.Stats
	Charts        []jianduChart
	Rows          []jianduRow // per department
	Total         jianduRow
	Excel         string
	Satisfied     string
	Problem       string
	UnratedAs     string
	CategoryNames map[string]string
}

type jianduChart struct {
	SVG   template.HTML
	Table chart.Table
}

type jianduRow struct {
	Dept                       string
	Received, Answered, OnTime int
	Rate, Avg, Satisfied       string
}

func pct(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" }

func rowOf(name string, f cases.Figures) jianduRow {
	return jianduRow{Dept: name, Received: f.Received, Answered: f.Answered, OnTime: f.OnTime, Rate: pct(f.OnTimeRate()),
		Avg: strconv.FormatFloat(f.AvgDays(), 'f', 1, 64), Satisfied: pct(f.Satisfied())}
}

// jianduPeriod reads ?year= (this year by default) and ?dept=.
func (s *Site) jianduPeriod(r *http.Request) (year int, dept string, from, to time.Time, problem string) {
	now := time.Now().In(workcal.Shanghai())
	year = now.Year()
	if y := r.URL.Query().Get("year"); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil || n < 2000 || n > now.Year() {
			problem = "年份不对，显示的是今年的数字。"
		} else {
			year = n
		}
	}
	dept = r.URL.Query().Get("dept")
	from = time.Date(year, 1, 1, 0, 0, 0, 0, workcal.Shanghai())
	return year, dept, from, from.AddDate(1, 0, 0), problem
}

func (s *Site) jiandu(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	year, dept, from, to, problem := s.jianduPeriod(r)
	all, err := s.letters.Store.Stats(ctx, from, to, "")
	if err != nil {
		return err
	}
	st := all
	if dept != "" {
		if st, err = s.letters.Store.Stats(ctx, from, to, dept); err != nil {
			return err
		}
	}
	v := &jianduView{chrome: newChrome(r, "hdjl", home, crumb{Name: "互动交流", Href: "/area/hdjl"}, crumb{Name: "网上监督"}),
		Year: strconv.Itoa(year), Dept: dept, Stats: st, Problem: problem, CategoryNames: map[string]string{}}
	for y := time.Now().In(workcal.Shanghai()).Year(); y >= year-2 && y >= 2000; y-- {
		v.Years = append(v.Years, strconv.Itoa(y))
	}
	for _, d := range all.Depts {
		if d.Dept != "" {
			v.Depts = append(v.Depts, d.Dept)
		}
	}
	for _, c := range s.letters.Store.Categories() {
		v.CategoryNames[c.Code] = c.Name
	}
	v.Total = rowOf("合计", st.Total)
	for _, d := range st.Depts {
		name := d.Dept
		if name == "" {
			name = "（尚未分办）"
		}
		v.Rows = append(v.Rows, rowOf(name, d.Figures))
	}
	v.Satisfied = pct(st.Total.Satisfied())
	q := url.Values{"year": {v.Year}}
	if dept != "" {
		q.Set("dept", dept)
	}
	v.Excel = "/jiandu.xlsx?" + q.Encode()
	if n := s.letters.UnratedAs; n >= 1 && n < len(cases.Ratings) {
		v.UnratedAs = cases.Ratings[n]
	}
	scope := "全区"
	if dept != "" {
		scope = dept
	}
	var months []string
	var recv, answered []float64
	for _, m := range st.Months {
		months = append(months, strconv.Itoa(m.Month%100)+"月")
		recv, answered = append(recv, float64(m.Received)), append(answered, float64(m.Answered))
	}
	var deptNames []string
	var rates []float64
	for _, d := range st.Depts {
		if d.Dept == "" || d.Answered == 0 {
			continue
		}
		deptNames = append(deptNames, d.Dept)
		rates = append(rates, float64(int(d.OnTimeRate()*1000+0.5))/10)
	}
	levels := []string{"非常满意", "满意", "基本满意", "不满意", "非常不满意"}
	var ratings []float64
	for i := 1; i <= 5; i++ {
		ratings = append(ratings, float64(st.Total.Ratings[i]))
	}
	var cats []string
	var catN []float64
	for _, c := range st.Categories {
		name := v.CategoryNames[c.Category]
		if name == "" {
			name = "未分类"
		}
		cats, catN = append(cats, name), append(catN, float64(c.N))
	}
	charts := []chart.Chart{
		{Title: fmt.Sprintf("%s%d年每月来信和答复", scope, year), XName: "月份", XLabels: months, Kind: chart.Line, YUnit: "件", ID: "trend",
			Series: []chart.Series{{Name: "来信", Values: recv}, {Name: "答复", Values: answered}}},
		{Title: fmt.Sprintf("%d年各部门按时答复率", year), XName: "部门", XLabels: deptNames, Kind: chart.Bar, YUnit: "%", ID: "ontime",
			Series: []chart.Series{{Name: "按时答复率", Values: rates}}},
		{Title: scope + "答复满意度", XName: "评价", XLabels: levels, Kind: chart.Bar, YUnit: "件", ID: "rating",
			Series: []chart.Series{{Name: "评价", Values: ratings}}},
		{Title: scope + "来信最多的类别", XName: "类别", XLabels: cats, Kind: chart.Bar, YUnit: "件", ID: "category",
			Series: []chart.Series{{Name: "来信", Values: catN}}},
	}
	for _, c := range charts {
		if len(c.XLabels) == 0 {
			continue
		}
		svg, err := c.SVG()
		if err != nil {
			return err
		}
		v.Charts = append(v.Charts, jianduChart{SVG: svg, Table: c.Table()})
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	return s.kit.RenderStatus(w, r, s.pages["jiandu"], http.StatusOK, web.View{Title: "网上监督", Data: v})
}

// jianduExcel is the same figures as an Excel workbook: totals and
// departments, months, categories.
func (s *Site) jianduExcel(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	year, dept, from, to, _ := s.jianduPeriod(r)
	st, err := s.letters.Store.Stats(ctx, from, to, dept)
	if err != nil {
		return err
	}
	x := excelize.NewFile()
	defer x.Close()
	const sheet1, sheet2, sheet3 = "部门", "月度", "类别"
	x.SetSheetName("Sheet1", sheet1)
	x.NewSheet(sheet2)
	x.NewSheet(sheet3)
	head := []any{"部门", "来信", "答复", "按时答复", "按时答复率", "平均答复用时（工作日）", "非常满意", "满意", "基本满意", "不满意", "非常不满意", "未评价"}
	x.SetSheetRow(sheet1, "A1", &head)
	line := func(name string, f cases.Figures) []any {
		return []any{name, f.Received, f.Answered, f.OnTime, f.OnTimeRate(), f.AvgDays(), f.Ratings[1], f.Ratings[2], f.Ratings[3], f.Ratings[4], f.Ratings[5], f.Ratings[0]}
	}
	row := 2
	for _, d := range st.Depts {
		name := d.Dept
		if name == "" {
			name = "（尚未分办）"
		}
		l := line(name, d.Figures)
		cell, _ := excelize.CoordinatesToCellName(1, row)
		x.SetSheetRow(sheet1, cell, &l)
		row++
	}
	total := line("合计", st.Total)
	cell, _ := excelize.CoordinatesToCellName(1, row)
	x.SetSheetRow(sheet1, cell, &total)
	pctStyle, _ := x.NewStyle(&excelize.Style{NumFmt: 10})
	x.SetCellStyle(sheet1, "E2", "E"+strconv.Itoa(row), pctStyle)
	x.SetColWidth(sheet1, "A", "A", 22)
	mh := []any{"月份", "来信", "答复", "按时答复"}
	x.SetSheetRow(sheet2, "A1", &mh)
	for i, m := range st.Months {
		l := []any{fmt.Sprintf("%d-%02d", m.Month/100, m.Month%100), m.Received, m.Answered, m.OnTime}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		x.SetSheetRow(sheet2, cell, &l)
	}
	ch := []any{"类别", "代码", "来信"}
	x.SetSheetRow(sheet3, "A1", &ch)
	for i, c := range st.Categories {
		name := "未分类"
		if k, ok := s.letters.Store.Category(c.Category); ok {
			name = k.Name
		}
		l := []any{name, c.Category, c.N}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		x.SetSheetRow(sheet3, cell, &l)
	}
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		return fmt.Errorf("site: 网上监督 as Excel: %w", err)
	}
	name := fmt.Sprintf("网上监督%d年", year)
	if dept != "" {
		name += "（" + dept + "）"
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(name+".xlsx"))
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, err = w.Write(buf.Bytes())
	return err
}
