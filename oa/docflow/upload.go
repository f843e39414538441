package docflow

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// fileKind is a type of file Nanhu takes, known by its name and its first
// bytes.
type fileKind struct {
	ext   string
	ctype string
	magic func([]byte) bool
}

var (
	isZip  = func(b []byte) bool { return bytes.HasPrefix(b, []byte("PK\x03\x04")) }
	isOLE  = func(b []byte) bool { return bytes.HasPrefix(b, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}) }
	isPDF  = func(b []byte) bool { return bytes.HasPrefix(b, []byte("%PDF-")) }
	isPNG  = func(b []byte) bool { return bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) }
	isJPEG = func(b []byte) bool { return bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}) }
	isText = func(b []byte) bool { return utf8.Valid(b) && !bytes.ContainsRune(b, 0) }
)

var (
	kindDocx = fileKind{".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", isZip}
	kindWPS  = fileKind{".wps", "application/vnd.ms-works", isOLE}
	kindPDF  = fileKind{".pdf", "application/pdf", isPDF}
)

// bodyTypes are the files a 正文 may be.
var bodyTypes = []fileKind{kindDocx, kindWPS, kindPDF}

// attachTypes are the files an attachment may be.
var attachTypes = []fileKind{kindDocx, kindWPS, kindPDF,
	{".doc", "application/msword", isOLE},
	{".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", isZip},
	{".xls", "application/vnd.ms-excel", isOLE},
	{".et", "application/vnd.ms-excel", isOLE},
	{".ofd", "application/ofd", isZip},
	{".png", "image/png", isPNG},
	{".jpg", "image/jpeg", isJPEG},
	{".jpeg", "image/jpeg", isJPEG},
	{".txt", "text/plain; charset=utf-8", isText},
}

// CheckUpload checks an uploaded file's name, size and first bytes
// against the kinds allowed, and says in one sentence what is wrong.
func CheckUpload(name string, data []byte, allowed []fileKind, max int64) (fileKind, error) {
	base := filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	if base == "" || base == "." || base == "/" || strings.ContainsAny(base, "\x00\r\n") || utf8.RuneCountInString(base) > 200 {
		return fileKind{}, errf("invalid", "文件名无效。")
	}
	ext := strings.ToLower(filepath.Ext(base))
	var exts []string
	for _, k := range allowed {
		exts = append(exts, k.ext)
		if k.ext != ext {
			continue
		}
		switch {
		case len(data) == 0:
			return k, errf("invalid", "文件「%s」是空的。", base)
		case int64(len(data)) > max:
			return k, errf("invalid", "文件「%s」有 %.1f MB，超过了 %d MB 的上限。", base, float64(len(data))/(1<<20), max>>20)
		case !k.magic(data):
			return k, errf("invalid", "文件「%s」的内容不是 %s 文件（可能改过扩展名）。", base, ext)
		}
		if k.ext == ".docx" {
			if _, err := zip.NewReader(bytes.NewReader(data), int64(len(data))); err != nil {
				return k, errf("invalid", "文件「%s」已损坏，无法作为 .docx 打开。", base)
			}
		}
		return k, nil
	}
	return fileKind{}, errf("invalid", "不接受 %s 文件；可以上传：%s。", ext, strings.Join(exts, "、"))
}

// maxText is the most text taken from a document for search.
const maxText = 1 << 20

// ExtractText is the text of a 正文 where it has text: the paragraphs of a
// .docx (word/document.xml). A .wps or .pdf gives none here.
func ExtractText(k fileKind, data []byte) string {
	if k.ext != ".docx" {
		return ""
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return ""
	}
	for _, f := range zr.File {
		if f.Name != "word/document.xml" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return ""
		}
		defer rc.Close()
		return docxText(io.LimitReader(rc, 32<<20))
	}
	return ""
}

// docxText reads the w:t runs of WordprocessingML, a paragraph a line.
// Deleted text (w:del, w:delText) is left out: it is not in the document.
func docxText(r io.Reader) string {
	dec := xml.NewDecoder(r)
	var b strings.Builder
	inText := false
	for b.Len() < maxText {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "t":
				inText = true
			case "tab":
				b.WriteByte('\t')
			case "br":
				b.WriteByte('\n')
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "t":
				inText = false
			case "p":
				b.WriteByte('\n')
			}
		case xml.CharData:
			if inText {
				b.Write(t)
			}
		}
	}
	return strings.TrimSpace(b.String())
}
