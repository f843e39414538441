package pages

import (
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"strings"

	"nanhu/oa/docflow"
	"nanhu/oa/flow"
)

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// diagram draws the flow of a document as SVG, one row per step from the
// start, the steps done filled and the current ones marked. Edges going
// back (退回 routes, 复审) are drawn dashed at the side.
func diagram(v *docflow.View) template.HTML {
	def := v.Def
	state := map[string]docflow.NodeState{}
	for _, n := range v.Nodes {
		state[n.ID] = n
	}
	// Layers: breadth first from the start.
	depth := map[string]int{}
	start := def.StartNode()
	order := []string{start.ID}
	depth[start.ID] = 0
	for i := 0; i < len(order); i++ {
		id := order[i]
		for _, e := range def.Out(id) {
			if _, ok := depth[e.To]; !ok {
				depth[e.To] = depth[id] + 1
				order = append(order, e.To)
			}
		}
	}
	layers := map[int][]string{}
	maxDepth, maxWidth := 0, 1
	for _, id := range order {
		d := depth[id]
		layers[d] = append(layers[d], id)
		maxDepth = max(maxDepth, d)
		maxWidth = max(maxWidth, len(layers[d]))
	}
	const bw, bh, gapX, gapY, pad = 128, 34, 24, 22, 40
	width := maxWidth*(bw+gapX) - gapX + 2*pad
	height := (maxDepth+1)*(bh+gapY) - gapY + 20
	pos := map[string][2]int{}
	for d := 0; d <= maxDepth; d++ {
		row := layers[d]
		rowW := len(row)*(bw+gapX) - gapX
		x0 := (width - rowW) / 2
		for i, id := range row {
			pos[id] = [2]int{x0 + i*(bw+gapX), 10 + d*(bh+gapY)}
		}
	}
	var cur []string
	for _, n := range v.Nodes {
		if n.Current {
			cur = append(cur, n.Name)
		}
	}
	label := "流程图"
	if len(cur) > 0 {
		label += "：当前在" + strings.Join(cur, "、")
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="flow-diagram" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		width, height, width, height, html.EscapeString(label))
	fmt.Fprintf(&b, `<title>%s</title>`, html.EscapeString(label))
	b.WriteString(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#667085"/></marker></defs>`)
	for _, e := range def.Edges {
		a, okA := pos[e.From]
		c, okC := pos[e.To]
		if !okA || !okC {
			continue
		}
		if depth[e.To] > depth[e.From] {
			fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#98a2b3" stroke-width="1.5" marker-end="url(#arrow)"><title>%s</title></line>`,
				a[0]+bw/2, a[1]+bh, c[0]+bw/2, c[1]-2, html.EscapeString(e.Label))
			continue
		}
		// Back or sideways: round the right side.
		x := max(a[0], c[0]) + bw + 14
		fmt.Fprintf(&b, `<path d="M%d,%d C%d,%d %d,%d %d,%d" fill="none" stroke="#c4c9d2" stroke-dasharray="4 3" stroke-width="1.2" marker-end="url(#arrow)"><title>%s</title></path>`,
			a[0]+bw, a[1]+bh/2, x, a[1]+bh/2, x, c[1]+bh/2, c[0]+bw, c[1]+bh/2, html.EscapeString(e.Label))
	}
	for _, id := range order {
		n := def.Node(id)
		p := pos[id]
		st := state[id]
		fill, stroke, text, sw := "#ffffff", "#98a2b3", "#344054", "1"
		switch {
		case st.Current:
			fill, stroke, text, sw = "#fff4e5", "#c2410c", "#9a3412", "3"
		case st.Done:
			fill, stroke, text = "#ecfdf3", "#12b76a", "#05603a"
		}
		name := n.Name
		if name == "" {
			name = map[flow.NodeType]string{flow.Exclusive: "条件", flow.Split: "分支", flow.Join: "汇聚", flow.End: "结束"}[n.Type]
		}
		rx := 6
		if n.Type == flow.Start || n.Type == flow.End {
			rx = bh / 2
		}
		if n.Type == flow.Exclusive || n.Type == flow.Split || n.Type == flow.Join {
			fill = "#f2f4f7"
		}
		mark := ""
		if st.Current {
			mark = "▶ "
		} else if st.Done {
			mark = "✓ "
		}
		fmt.Fprintf(&b, `<g><rect x="%d" y="%d" width="%d" height="%d" rx="%d" fill="%s" stroke="%s" stroke-width="%s"/>`, p[0], p[1], bw, bh, rx, fill, stroke, sw)
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-size="14" fill="%s">%s</text></g>`,
			p[0]+bw/2, p[1]+bh/2+5, text, html.EscapeString(mark+name))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
