package officefile

import (
	"bytes"
	"compress/zlib"
	"encoding/hex"
	"io"
	"nanhu/internal/searchtext"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The text of a PDF, for search: the strings its pages show, decoded
// through each font's ToUnicode map (how a PDF made from Word, WPS or a
// browser says which character each glyph is; Chinese text has no other
// way back to characters), or as Latin-1 for simple fonts without one.
//
// The reader is made to survive what arrives by upload, not to render:
// objects are found by scanning for "n g obj" (a damaged cross-reference
// table does not matter), object streams (PDF 1.5) are opened, streams
// are inflated when FlateDecode (or ASCIIHexDecode), and every size is
// bounded: at most pdfMaxObjects objects, pdfMaxInflate bytes inflated in
// all, nesting pdfMaxDepth deep. An encrypted PDF gives no text.

const (
	pdfMaxObjects = 200000
	pdfMaxInflate = 64 << 20
	pdfMaxDepth   = 32
)

// pdfObj is a parsed PDF value: nil, bool, float64 (numbers), pdfName,
// string (strings, as their bytes), []any (arrays), pdfDict, pdfRef.
type (
	pdfName string
	pdfRef  struct{ num, gen int }
	pdfDict map[pdfName]any
)

// pdfStream is a stream object: its dictionary and its raw bytes.
type pdfStream struct {
	dict pdfDict
	raw  []byte
}

type pdfDoc struct {
	objs     map[int]any // object number → value (pdfStream for streams)
	inflated int
	cmaps    map[int]*cmap
}

var (
	objRe     = regexp.MustCompile(`(\d+)\s+(\d+)\s+obj\b`)
	trailerRe = regexp.MustCompile(`trailer\s*<<`)
)

func pdfText(data []byte) string {
	d := &pdfDoc{objs: map[int]any{}, cmaps: map[int]*cmap{}}
	locs := objRe.FindAllSubmatchIndex(data, pdfMaxObjects)
	for i, m := range locs {
		num, _ := strconv.Atoi(string(data[m[2]:m[3]]))
		end := len(data)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		p := &pdfParser{b: data[m[1]:end]}
		v := p.value(0)
		if dict, ok := v.(pdfDict); ok {
			if raw, ok := p.streamData(dict); ok {
				v = pdfStream{dict: dict, raw: raw}
			}
		}
		d.objs[num] = v // a later object of the same number (an update) wins
	}
	if d.encrypted(data) {
		return ""
	}
	d.openObjectStreams()
	var b strings.Builder
	for _, page := range d.pages() {
		if b.Len() >= maxText {
			break
		}
		d.pageText(page, &b)
		b.WriteByte('\n')
	}
	return strings.TrimSpace(unifyRadicals(strings.ToValidUTF8(b.String(), "")))
}

// radicals are the CJK radical characters (U+2E80–U+2EF3) that CJK fonts'
// ToUnicode maps give for common characters whose glyph is shared with
// the radical, mapped to the character; Unicode has no normalisation for
// these (NFKC does map the Kangxi radicals, U+2F00 on).
var radicals = strings.NewReplacer(
	"⺟", "母", "⺠", "民", "⺮", "竹", "⺰", "纟", "⻁", "虎", "⻄", "西", "⻅", "见", "⻆", "角", "⻈", "讠",
	"⻉", "贝", "⻊", "足", "⻋", "车", "⻐", "钅", "⻓", "长", "⻔", "门", "⻗", "雨", "⻘", "青", "⻙", "韦",
	"⻚", "页", "⻛", "风", "⻜", "飞", "⻝", "食", "⻠", "饣", "⻡", "首", "⻢", "马", "⻣", "骨", "⻤", "鬼",
	"⻥", "鱼", "⻦", "鸟", "⻧", "卤", "⻨", "麦", "⻩", "黄", "⻪", "黾", "⻬", "齐", "⻮", "齿", "⻰", "龙",
	"⻳", "龟",
)

// unifyRadicals gives text as its characters, not the radicals and
// compatibility forms (ligatures such as ﬃ, Kangxi radicals) a font's
// map may name: what a reader sees, and what search looks for.
func unifyRadicals(text string) string {
	return radicals.Replace(norm.NFKC.String(text))
}

// encrypted: the trailer (or the cross-reference stream) names /Encrypt.
func (d *pdfDoc) encrypted(data []byte) bool {
	for _, v := range d.objs {
		if s, ok := v.(pdfStream); ok && s.dict["Type"] == pdfName("XRef") && s.dict["Encrypt"] != nil {
			return true
		}
	}
	for _, i := range trailerRe.FindAllIndex(data, 16) {
		p := &pdfParser{b: data[i[1]-2:]}
		if t, ok := p.value(0).(pdfDict); ok && t["Encrypt"] != nil {
			return true
		}
	}
	return false
}

// openObjectStreams adds the objects packed in object streams.
func (d *pdfDoc) openObjectStreams() {
	nums := make([]int, 0, len(d.objs))
	for n, v := range d.objs {
		if s, ok := v.(pdfStream); ok && s.dict["Type"] == pdfName("ObjStm") {
			nums = append(nums, n)
		}
	}
	sort.Ints(nums)
	for _, n := range nums {
		s := d.objs[n].(pdfStream)
		data := d.decode(s)
		count, _ := s.dict["N"].(float64)
		first, _ := s.dict["First"].(float64)
		if data == nil || first <= 0 || int(first) > len(data) || count <= 0 || count > pdfMaxObjects {
			continue
		}
		hp := &pdfParser{b: data[:int(first)]}
		for range int(count) {
			on, ok1 := hp.value(0).(float64)
			off, ok2 := hp.value(0).(float64)
			if !ok1 || !ok2 || int(first)+int(off) > len(data) || off < 0 {
				break
			}
			if _, direct := d.objs[int(on)]; direct || len(d.objs) >= pdfMaxObjects {
				continue
			}
			d.objs[int(on)] = (&pdfParser{b: data[int(first)+int(off):]}).value(0)
		}
	}
}

// get resolves a reference (and a chain of them).
func (d *pdfDoc) get(v any) any {
	for range 8 {
		r, ok := v.(pdfRef)
		if !ok {
			return v
		}
		v = d.objs[r.num]
	}
	return nil
}

func (d *pdfDoc) dict(v any) pdfDict {
	switch x := d.get(v).(type) {
	case pdfDict:
		return x
	case pdfStream:
		return x.dict
	}
	return nil
}

// pages are the page dictionaries in order: from the catalog's page
// tree, or every /Type /Page object by number when there is none.
func (d *pdfDoc) pages() []pdfDict {
	var out []pdfDict
	seen := map[int]bool{}
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		if r, ok := v.(pdfRef); ok {
			if seen[r.num] {
				return
			}
			seen[r.num] = true
		}
		n := d.dict(v)
		if n == nil || depth > pdfMaxDepth {
			return
		}
		switch n["Type"] {
		case pdfName("Pages"):
			kids, _ := d.get(n["Kids"]).([]any)
			for _, k := range kids {
				walk(k, depth+1)
			}
		case pdfName("Page"):
			out = append(out, n)
		}
	}
	for _, root := range d.roots() {
		walk(d.dict(root)["Pages"], 0)
		if len(out) > 0 {
			return out
		}
	}
	nums := make([]int, 0)
	for n := range d.objs {
		if d.dict(pdfRef{num: n})["Type"] == pdfName("Page") {
			nums = append(nums, n)
		}
	}
	sort.Ints(nums)
	for _, n := range nums {
		out = append(out, d.dict(pdfRef{num: n}))
	}
	return out
}

// roots are the catalogs: /Type /Catalog objects.
func (d *pdfDoc) roots() []any {
	var out []any
	for n := range d.objs {
		if d.dict(pdfRef{num: n})["Type"] == pdfName("Catalog") {
			out = append(out, pdfRef{num: n})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].(pdfRef).num > out[j].(pdfRef).num })
	return out
}

// inherited is a page attribute, from the page or its ancestors.
func (d *pdfDoc) inherited(page pdfDict, key pdfName) any {
	for n, i := page, 0; n != nil && i < pdfMaxDepth; n, i = d.dict(n["Parent"]), i+1 {
		if v, ok := n[key]; ok {
			return v
		}
	}
	return nil
}

func (d *pdfDoc) pageText(page pdfDict, b *strings.Builder) {
	res := d.dict(d.inherited(page, "Resources"))
	var content []byte
	switch c := d.get(page["Contents"]).(type) {
	case pdfStream:
		content = d.decode(c)
	case []any:
		for _, part := range c {
			if s, ok := d.get(part).(pdfStream); ok {
				content = append(content, d.decode(s)...)
				content = append(content, '\n')
			}
		}
	}
	d.showText(content, res, b, 0)
}

// font is what decoding a font's strings needs.
type font struct {
	cm      *cmap
	twoByte bool // a composite (Type0) font without a map: 2-byte codes, unknown characters
}

func (d *pdfDoc) font(v any) font {
	fd := d.dict(v)
	var f font
	if fd == nil {
		return f
	}
	f.twoByte = fd["Subtype"] == pdfName("Type0")
	if r, ok := fd["ToUnicode"].(pdfRef); ok {
		if cm, ok := d.cmaps[r.num]; ok {
			f.cm = cm
		} else if s, ok := d.get(r).(pdfStream); ok {
			f.cm = parseCMap(d.decode(s))
			d.cmaps[r.num] = f.cm
		}
	}
	return f
}

// showText runs a content stream's text operators into b, with the fonts
// of res. Form XObjects (Do) are followed, four deep at most.
func (d *pdfDoc) showText(content []byte, res pdfDict, b *strings.Builder, depth int) {
	fonts := d.dict(res["Font"])
	p := &pdfParser{b: content, content: true}
	var stack []any
	var cur font
	used := map[pdfName]font{}
	// A line's end is written as one when the next text comes, unless
	// it falls between two Chinese characters: a paragraph wrapped in the
	// middle of a word is still the word.
	brk, lastCJK := false, false
	put := func(t string) {
		if t == "" {
			return
		}
		first, _ := utf8.DecodeRuneInString(t)
		if brk && !(lastCJK && isHan(first)) {
			b.WriteByte('\n')
		}
		brk = false
		b.WriteString(t)
		last, _ := utf8.DecodeLastRuneInString(t)
		lastCJK = isHan(last)
	}
	emit := func(s string) {
		if cur.cm != nil {
			put(cur.cm.decode(s))
			return
		}
		if cur.twoByte {
			return
		}
		r := make([]rune, 0, len(s))
		for i := 0; i < len(s); i++ {
			if c := s[i]; c >= 0x20 {
				r = append(r, rune(c)) // Latin-1, which WinAnsi is for letters and digits
			}
		}
		put(string(r))
	}
	for b.Len() < maxText {
		v, op, ok := p.token(0)
		if !ok {
			return
		}
		if op == "" {
			if len(stack) < 64 {
				stack = append(stack, v)
			}
			continue
		}
		arg := func(i int) any { // i-th operand from the end
			if len(stack) > i {
				return stack[len(stack)-1-i]
			}
			return nil
		}
		switch op {
		case "Tf":
			if name, ok := arg(1).(pdfName); ok {
				f, seen := used[name]
				if !seen {
					f = d.font(fonts[name])
					used[name] = f
				}
				cur = f
			}
		case "Tj":
			if s, ok := arg(0).(string); ok {
				emit(s)
			}
		case "'", "\"":
			brk = true
			if s, ok := arg(0).(string); ok {
				emit(s)
			}
		case "TJ":
			arr, _ := arg(0).([]any)
			for _, x := range arr {
				switch x := x.(type) {
				case string:
					emit(x)
				case float64:
					if x < -250 && cur.cm == nil && !cur.twoByte { // a gap wide enough to be a space between words
						put(" ")
					}
				}
			}
		case "T*", "ET":
			brk = true
		case "Td", "TD":
			if y, ok := arg(0).(float64); ok && y != 0 {
				brk = true
			}
		case "Tm":
			brk = true
		case "Do":
			name, _ := arg(0).(pdfName)
			if x, ok := d.get(d.dict(res["XObject"])[name]).(pdfStream); ok && depth < 4 && x.dict["Subtype"] == pdfName("Form") {
				xres := d.dict(x.dict["Resources"])
				if xres == nil {
					xres = res
				}
				d.showText(d.decode(x), xres, b, depth+1)
			}
		}
		stack = stack[:0]
	}
}

// decode is a stream's data through its filters, nil when a filter is
// not one this reader knows or the bound on inflated bytes is reached.
func (d *pdfDoc) decode(s pdfStream) []byte {
	var filters []any
	switch f := d.get(s.dict["Filter"]).(type) {
	case pdfName:
		filters = []any{f}
	case []any:
		filters = f
	}
	data := s.raw
	for _, f := range filters {
		switch d.get(f) {
		case pdfName("FlateDecode"), pdfName("Fl"):
			zr, err := zlib.NewReader(bytes.NewReader(data))
			if err != nil {
				return nil
			}
			out, err := io.ReadAll(io.LimitReader(zr, int64(pdfMaxInflate-d.inflated)+1))
			if len(out) == 0 && err != nil {
				return nil
			}
			d.inflated += len(out)
			if d.inflated > pdfMaxInflate {
				return nil
			}
			data = out
		case pdfName("ASCIIHexDecode"), pdfName("AHx"):
			data = hexBytes(bytes.TrimSuffix(bytes.TrimSpace(data), []byte(">")))
		default:
			return nil
		}
	}
	return data
}

// pdfParser reads PDF values (and, in content streams, operators).
type pdfParser struct {
	b       []byte
	i       int
	content bool
}

func isPDFSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isPDFDelim(c byte) bool { return strings.IndexByte("()<>[]{}/%", c) >= 0 }

func (p *pdfParser) skip() {
	p.i = min(p.i, len(p.b))
	for p.i < len(p.b) {
		c := p.b[p.i]
		if isPDFSpace(c) {
			p.i++
		} else if c == '%' {
			for p.i < len(p.b) && p.b[p.i] != '\n' && p.b[p.i] != '\r' {
				p.i++
			}
		} else {
			return
		}
	}
}

// value is the next value; nil at the end or on what is not a value.
func (p *pdfParser) value(depth int) any {
	v, op, ok := p.token(depth)
	if !ok || op != "" {
		return nil
	}
	return v
}

// token is the next value, or the next operator (a bare word: op), ok
// false at the end.
func (p *pdfParser) token(depth int) (v any, op string, ok bool) {
	p.skip()
	if p.i >= len(p.b) || depth > pdfMaxDepth {
		return nil, "", false
	}
	c := p.b[p.i]
	switch {
	case c == '/':
		p.i++
		s := p.i
		for p.i < len(p.b) && !isPDFSpace(p.b[p.i]) && !isPDFDelim(p.b[p.i]) {
			p.i++
		}
		return pdfName(nameUnescape(p.b[s:p.i])), "", true
	case c == '(':
		return p.literal(), "", true
	case c == '<' && p.i+1 < len(p.b) && p.b[p.i+1] == '<':
		p.i += 2
		dict := pdfDict{}
		for {
			p.skip()
			if p.i+1 < len(p.b) && p.b[p.i] == '>' && p.b[p.i+1] == '>' {
				p.i += 2
				return dict, "", true
			}
			k, _, ok := p.token(depth + 1)
			name, isName := k.(pdfName)
			if !ok || !isName {
				return dict, "", true
			}
			dict[name] = p.value(depth + 1)
		}
	case c == '<':
		p.i++
		s := p.i
		for p.i < len(p.b) && p.b[p.i] != '>' {
			p.i++
		}
		h := hexBytes(p.b[s:p.i])
		if p.i < len(p.b) {
			p.i++ // >
		}
		return string(h), "", true
	case c == '[':
		p.i++
		var arr []any
		for {
			p.skip()
			if p.i >= len(p.b) {
				return arr, "", true
			}
			if p.b[p.i] == ']' {
				p.i++
				return arr, "", true
			}
			x, op, ok := p.token(depth + 1)
			if !ok {
				return arr, "", true
			}
			if op == "" && len(arr) < 100000 {
				arr = append(arr, x)
			}
		}
	case c == ']' || c == '>' || c == ')' || c == '{' || c == '}':
		p.i++
		return nil, string(c), true
	}
	s := p.i
	for p.i < len(p.b) && !isPDFSpace(p.b[p.i]) && !isPDFDelim(p.b[p.i]) {
		p.i++
	}
	word := string(p.b[s:p.i])
	if word == "" { // a lone delimiter byte
		p.i++
		return nil, "?", true
	}
	if f, err := strconv.ParseFloat(word, 64); err == nil && (word[0] == '-' || word[0] == '+' || word[0] == '.' || (word[0] >= '0' && word[0] <= '9')) {
		// "n g R" is a reference.
		if !p.content {
			save := p.i
			p.skip()
			g := p.i
			for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
				p.i++
			}
			if p.i > g {
				gen, _ := strconv.Atoi(string(p.b[g:p.i]))
				p.skip()
				if p.i < len(p.b) && p.b[p.i] == 'R' && (p.i+1 == len(p.b) || isPDFSpace(p.b[p.i+1]) || isPDFDelim(p.b[p.i+1])) {
					p.i++
					return pdfRef{num: int(f), gen: gen}, "", true
				}
			}
			p.i = save
		}
		return f, "", true
	}
	switch word {
	case "true":
		return true, "", true
	case "false":
		return false, "", true
	case "null":
		return nil, "", true
	case "BI":
		// An inline image: its bytes run to "EI" and are no text.
		if k := bytes.Index(p.b[p.i:], []byte("EI")); k >= 0 {
			p.i += k + 2
		} else {
			p.i = len(p.b)
		}
		return nil, "BI", true
	}
	return nil, word, true
}

func nameUnescape(b []byte) string {
	if bytes.IndexByte(b, '#') < 0 {
		return string(b)
	}
	var out []byte
	for i := 0; i < len(b); i++ {
		if b[i] == '#' && i+2 < len(b) {
			if v, err := strconv.ParseUint(string(b[i+1:i+3]), 16, 8); err == nil {
				out = append(out, byte(v))
				i += 2
				continue
			}
		}
		out = append(out, b[i])
	}
	return string(out)
}

// literal reads a (string) with its escapes and nested parentheses.
func (p *pdfParser) literal() string {
	p.i++ // (
	var out []byte
	level := 1
	for p.i < len(p.b) {
		c := p.b[p.i]
		p.i++
		switch c {
		case '(':
			level++
		case ')':
			level--
			if level == 0 {
				return string(out)
			}
		case '\\':
			if p.i >= len(p.b) {
				return string(out)
			}
			e := p.b[p.i]
			p.i++
			switch e {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r', '\n':
				if e == '\r' && p.i < len(p.b) && p.b[p.i] == '\n' {
					p.i++
				}
				continue
			default:
				if e >= '0' && e <= '7' {
					v := int(e - '0')
					for k := 0; k < 2 && p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '7'; k++ {
						v = v*8 + int(p.b[p.i]-'0')
						p.i++
					}
					c = byte(v)
				} else {
					c = e
				}
			}
		}
		out = append(out, c)
	}
	return string(out)
}

// streamData is the raw data of the stream that follows dict, if one
// does: /Length when it is a number that lands on "endstream", else up
// to the next "endstream".
func (p *pdfParser) streamData(dict pdfDict) ([]byte, bool) {
	p.skip()
	if !bytes.HasPrefix(p.b[p.i:], []byte("stream")) {
		return nil, false
	}
	s := p.i + len("stream")
	if s < len(p.b) && p.b[s] == '\r' {
		s++
	}
	if s < len(p.b) && p.b[s] == '\n' {
		s++
	}
	if n, ok := dict["Length"].(float64); ok && n >= 0 && s+int(n) <= len(p.b) {
		rest := bytes.TrimLeft(p.b[s+int(n):], "\r\n \t")
		if bytes.HasPrefix(rest, []byte("endstream")) {
			return p.b[s : s+int(n)], true
		}
	}
	e := bytes.Index(p.b[s:], []byte("endstream"))
	if e < 0 {
		return p.b[s:], true
	}
	return bytes.TrimRight(p.b[s:s+e], "\r\n"), true
}

// cmap is a ToUnicode map: codes (1 to 4 bytes, by the codespace
// ranges) to the text they stand for.
type cmap struct {
	spaces []codespace
	chars  map[string]string
	ranges []bfrange
}

type codespace struct{ lo, hi []byte }

type bfrange struct {
	lo, hi []byte
	dst    []byte   // the first code's text (UTF-16BE), the next codes counting on from it
	list   []string // or one text per code
}

func parseCMap(data []byte) *cmap {
	cm := &cmap{chars: map[string]string{}}
	p := &pdfParser{b: data, content: true}
	var stack []any
	mode := ""
	for {
		v, op, ok := p.token(0)
		if !ok {
			break
		}
		if op == "" {
			if mode == "" {
				stack = append(stack[:0], v)
				continue
			}
			stack = append(stack, v)
			switch mode {
			case "codespace":
				if len(stack) == 2 {
					lo, _ := stack[0].(string)
					hi, _ := stack[1].(string)
					if len(lo) == len(hi) && len(lo) > 0 && len(lo) <= 4 && len(cm.spaces) < 100 {
						cm.spaces = append(cm.spaces, codespace{[]byte(lo), []byte(hi)})
					}
					stack = stack[:0]
				}
			case "bfchar":
				if len(stack) == 2 {
					src, _ := stack[0].(string)
					dst, _ := stack[1].(string)
					if len(cm.chars) < 1<<20 {
						cm.chars[src] = utf16BE(dst)
					}
					stack = stack[:0]
				}
			case "bfrange":
				if len(stack) == 3 {
					lo, _ := stack[0].(string)
					hi, _ := stack[1].(string)
					if len(lo) == len(hi) && len(lo) > 0 && len(lo) <= 4 && len(cm.ranges) < 1<<16 {
						r := bfrange{lo: []byte(lo), hi: []byte(hi)}
						switch dst := stack[2].(type) {
						case string:
							r.dst = []byte(dst)
						case []any:
							for _, x := range dst {
								s, _ := x.(string)
								r.list = append(r.list, utf16BE(s))
							}
						}
						cm.ranges = append(cm.ranges, r)
					}
					stack = stack[:0]
				}
			}
			continue
		}
		switch op {
		case "begincodespacerange":
			mode = "codespace"
		case "beginbfchar":
			mode = "bfchar"
		case "beginbfrange":
			mode = "bfrange"
		case "endcodespacerange", "endbfchar", "endbfrange":
			mode = ""
		}
		stack = stack[:0]
	}
	if len(cm.spaces) == 0 {
		cm.spaces = []codespace{{[]byte{0, 0}, []byte{0xff, 0xff}}}
	}
	return cm
}

// isHan reports whether r is written without spaces (searchtext's CJK),
// or a CJK radical, which unifyRadicals maps to a character later.
func isHan(r rune) bool { return searchtext.IsCJK(r) || (r >= 0x2E80 && r <= 0x2FDF) }

// hexBytes are the bytes of PDF hex digits, anything else between them
// ignored and an odd last digit followed by 0, as PDF reads them.
func hexBytes(b []byte) []byte {
	h := bytes.Map(func(r rune) rune {
		if strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return r
		}
		return -1
	}, b)
	if len(h)%2 == 1 {
		h = append(h, '0')
	}
	out := make([]byte, len(h)/2)
	hex.Decode(out, h) // only hex digits are left
	return out
}

// codeLen is the length of the code that starts s, by the codespace
// ranges (the shortest that holds it; 1 when none does).
func (cm *cmap) codeLen(s string) int {
	best := 0
	for _, cs := range cm.spaces {
		n := len(cs.lo)
		if n > len(s) || (best != 0 && n >= best) {
			continue
		}
		in := true
		for k := 0; k < n; k++ {
			if s[k] < cs.lo[k] || s[k] > cs.hi[k] {
				in = false
				break
			}
		}
		if in {
			best = n
		}
	}
	if best == 0 {
		return 1
	}
	return best
}

func (cm *cmap) decode(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		n := cm.codeLen(s)
		code := s[:n]
		s = s[n:]
		if t, ok := cm.chars[code]; ok {
			b.WriteString(t)
			continue
		}
		for _, r := range cm.ranges {
			if len(r.lo) != len(code) || code < string(r.lo) || code > string(r.hi) {
				continue
			}
			off := codeValue(code) - codeValue(string(r.lo))
			if r.list != nil {
				if off < len(r.list) {
					b.WriteString(r.list[off])
				}
				break
			}
			dst := append([]byte(nil), r.dst...)
			if len(dst) >= 2 { // the last UTF-16 unit counts on
				v := int(dst[len(dst)-2])<<8 | int(dst[len(dst)-1]) + off
				dst[len(dst)-2], dst[len(dst)-1] = byte(v>>8), byte(v)
			}
			b.WriteString(utf16BE(string(dst)))
			break
		}
	}
	return b.String()
}

func codeValue(s string) int {
	v := 0
	for i := 0; i < len(s); i++ {
		v = v<<8 | int(s[i])
	}
	return v
}

// utf16BE is text in UTF-16BE (as ToUnicode maps give it) as a string.
func utf16BE(s string) string {
	if len(s)%2 == 1 {
		s += "\x00"
	}
	u := make([]uint16, len(s)/2)
	for i := range u {
		u[i] = uint16(s[2*i])<<8 | uint16(s[2*i+1])
	}
	return string(utf16.Decode(u))
}
