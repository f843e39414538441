// Package officefile is how Nanhu takes a file someone uploads (a 公文's
// 正文, a portal article's attachment or image): it knows each accepted
// type by its name and its first bytes, refuses a file that is empty, too
// big, or not what its name says, with one sentence that says which, and
// reads the text of the types that have text for search.
//
// A file is never trusted by its name or its Content-Type alone: a .docx
// must be a zip that opens, a .pdf must start with %PDF-, an image must
// carry its format's signature.
package officefile

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Kind is a type of file, known by its extension and its first bytes.
type Kind struct {
	Ext         string // ".docx"
	ContentType string
	magic       func([]byte) bool
}

var (
	isZip  = func(b []byte) bool { return bytes.HasPrefix(b, []byte("PK\x03\x04")) }
	isOLE  = func(b []byte) bool { return bytes.HasPrefix(b, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}) }
	isPDF  = func(b []byte) bool { return bytes.HasPrefix(b, []byte("%PDF-")) }
	isPNG  = func(b []byte) bool { return bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) }
	isJPEG = func(b []byte) bool { return bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}) }
	isGIF  = func(b []byte) bool {
		return bytes.HasPrefix(b, []byte("GIF87a")) || bytes.HasPrefix(b, []byte("GIF89a"))
	}
	isWebP = func(b []byte) bool { return len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP" }
	isText = func(b []byte) bool { return utf8.Valid(b) && !bytes.ContainsRune(b, 0) }
)

// The kinds Nanhu takes.
var (
	Docx = Kind{".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", isZip}
	WPS  = Kind{".wps", "application/vnd.ms-works", isOLE}
	PDF  = Kind{".pdf", "application/pdf", isPDF}
	Doc  = Kind{".doc", "application/msword", isOLE}
	Xlsx = Kind{".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", isZip}
	Xls  = Kind{".xls", "application/vnd.ms-excel", isOLE}
	ET   = Kind{".et", "application/vnd.ms-excel", isOLE}
	OFD  = Kind{".ofd", "application/ofd", isZip}
	PNG  = Kind{".png", "image/png", isPNG}
	JPG  = Kind{".jpg", "image/jpeg", isJPEG}
	JPEG = Kind{".jpeg", "image/jpeg", isJPEG}
	GIF  = Kind{".gif", "image/gif", isGIF}
	WebP = Kind{".webp", "image/webp", isWebP}
	Text = Kind{".txt", "text/plain; charset=utf-8", isText}
)

// Images are the kinds a page may show as a picture.
var Images = []Kind{PNG, JPG, JPEG, GIF, WebP}

// IsImage reports whether k is one of Images.
func (k Kind) IsImage() bool { return strings.HasPrefix(k.ContentType, "image/") }

// Error is a refused file, with the sentence that says why.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func refuse(format string, args ...any) *Error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// BaseName is the file name of an upload without any folders a browser
// sent (some send C:\Users\…), or "" when it is not a usable name.
func BaseName(name string) string {
	base := filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	if base == "" || base == "." || base == "/" || strings.ContainsAny(base, "\x00\r\n") ||
		!utf8.ValidString(base) || utf8.RuneCountInString(base) > 200 {
		return ""
	}
	return base
}

// Check checks an uploaded file's name, size and first bytes against the
// kinds allowed. A refusal is an *Error whose message is one sentence for
// the person who uploaded it.
func Check(name string, data []byte, allowed []Kind, max int64) (Kind, error) {
	base := BaseName(name)
	if base == "" {
		return Kind{}, refuse("文件名无效。")
	}
	ext := strings.ToLower(filepath.Ext(base))
	var exts []string
	for _, k := range allowed {
		exts = append(exts, k.Ext)
		if k.Ext != ext {
			continue
		}
		switch {
		case len(data) == 0:
			return k, refuse("文件「%s」是空的。", base)
		case int64(len(data)) > max:
			return k, refuse("文件「%s」有 %.1f MB，超过了 %s 的上限。", base, float64(len(data))/(1<<20), sizeWords(max))
		case !k.magic(data):
			return k, refuse("文件「%s」的内容不是 %s 文件（可能改过扩展名）。", base, ext)
		}
		if isZip(data) {
			if _, err := zip.NewReader(bytes.NewReader(data), int64(len(data))); err != nil {
				return k, refuse("文件「%s」已损坏，无法作为 %s 打开。", base, ext)
			}
		}
		return k, nil
	}
	return Kind{}, refuse("不接受 %s 文件；可以上传：%s。", ext, strings.Join(exts, "、"))
}

func sizeWords(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d KB", n>>10)
}

// maxText is the most text taken from a file for search.
const maxText = 1 << 20

// ExtractText is the text of a file where it has text Nanhu can read: the
// paragraphs of a .docx, the cells of a .xlsx, the text a .pdf's pages
// show (pdf.go), the text of a .wps (wps.go), a .txt as it is. The other
// kinds give "".
func ExtractText(k Kind, data []byte) string {
	switch k.Ext {
	case Text.Ext:
		if len(data) > maxText {
			data = data[:maxText]
		}
		return strings.ToValidUTF8(string(data), "")
	case Docx.Ext:
		return zipPart(data, func(n string) bool { return n == "word/document.xml" }, wordText)
	case Xlsx.Ext:
		return zipPart(data, func(n string) bool { return n == "xl/sharedStrings.xml" }, sheetText)
	case PDF.Ext:
		return pdfText(data)
	case WPS.Ext:
		return wpsText(data)
	}
	return ""
}

// zipPart reads the parts of a zip that want says, through read.
func zipPart(data []byte, want func(string) bool, read func(io.Reader) string) string {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return ""
	}
	for _, f := range zr.File {
		if !want(f.Name) {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return ""
		}
		defer rc.Close()
		return read(io.LimitReader(rc, 32<<20))
	}
	return ""
}

// wordText reads the w:t runs of WordprocessingML, a paragraph a line.
// Deleted text (w:del, w:delText) is left out: it is not in the document.
func wordText(r io.Reader) string {
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

// sheetText reads the shared strings of a workbook, a cell a line.
func sheetText(r io.Reader) string {
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
			inText = t.Name.Local == "t"
		case xml.EndElement:
			if t.Name.Local == "si" {
				b.WriteByte('\n')
			}
			inText = false
		case xml.CharData:
			if inText {
				b.Write(t)
			}
		}
	}
	return strings.TrimSpace(b.String())
}
