package officefile

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestPDFTextChromium: a 公文 printed to PDF by Chromium (Skia: CID
// fonts subset, ToUnicode maps, Flate): its text comes back in
// characters, radicals unified, a word wrapped across lines whole.
func TestPDFTextChromium(t *testing.T) {
	b, err := os.ReadFile("testdata/chromium-notice.pdf")
	if err != nil {
		t.Fatal(err)
	}
	got := ExtractText(PDF, b)
	for _, want := range []string{"秀洲区人民政府", "秀政发", "关于做好2027年元旦春节期间安全生产工作的通知", "各部门",
		"现将有关事项通知如下", "Office of Emergency Management", "0573-82000000", "2026年12月1日"} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in %q", want, got)
		}
	}
	if strings.ContainsAny(got, "⼈⺠⽣⻔") {
		t.Errorf("radicals left in %q", got)
	}
}

// pdfBuilder writes a small PDF the way producers do: numbered objects,
// a cross-reference table, a trailer.
type pdfBuilder struct {
	b    bytes.Buffer
	offs []int
}

func (p *pdfBuilder) obj(body string) int {
	if p.b.Len() == 0 {
		p.b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	}
	p.offs = append(p.offs, p.b.Len())
	n := len(p.offs)
	fmt.Fprintf(&p.b, "%d 0 obj\n%s\nendobj\n", n, body)
	return n
}

func flate(s string) string {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

func stream(dict, data string) string {
	return fmt.Sprintf("<<%s /Length %d>>\nstream\n%s\nendstream", dict, len(data), data)
}

func (p *pdfBuilder) finish(root int, extra string) []byte {
	x := p.b.Len()
	fmt.Fprintf(&p.b, "xref\n0 %d\n0000000000 65535 f \n", len(p.offs)+1)
	for _, o := range p.offs {
		fmt.Fprintf(&p.b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&p.b, "trailer\n<< /Size %d /Root %d 0 R %s>>\nstartxref\n%d\n%%%%EOF\n", len(p.offs)+1, root, extra, x)
	return p.b.Bytes()
}

// handmade is a two-page PDF: page 1 in a composite font with a
// ToUnicode map of bfchar and bfrange entries (its dictionary packed in
// an object stream), strings in hex and with octal escapes, TJ arrays,
// the content in two Flate streams; page 2 in Helvetica (WinAnsi), text
// inside a form XObject, and an inline image whose bytes are not text.
func handmade(extra string) []byte {
	var p pdfBuilder
	cmap := `/CIDInit /ProcSet findresource begin 12 dict begin begincmap
1 begincodespacerange <0000> <FFFF> endcodespacerange
3 beginbfchar <0001> <5357> <0002> <6E56> <0003> <FB01> endbfchar
2 beginbfrange <0010> <0012> <0031> <0020> <0021> [<516C> <5F00>] endbfrange
endcmap CMapName currentdict /CMap defineresource pop end end`
	// 南 湖 (0001, 0002), the ligature ﬁ (0003), 1 2 3 (0010-0012, counting
	// on from 0031), 公 开 (0020, 0021, from the list).
	tu := p.obj(stream(" /Filter /FlateDecode", flate(cmap)))
	// The font dictionary lives in an object stream, as PDF 1.5 writers put it.
	fontNum := 3
	fontDict := fmt.Sprintf("<< /Type /Font /Subtype /Type0 /BaseFont /ABCDEF+SimSun /Encoding /Identity-H /ToUnicode %d 0 R >>", tu)
	header := fmt.Sprintf("%d 0 ", fontNum)
	p.obj(stream(fmt.Sprintf(" /Type /ObjStm /N 1 /First %d /Filter /FlateDecode", len(header)), flate(header+fontDict)))
	p.offs = append(p.offs, 0) // object 3 is in the object stream
	c1 := p.obj(stream(" /Filter /FlateDecode", flate("BT /F1 12 Tf 72 700 Td <00010002> Tj 0 -14 Td [(\\000\\020) -300 <00110012>] TJ <0003> Tj ET\n")))
	c2 := p.obj(stream(" /Filter /FlateDecode", flate("BT /F1 12 Tf 72 680 Td <00200021> Tj ET")))
	helv := p.obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	form := p.obj(stream(" /Type /XObject /Subtype /Form /BBox [0 0 500 100]", "BT /F2 10 Tf 0 0 Td (Report \\(draft\\)) Tj ET"))
	c3 := p.obj(stream("", "BI /W 2 /H 2 /BPC 8 /CS /G ID \x00(Tj)\xff EI\nq /X1 Do Q\nBT /F2 10 Tf 72 600 Td [(Nan) -20 (hu)] TJ T* [(mail) -600 (server)] TJ ET"))
	pages := len(p.offs) + 3
	pg1 := p.obj(fmt.Sprintf("<< /Type /Page /Parent %d 0 R /Contents [%d 0 R %d 0 R] >>", pages, c1, c2))
	pg2 := p.obj(fmt.Sprintf("<< /Type /Page /Parent %d 0 R /Resources << /Font << /F2 %d 0 R >> /XObject << /X1 %d 0 R >> >> /Contents %d 0 R >>", pages, helv, form, c3))
	p.obj(fmt.Sprintf("<< /Type /Pages /Kids [%d 0 R %d 0 R] /Count 2 /Resources << /Font << /F1 %d 0 R >> >> >>", pg1, pg2, fontNum))
	root := p.obj(fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R >>", pages))
	return p.finish(root, extra)
}

func TestPDFTextHandmade(t *testing.T) {
	got := pdfText(handmade(""))
	want := "南湖\n123fi\n公开\nReport (draft)\nNanhu\nmail server"
	if got != want {
		t.Fatalf("pdfText =\n%q\nwant\n%q", got, want)
	}
	if got := pdfText(handmade("/Encrypt 99 0 R ")); got != "" {
		t.Fatalf("an encrypted PDF gave %q", got)
	}
	// Damaged: no cross-reference table, a truncated last object.
	b := handmade("")
	b = b[:bytes.Index(b, []byte("xref"))-20]
	if got := pdfText(b); !strings.Contains(got, "南湖") {
		t.Fatalf("a PDF cut short lost its first page: %q", got)
	}
}

// FuzzPDFText: whatever the bytes, the reader ends, within its bounds,
// with valid UTF-8.
func FuzzPDFText(f *testing.F) {
	f.Add(handmade(""))
	if b, err := os.ReadFile("testdata/chromium-notice.pdf"); err == nil {
		f.Add(b[:min(len(b), 64<<10)])
	}
	f.Add([]byte("%PDF-1.4\n1 0 obj << /Length 99999 >> stream\nBT (x) Tj ET"))
	f.Add([]byte("%PDF-1.4\n1 0 obj [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ endobj"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := pdfText(b)
		if !utf8Valid(s) {
			t.Fatalf("invalid UTF-8: %q", s)
		}
		if len(s) > 4*maxText {
			t.Fatalf("%d bytes of text", len(s))
		}
	})
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }
