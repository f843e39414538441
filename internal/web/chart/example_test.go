package chart_test

import (
	"fmt"
	"html/template"
	"os"
	"strings"

	"nanhu/internal/web/chart"
)

// A chart of the mail and SMS sent per hour over the last day, embedded
// in a page with its data table.
func Example() {
	var hours []string
	for h := 9; h < 9+24; h++ {
		hours = append(hours, fmt.Sprintf("%02d时", h%24))
	}
	c := chart.Chart{
		Title:   "近24小时邮件和短信",
		XName:   "时段",
		XLabels: hours,
		Series: []chart.Series{
			{Name: "邮件", Values: []float64{12, 30, 42, 38, 25, 33, 41, 36, 28, 15, 8, 5, 3, 1, 0, 0, 0, 0, 0, 1, 2, 4, 6, 9}},
			{Name: "短信", Values: []float64{40, 55, 61, 58, 49, 52, 66, 70, 45, 30, 22, 14, 9, 5, 2, 1, 1, 0, 2, 3, 6, 10, 18, 26}},
		},
		YUnit: "条",
		Kind:  chart.Bar,
		ID:    "mail-sms",
	}
	svg, err := c.SVG()
	if err != nil {
		fmt.Println(err)
		return
	}
	// The accessible name and description open the <svg>.
	s := string(svg)
	s = s[:strings.Index(s, "</desc>")+len("</desc>")]
	fmt.Println(strings.ReplaceAll(s, "><", ">\n<"))

	// A page shows the chart and, for screen readers and print, its data
	// (here the first two rows).
	page := template.Must(template.New("page").Parse(`<figure>{{.SVG}}</figure>
<table><caption>{{.Table.Caption}}</caption>
<tr>{{range .Table.Header}}<th scope="col">{{.}}</th>{{end}}</tr>
{{range slice .Table.Rows 0 2}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
`))
	var b strings.Builder
	if err := page.Execute(&b, map[string]any{"SVG": svg, "Table": c.Table()}); err != nil {
		fmt.Println(err)
		return
	}
	html := b.String()
	os.Stdout.WriteString(html[strings.Index(html, "</figure>"):])
	// Output:
	// <svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="mail-sms-t" aria-describedby="mail-sms-d" viewBox="0 0 640 320" width="100%" preserveAspectRatio="xMidYMid meet" font-family="'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', 'WenQuanYi Micro Hei', sans-serif" font-size="12" fill="#222">
	// <title id="mail-sms-t">近24小时邮件和短信</title>
	// <desc id="mail-sms-d">柱状图“近24小时邮件和短信”：横轴共24项，从09时到08时，共2个系列；邮件合计339条，最大值42条（11时）；短信合计645条，最大值70条（16时）。</desc>
	// </figure>
	// <table><caption>近24小时邮件和短信（单位：条）</caption>
	// <tr><th scope="col">时段</th><th scope="col">邮件</th><th scope="col">短信</th></tr>
	// <tr><td>09时</td><td>12</td><td>40</td></tr>
	// <tr><td>10时</td><td>30</td><td>55</td></tr>
	// </table>
}
