package chart

import (
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
)

// fontFamily lists fonts that have Chinese, then the generic family. It
// is written in an attribute in double quotes, so the names are in single
// quotes.
const fontFamily = `'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', 'WenQuanYi Micro Hei', sans-serif`

// Colours of the frame, all on a white background.
const (
	colorText = "#222"
	colorMute = "#555" // 7.5:1
	colorAxis = "#333"
	colorGrid = "#d9d9d9" // decoration only, light on purpose
)

// Font sizes, in viewBox units.
const (
	sizeTitle = 16
	sizeText  = 12
	sizeEmpty = 14
	pad       = 12
)

type hatch uint8

const (
	hatchNone hatch = iota
	hatchDiagonal
	hatchCross
	hatchDots
	hatchBackDiagonal
	hatchVertical
)

type marker uint8

const (
	markerCircle marker = iota
	markerSquare
	markerTriangle
	markerDiamond
	markerOpenCircle
	markerTriangleDown
)

// look is how one series is drawn: colour (each at least 4.5:1 against
// white) and, for black and white print, a bar hatching, a line dash and
// a point marker of its own.
type look struct {
	color  string
	hatch  hatch
	dash   string
	marker marker
}

var looks = [MaxSeries]look{
	{"#1f5fa8", hatchNone, "", markerCircle},
	{"#b8432f", hatchDiagonal, "8 4", markerSquare},
	{"#2e7d32", hatchCross, "2 3", markerTriangle},
	{"#6a4c93", hatchDots, "10 3 2 3", markerDiamond},
	{"#8a6d00", hatchBackDiagonal, "4 4", markerOpenCircle},
	{"#4d4d4d", hatchVertical, "12 3 3 3 3 3", markerTriangleDown},
}

// maxMarkers is the number of points above which a line has no markers,
// which would crowd it.
const maxMarkers = 60

// esc returns s escaped for XML text and attribute values; characters XML
// does not allow become U+FFFD.
func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder does not fail
	return b.String()
}

// layout is where things go, in viewBox units.
type layout struct {
	w, h                       float64
	plotL, plotT, plotR, plotB float64
	titleY                     float64
	title                      string // as drawn, maybe shortened
	legend                     []legendItem
	unitY                      float64
	ticks                      []float64
	tickLabels                 []string
	slot                       float64
	step                       int      // draw every step-th x label
	xLabels                    []string // as drawn, maybe shortened
}

type legendItem struct {
	x, y float64 // left end of the swatch, baseline of the text
	name string
}

func (c Chart) layout() layout {
	var l layout
	l.w, l.h = c.size()
	y := float64(pad)
	if c.Title != "" {
		l.title = fitText(c.Title, sizeTitle, l.w-2*pad)
		l.titleY = y + sizeTitle
		y += sizeTitle + 8
	}
	if len(c.Series) > 1 {
		const swatch, gapAfter, rowH = 22, 16, 18
		x := float64(pad)
		rowY := y + sizeText
		maxName := math.Min(200, l.w-2*pad-swatch-4)
		for _, s := range c.Series {
			name := fitText(s.Name, sizeText, maxName)
			itemW := swatch + 4 + textWidth(name, sizeText)
			if x > pad && x+itemW > l.w-pad {
				x = pad
				rowY += rowH
			}
			l.legend = append(l.legend, legendItem{x: x, y: rowY, name: name})
			x += itemW + gapAfter
		}
		y = rowY + 8
	}
	if c.YUnit != "" {
		l.unitY = y + sizeText
		y += sizeText + 6
	}
	l.plotT = y + 8 // room for the top tick label, centred on its line

	l.ticks = niceTicks(c.dataMax(), 5, c.allIntegers())
	tickW := 0.0
	for _, t := range l.ticks {
		s := formatNumber(t)
		l.tickLabels = append(l.tickLabels, s)
		tickW = math.Max(tickW, textWidth(s, sizeText))
	}
	l.plotL = pad + tickW + 6
	l.plotR = l.w - pad
	l.plotB = l.h - pad - sizeText - 6

	n := len(c.XLabels)
	if n == 0 {
		l.step = 1
		return l
	}
	maxLabel := math.Max(90, (l.plotR-l.plotL)/2.5)
	labelW := 0.0
	for _, s := range c.XLabels {
		s = fitText(s, sizeText, maxLabel)
		l.xLabels = append(l.xLabels, s)
		labelW = math.Max(labelW, textWidth(s, sizeText))
	}
	// Labels are centred on their slots: keep the first and the last
	// inside the chart.
	l.slot = (l.plotR - l.plotL) / float64(n)
	if over := labelW/2 - l.slot/2 - (l.plotL - 2); over > 0 {
		l.plotL += over
	}
	if over := labelW/2 - l.slot/2 - (l.w - l.plotR - 2); over > 0 {
		l.plotR -= over
	}
	l.slot = (l.plotR - l.plotL) / float64(n)
	l.step = labelStep(n, l.slot, labelW, 6)
	return l
}

// y returns the y coordinate of value v.
func (l *layout) y(v float64) float64 {
	top := l.ticks[len(l.ticks)-1]
	return l.plotB - v/top*(l.plotB-l.plotT)
}

// x returns the x coordinate of the middle of category i.
func (l *layout) x(i int) float64 {
	return l.plotL + l.slot*(float64(i)+0.5)
}

// id returns the prefix of the ids in the SVG.
func (c Chart) id() string {
	if c.ID != "" {
		return c.ID
	}
	h := fnv.New64a()
	var num [8]byte
	str := func(s string) {
		binary.LittleEndian.PutUint64(num[:], uint64(len(s)))
		h.Write(num[:])
		h.Write([]byte(s))
	}
	val := func(v float64) {
		binary.LittleEndian.PutUint64(num[:], math.Float64bits(v))
		h.Write(num[:])
	}
	val(float64(c.Kind))
	val(float64(c.Width))
	val(float64(c.Height))
	str(c.Title)
	str(c.XName)
	str(c.YUnit)
	val(float64(len(c.XLabels)))
	for _, s := range c.XLabels {
		str(s)
	}
	for _, s := range c.Series {
		str(s.Name)
		for _, v := range s.Values {
			val(v)
		}
	}
	return fmt.Sprintf("chart-%012x", h.Sum64()>>16)
}

func (c Chart) render() string {
	l := c.layout()
	id := c.id()
	var b strings.Builder
	b.Grow(4096 + 200*len(c.XLabels)*max(1, len(c.Series)))
	w := func(parts ...string) {
		for _, p := range parts {
			b.WriteString(p)
		}
	}
	title := c.Title
	if title == "" {
		title = c.Kind.String()
	}
	w(`<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="`, id, `-t" aria-describedby="`, id, `-d"`,
		` viewBox="0 0 `, coord(l.w), ` `, coord(l.h), `" width="100%" preserveAspectRatio="xMidYMid meet"`,
		` font-family="`, fontFamily, `" font-size="`, coord(sizeText), `" fill="`, colorText, `">`)
	w(`<title id="`, id, `-t">`, esc(title), `</title>`)
	w(`<desc id="`, id, `-d">`, esc(c.description()), `</desc>`)
	if c.Kind != Line && c.hasData() {
		c.writeDefs(&b, id)
	}
	w(`<rect width="`, coord(l.w), `" height="`, coord(l.h), `" fill="#fff"/>`)

	if l.title != "" {
		w(`<text x="`, coord(pad), `" y="`, coord(l.titleY), `" font-size="`, coord(sizeTitle), `" font-weight="bold">`, esc(l.title), `</text>`)
	}
	if c.YUnit != "" {
		w(`<text x="`, coord(pad), `" y="`, coord(l.unitY), `" fill="`, colorMute, `">`, esc("单位："+c.YUnit), `</text>`)
	}

	// Gridlines and y ticks.
	w(`<g stroke="`, colorGrid, `" stroke-width="1">`)
	for _, t := range l.ticks[1:] {
		y := coord(l.y(t))
		w(`<line x1="`, coord(l.plotL), `" y1="`, y, `" x2="`, coord(l.plotR), `" y2="`, y, `"/>`)
	}
	w(`</g>`)
	w(`<g text-anchor="end">`)
	for i, t := range l.ticks {
		w(`<text x="`, coord(l.plotL-6), `" y="`, coord(l.y(t)+4), `">`, esc(l.tickLabels[i]), `</text>`)
	}
	w(`</g>`)

	if c.hasData() {
		switch c.Kind {
		case Bar:
			c.writeBars(&b, &l, id)
		case StackedBar:
			c.writeStacked(&b, &l, id)
		case Line:
			c.writeLines(&b, &l)
		}
	} else {
		w(`<text x="`, coord((l.plotL+l.plotR)/2), `" y="`, coord((l.plotT+l.plotB)/2+5), `" font-size="`, coord(sizeEmpty),
			`" text-anchor="middle" fill="`, colorMute, `">暂无数据</text>`)
	}

	// Axes, over the bars.
	w(`<path d="M`, coord(l.plotL), ` `, coord(l.plotT-4), `V`, coord(l.plotB), `H`, coord(l.plotR),
		`" fill="none" stroke="`, colorAxis, `" stroke-width="1"/>`)

	// X labels.
	if len(l.xLabels) > 0 {
		w(`<g text-anchor="middle">`)
		y := coord(l.plotB + 6 + sizeText)
		for i, s := range l.xLabels {
			if i%l.step != 0 {
				continue
			}
			w(`<text x="`, coord(l.x(i)), `" y="`, y, `">`, esc(s), `</text>`)
		}
		w(`</g>`)
	}

	c.writeLegend(&b, &l, id)
	w(`</svg>`)
	return b.String()
}

// fill returns the fill of the bars of series i.
func fill(id string, i int) string {
	if looks[i].hatch == hatchNone {
		return looks[i].color
	}
	return fmt.Sprintf("url(#%s-p%d)", id, i)
}

// writeDefs writes the hatch patterns of the bar series: the colour of the
// series with white lines or dots, which stay apart in grey.
func (c Chart) writeDefs(b *strings.Builder, id string) {
	b.WriteString(`<defs>`)
	for i := range c.Series {
		lk := looks[i]
		var transform, shape string
		switch lk.hatch {
		case hatchNone:
			continue
		case hatchDiagonal:
			transform, shape = "rotate(45)", `<path d="M3 0V6" stroke="#fff" stroke-width="2"/>`
		case hatchBackDiagonal:
			transform, shape = "rotate(-45)", `<path d="M3 0V6" stroke="#fff" stroke-width="2.5"/>`
		case hatchCross:
			transform, shape = "rotate(45)", `<path d="M3 0V6M0 3H6" stroke="#fff" stroke-width="1.2"/>`
		case hatchDots:
			shape = `<circle cx="3" cy="3" r="1.4" fill="#fff"/>`
		case hatchVertical:
			shape = `<path d="M3 0V6" stroke="#fff" stroke-width="1.5"/>`
		}
		fmt.Fprintf(b, `<pattern id="%s-p%d" width="6" height="6" patternUnits="userSpaceOnUse"`, id, i)
		if transform != "" {
			fmt.Fprintf(b, ` patternTransform="%s"`, transform)
		}
		fmt.Fprintf(b, `><rect width="6" height="6" fill="%s"/>%s</pattern>`, lk.color, shape)
	}
	b.WriteString(`</defs>`)
}

// barTitle is the tooltip of one bar or point.
func (c Chart) barTitle(series, label int) string {
	return esc(c.Series[series].Name + "，" + c.XLabels[label] + "：" + formatNumber(c.Series[series].Values[label]) + c.YUnit)
}

// writeRect writes one bar from value lo to hi, with its tooltip.
func (c Chart) writeRect(b *strings.Builder, l *layout, x, width, lo, hi float64, series, label int) {
	// Height from the rounded ends, so that bars meet the axis and each
	// other exactly.
	top, bottom := math.Round(l.y(hi)*10)/10, math.Round(l.y(lo)*10)/10
	b.WriteString(`<rect x="` + coord(x) + `" y="` + coord(top) + `" width="` + coord(width) + `" height="` + coord(bottom-top) + `">`)
	b.WriteString(`<title>` + c.barTitle(series, label) + `</title></rect>`)
}

func (c Chart) writeBars(b *strings.Builder, l *layout, id string) {
	group := l.slot * 0.8
	bw := group / float64(len(c.Series))
	gap := math.Min(1.5, bw*0.15)
	for si, s := range c.Series {
		fmt.Fprintf(b, `<g class="series s%d" fill="%s" stroke="%s" stroke-width="%s">`,
			si, fill(id, si), looks[si].color, coord(math.Min(1, bw/8)))
		for j, v := range s.Values {
			x := l.x(j) - group/2 + float64(si)*bw + gap/2
			c.writeRect(b, l, x, bw-gap, 0, v, si, j)
		}
		b.WriteString(`</g>`)
	}
}

func (c Chart) writeStacked(b *strings.Builder, l *layout, id string) {
	bw := l.slot * 0.6
	base := make([]float64, len(c.XLabels))
	for si, s := range c.Series {
		fmt.Fprintf(b, `<g class="series s%d" fill="%s" stroke="%s" stroke-width="%s">`,
			si, fill(id, si), looks[si].color, coord(math.Min(1, bw/8)))
		for j, v := range s.Values {
			c.writeRect(b, l, l.x(j)-bw/2, bw, base[j], base[j]+v, si, j)
			base[j] += v
		}
		b.WriteString(`</g>`)
	}
}

func (c Chart) writeLines(b *strings.Builder, l *layout) {
	for si, s := range c.Series {
		lk := looks[si]
		fmt.Fprintf(b, `<g class="series s%d">`, si)
		b.WriteString(`<polyline fill="none" stroke="` + lk.color + `" stroke-width="2" stroke-linejoin="round"`)
		if lk.dash != "" {
			b.WriteString(` stroke-dasharray="` + lk.dash + `"`)
		}
		b.WriteString(` points="`)
		for j, v := range s.Values {
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(coord(l.x(j)) + "," + coord(l.y(v)))
		}
		b.WriteString(`"><title>` + esc(s.Name) + `</title></polyline>`)
		if len(s.Values) <= maxMarkers {
			var d strings.Builder
			for j, v := range s.Values {
				markerPath(&d, lk.marker, l.x(j), l.y(v), 3.5)
			}
			writeMarkerPath(b, lk, d.String())
		}
		b.WriteString(`</g>`)
	}
}

func writeMarkerPath(b *strings.Builder, lk look, d string) {
	if lk.marker == markerOpenCircle {
		b.WriteString(`<path d="` + d + `" fill="#fff" stroke="` + lk.color + `" stroke-width="1.5"/>`)
		return
	}
	b.WriteString(`<path d="` + d + `" fill="` + lk.color + `"/>`)
}

// markerPath appends to d the outline of marker m centred on x, y, of
// radius r.
func markerPath(d *strings.Builder, m marker, x, y, r float64) {
	c := coord
	switch m {
	case markerCircle, markerOpenCircle:
		d.WriteString("M" + c(x-r) + " " + c(y) + "a" + c(r) + " " + c(r) + " 0 1 0 " + c(2*r) + " 0a" + c(r) + " " + c(r) + " 0 1 0 " + c(-2*r) + " 0z")
	case markerSquare:
		s := r * 0.9
		d.WriteString("M" + c(x-s) + " " + c(y-s) + "h" + c(2*s) + "v" + c(2*s) + "h" + c(-2*s) + "z")
	case markerTriangle:
		d.WriteString("M" + c(x) + " " + c(y-r*1.2) + "L" + c(x+r*1.1) + " " + c(y+r*0.8) + "H" + c(x-r*1.1) + "z")
	case markerTriangleDown:
		d.WriteString("M" + c(x) + " " + c(y+r*1.2) + "L" + c(x+r*1.1) + " " + c(y-r*0.8) + "H" + c(x-r*1.1) + "z")
	case markerDiamond:
		s := r * 1.25
		d.WriteString("M" + c(x) + " " + c(y-s) + "L" + c(x+s) + " " + c(y) + "L" + c(x) + " " + c(y+s) + "L" + c(x-s) + " " + c(y) + "z")
	}
}

func (c Chart) writeLegend(b *strings.Builder, l *layout, id string) {
	if len(l.legend) == 0 {
		return
	}
	b.WriteString(`<g class="legend">`)
	for i, it := range l.legend {
		lk := looks[i]
		mid := it.y - 4 // middle of the text
		if c.Kind == Line {
			b.WriteString(`<line x1="` + coord(it.x) + `" y1="` + coord(mid) + `" x2="` + coord(it.x+22) + `" y2="` + coord(mid) +
				`" stroke="` + lk.color + `" stroke-width="2"`)
			if lk.dash != "" {
				b.WriteString(` stroke-dasharray="` + lk.dash + `"`)
			}
			b.WriteString(`/>`)
			var d strings.Builder
			markerPath(&d, lk.marker, it.x+11, mid, 3.5)
			writeMarkerPath(b, lk, d.String())
		} else {
			b.WriteString(`<rect x="` + coord(it.x) + `" y="` + coord(mid-6) + `" width="22" height="12" fill="` + fill(id, i) +
				`" stroke="` + lk.color + `" stroke-width="1"/>`)
		}
		b.WriteString(`<text x="` + coord(it.x+26) + `" y="` + coord(it.y) + `">` + esc(it.name) + `</text>`)
	}
	b.WriteString(`</g>`)
}
