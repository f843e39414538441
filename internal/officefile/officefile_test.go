package officefile

import (
	"archive/zip"
	"bytes"
	"errors"
	"strings"
	"testing"
)

func docx(t testing.TB, paras ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.Create("word/document.xml")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(`<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>`))
	for _, p := range paras {
		w.Write([]byte(`<w:p><w:r><w:t>` + p + `</w:t></w:r></w:p>`))
	}
	w.Write([]byte(`<w:p><w:del><w:r><w:delText>删掉的字</w:delText></w:r></w:del></w:p></w:body></w:document>`))
	zw.Close()
	return b.Bytes()
}

func TestCheck(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n0000")
	d := docx(t, "第一段")
	for _, c := range []struct {
		name    string
		data    []byte
		allowed []Kind
		max     int64
		ext     string // accepted as
		refusal string // part of the sentence
	}{
		{"图.png", png, Images, 1 << 20, ".png", ""},
		{`C:\Users\张三\图.PNG`, png, Images, 1 << 20, ".png", ""},
		{"文件.docx", d, []Kind{Docx, PDF}, 1 << 20, ".docx", ""},
		{"假的.png", []byte("<script>alert(1)</script>"), Images, 1 << 20, "", "不是 .png 文件"},
		{"坏的.docx", []byte("PK\x03\x04broken"), []Kind{Docx}, 1 << 20, "", "已损坏"},
		{"大.png", append(png, make([]byte, 2048)...), Images, 1024, "", "超过了 1 KB 的上限"},
		{"空.pdf", nil, []Kind{PDF}, 1 << 20, "", "是空的"},
		{"脚本.exe", []byte("MZ"), []Kind{PDF, Docx}, 1 << 20, "", "不接受 .exe 文件；可以上传：.pdf、.docx"},
		{"a\x00b.pdf", []byte("%PDF-1.4"), []Kind{PDF}, 1 << 20, "", "文件名无效"},
		{"", []byte("%PDF-1.4"), []Kind{PDF}, 1 << 20, "", "文件名无效"},
	} {
		k, err := Check(c.name, c.data, c.allowed, c.max)
		if c.refusal == "" {
			if err != nil || k.Ext != c.ext {
				t.Errorf("Check(%q) = %v, %v; want %s accepted", c.name, k.Ext, err, c.ext)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(e.Msg, c.refusal) {
			t.Errorf("Check(%q) = %v; want a refusal saying %q", c.name, err, c.refusal)
		}
	}
}

func TestExtractText(t *testing.T) {
	got := ExtractText(Docx, docx(t, "关于加强政务公开的通知", "各镇人民政府"))
	if got != "关于加强政务公开的通知\n各镇人民政府" {
		t.Errorf("docx text = %q", got)
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create("xl/sharedStrings.xml")
	w.Write([]byte(`<sst><si><t>申请表</t></si><si><r><t>办理</t></r><r><t>材料</t></r></si></sst>`))
	zw.Close()
	if got := ExtractText(Xlsx, b.Bytes()); got != "申请表\n办理材料" {
		t.Errorf("xlsx text = %q", got)
	}
	if got := ExtractText(PDF, []byte("%PDF-1.4")); got != "" {
		t.Errorf("pdf text = %q, want none", got)
	}
}

// FuzzCheck: no upload, however made, panics the checker or the text
// reader, and an accepted file always carries its kind's signature.
func FuzzCheck(f *testing.F) {
	f.Add("a.docx", docx(f, "正文"))
	f.Add("a.png", []byte("\x89PNG\r\n\x1a\n"))
	f.Add("a.xlsx", []byte("PK\x03\x04"))
	f.Add("a.txt", []byte("文本\x00"))
	all := []Kind{Docx, WPS, PDF, Doc, Xlsx, Xls, ET, OFD, PNG, JPG, JPEG, GIF, WebP, Text}
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		k, err := Check(name, data, all, 1<<20)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Msg == "" {
				t.Fatalf("refusal without a sentence: %v", err)
			}
			return
		}
		if !k.magic(data) {
			t.Fatalf("accepted %q as %s without its signature", name, k.Ext)
		}
		ExtractText(k, data)
	})
}
