package chart

import (
	"math"
	"strconv"
	"strings"
)

// Table is the data of a chart as rows and columns, for an HTML data
// table beside or below the chart (for screen readers, print and narrow
// screens). Its strings are not escaped: render them with html/template.
type Table struct {
	// Caption is the title of the chart, with the unit: "每小时邮件和短信（单位：条）".
	Caption string
	// Header is XName (or "类别") followed by the series names.
	Header []string
	// Rows has one row per x label: the label, then the value of each
	// series, formatted without needless decimals.
	Rows [][]string
}

// Table returns the data of the chart as a table. It does not validate
// the chart: a missing or non-finite value gives an empty cell.
func (c Chart) Table() Table {
	t := Table{Caption: c.Title}
	if c.YUnit != "" {
		t.Caption += "（单位：" + c.YUnit + "）"
	}
	x := c.XName
	if x == "" {
		x = "类别"
	}
	t.Header = append(t.Header, x)
	for _, s := range c.Series {
		t.Header = append(t.Header, s.Name)
	}
	for j, label := range c.XLabels {
		row := make([]string, 1, 1+len(c.Series))
		row[0] = label
		for _, s := range c.Series {
			cell := ""
			if j < len(s.Values) && !math.IsNaN(s.Values[j]) && !math.IsInf(s.Values[j], 0) {
				cell = formatNumber(s.Values[j])
			}
			row = append(row, cell)
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// description is the one-sentence Chinese summary of a valid chart, for
// <desc>: kind, title, categories, then total and maximum of each series.
// "柱状图“近24小时邮件和短信”：横轴共24项，从09时到08时，共2个系列；邮件合计120封，最大值30封（14时）；短信合计…。"
func (c Chart) description() string {
	var b strings.Builder
	b.WriteString(c.Kind.String())
	if c.Title != "" {
		b.WriteString("“" + c.Title + "”")
	}
	b.WriteString("：")
	if !c.hasData() {
		b.WriteString("暂无数据。")
		return b.String()
	}
	n := len(c.XLabels)
	b.WriteString("横轴共" + strconv.Itoa(n) + "项")
	if n > 1 {
		b.WriteString("，从" + c.XLabels[0] + "到" + c.XLabels[n-1])
	} else {
		b.WriteString("：" + c.XLabels[0])
	}
	if len(c.Series) > 1 {
		b.WriteString("，共" + strconv.Itoa(len(c.Series)) + "个系列")
	}
	for _, s := range c.Series {
		total, maxV, maxAt := 0.0, s.Values[0], 0
		for j, v := range s.Values {
			total += v
			if v > maxV {
				maxV, maxAt = v, j
			}
		}
		b.WriteString("；")
		if s.Name != "" {
			b.WriteString(s.Name)
		}
		b.WriteString("合计" + formatNumber(total) + c.YUnit)
		if n > 1 {
			b.WriteString("，最大值" + formatNumber(maxV) + c.YUnit + "（" + c.XLabels[maxAt] + "）")
		}
	}
	b.WriteString("。")
	return b.String()
}
