// Package chart draws the charts of the staff web pages (messages per
// hour, cases per day, …) as inline SVG, on the server, with no outside
// service and no JavaScript.
//
// What it promises:
//
//   - Safe output: every piece of text (title, labels, series names, unit)
//     is XML-escaped, characters that XML does not allow are replaced by
//     U+FFFD, so no input can break out of the <svg> element or inject
//     markup. The result is a well-formed XML element that html/template
//     can embed as template.HTML.
//   - Strict Content-Security-Policy: no style attribute, no <style>
//     element, no script; only SVG presentation attributes and <pattern>
//     fills, which `style-src 'self'` allows.
//   - Readable in black and white: each series differs in pattern as well
//     as in colour (hatched bars with an outline; dashed lines with their
//     own point markers), and every colour has at least 3:1 contrast
//     against white (WCAG 1.4.11).
//   - Accessible (GB/T 37668, WCAG 2.1): role="img" with a <title> and a
//     one-sentence Chinese <desc> (totals and maxima per series), plus
//     Chart.Table with the same numbers for an HTML data table beside the
//     chart.
//   - Responsive: a viewBox with width="100%" and no fixed height, so the
//     chart scales to its container, from 360 px to 1366 px wide, keeping
//     its aspect ratio. Below about 480 px its text gets small: show the
//     data table too, or give the container overflow-x: auto and the svg
//     a min-width in the page's own stylesheet.
//   - Deterministic: the same Chart gives the same bytes, numbers are
//     written compactly (coordinates rounded to 0.1).
package chart

import (
	"errors"
	"fmt"
	"html/template"
	"math"
	"regexp"
)

// Kind is the kind of chart.
type Kind uint8

// The kinds of chart.
const (
	// Bar is a vertical bar chart; with several series, the bars of one
	// category stand side by side.
	Bar Kind = iota
	// Line is a line chart, one line per series.
	Line
	// StackedBar is a vertical bar chart whose series are stacked on top
	// of each other in each category.
	StackedBar
)

// String returns the Chinese name of the kind, as the description of the
// chart says it ("柱状图", "折线图", "堆叠柱状图").
func (k Kind) String() string {
	switch k {
	case Bar:
		return "柱状图"
	case Line:
		return "折线图"
	case StackedBar:
		return "堆叠柱状图"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Limits of a chart. SVG rejects a chart beyond them with an error.
const (
	// DefaultWidth and DefaultHeight are the size of the viewBox when
	// Chart.Width or Chart.Height is 0. The rendered size follows the page
	// (width="100%"); they set the aspect ratio and the size of the text
	// relative to the chart.
	DefaultWidth  = 640
	DefaultHeight = 320
	// MinWidth and MinHeight are the smallest viewBox a chart may ask for.
	MinWidth  = 240
	MinHeight = 160
	// MaxWidth and MaxHeight are the largest viewBox a chart may ask for.
	MaxWidth  = 4000
	MaxHeight = 4000
	// MaxSeries is the largest number of series: one for each colour and
	// pattern that stays apart in print.
	MaxSeries = 6
	// MaxLabels is the largest number of categories on the x axis.
	MaxLabels = 1000
	// MaxValue is the largest value (and, for StackedBar, the largest sum
	// of one category); values are never negative.
	MaxValue = 1e15
)

// Errors returned by Chart.SVG and Chart.Validate, wrapped with details;
// test them with errors.Is.
var (
	// ErrKind reports a Kind that is none of Bar, Line and StackedBar.
	ErrKind = errors.New("chart: unknown kind")
	// ErrSize reports a Width or Height that is negative or out of the
	// limits MinWidth…MaxWidth, MinHeight…MaxHeight.
	ErrSize = errors.New("chart: bad size")
	// ErrTooManySeries reports more than MaxSeries series.
	ErrTooManySeries = errors.New("chart: too many series")
	// ErrTooManyLabels reports more than MaxLabels categories.
	ErrTooManyLabels = errors.New("chart: too many labels")
	// ErrLength reports a series whose number of values differs from the
	// number of x labels.
	ErrLength = errors.New("chart: values do not match labels")
	// ErrValue reports a value that is NaN, infinite, negative or above
	// MaxValue.
	ErrValue = errors.New("chart: bad value")
	// ErrID reports a Chart.ID that is not a plain identifier.
	ErrID = errors.New("chart: bad id")
)

// Series is one series of values, one value per x label.
type Series struct {
	// Name is shown in the legend, the description and the table header.
	Name string
	// Values has one value per Chart.XLabels, in the same order; values
	// must be finite, non-negative and at most MaxValue.
	Values []float64
}

// Chart is a bar or line chart over a list of categories. The zero value
// is an empty bar chart, drawn as axes with a "暂无数据" (no data) note.
type Chart struct {
	// Title is the accessible name of the chart (<title>), also drawn at
	// its top.
	Title string
	// XName names the categories, as the header of the first column of
	// Table (e.g. "时段", "日期"); "类别" if empty.
	XName string
	// XLabels are the categories on the x axis, e.g. "09时", "10时", … or
	// dates. When they do not all fit, only every n-th is drawn.
	XLabels []string
	// Series are the series of values, at most MaxSeries. A chart with no
	// series or no labels has no data.
	Series []Series
	// YUnit is the unit of the values, e.g. "封", "条", "件"; drawn as
	// "单位：封" above the y axis and written after the numbers of the
	// description.
	YUnit string
	// Kind is Bar, Line or StackedBar.
	Kind Kind
	// Width and Height set the viewBox, DefaultWidth and DefaultHeight if
	// 0; see the constants for the limits.
	Width, Height int
	// ID is the prefix of the ids inside the SVG (title, description,
	// fill patterns), which must be unique in the page. If empty, it is
	// derived from a hash of the chart, which keeps different charts of
	// one page apart; set it when a page shows the same chart twice. It
	// must match [A-Za-z][A-Za-z0-9_-]{0,63}.
	ID string
}

var idPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,63}$`)

// Validate reports whether the chart can be drawn, with the same error
// SVG would return.
func (c Chart) Validate() error {
	if c.Kind > StackedBar {
		return fmt.Errorf("%w: %d", ErrKind, uint8(c.Kind))
	}
	if c.Width != 0 && (c.Width < MinWidth || c.Width > MaxWidth) {
		return fmt.Errorf("%w: width %d not in %d…%d", ErrSize, c.Width, MinWidth, MaxWidth)
	}
	if c.Height != 0 && (c.Height < MinHeight || c.Height > MaxHeight) {
		return fmt.Errorf("%w: height %d not in %d…%d", ErrSize, c.Height, MinHeight, MaxHeight)
	}
	if c.ID != "" && !idPattern.MatchString(c.ID) {
		return fmt.Errorf("%w: %q", ErrID, c.ID)
	}
	if len(c.Series) > MaxSeries {
		return fmt.Errorf("%w: %d, at most %d", ErrTooManySeries, len(c.Series), MaxSeries)
	}
	if len(c.XLabels) > MaxLabels {
		return fmt.Errorf("%w: %d, at most %d", ErrTooManyLabels, len(c.XLabels), MaxLabels)
	}
	for i, s := range c.Series {
		if len(s.Values) != len(c.XLabels) {
			return fmt.Errorf("%w: series %d (%q) has %d values for %d labels",
				ErrLength, i, s.Name, len(s.Values), len(c.XLabels))
		}
		for j, v := range s.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > MaxValue {
				return fmt.Errorf("%w: series %d (%q) value %d is %v", ErrValue, i, s.Name, j, v)
			}
		}
	}
	if c.Kind == StackedBar {
		for j := range c.XLabels {
			if sum := c.stackSum(j); sum > MaxValue {
				return fmt.Errorf("%w: stacked sum of label %d is %v, above %v", ErrValue, j, sum, float64(MaxValue))
			}
		}
	}
	return nil
}

// SVG returns the chart as an inline <svg> element, to embed in a page
// template, or an error if the chart is not valid (see Validate).
func (c Chart) SVG() (template.HTML, error) {
	if err := c.Validate(); err != nil {
		return "", err
	}
	// The output is built only from escaped text and numbers.
	return template.HTML(c.render()), nil
}

// hasData reports whether there is anything to plot.
func (c Chart) hasData() bool {
	return len(c.Series) > 0 && len(c.XLabels) > 0
}

// stackSum is the sum of the values of all series at label j.
func (c Chart) stackSum(j int) float64 {
	sum := 0.0
	for _, s := range c.Series {
		sum += s.Values[j]
	}
	return sum
}

// dataMax is the largest value the y axis must reach.
func (c Chart) dataMax() float64 {
	m := 0.0
	if !c.hasData() {
		return m
	}
	for j := range c.XLabels {
		if c.Kind == StackedBar {
			m = math.Max(m, c.stackSum(j))
			continue
		}
		for _, s := range c.Series {
			m = math.Max(m, s.Values[j])
		}
	}
	return m
}

// allIntegers reports whether every value is a whole number, so the y axis
// need not show fractions.
func (c Chart) allIntegers() bool {
	for _, s := range c.Series {
		for _, v := range s.Values {
			if v != math.Trunc(v) {
				return false
			}
		}
	}
	return true
}

func (c Chart) size() (w, h float64) {
	w, h = DefaultWidth, DefaultHeight
	if c.Width != 0 {
		w = float64(c.Width)
	}
	if c.Height != 0 {
		h = float64(c.Height)
	}
	return w, h
}
