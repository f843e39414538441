// Package mailtext turns a raw Internet message into the decoded text that the
// mail store's search index holds: header fields decoded from RFC 2047, bodies
// decoded from base64 and quoted-printable and converted from their declared
// charset (UTF-8, GB2312, GBK, GB18030, Big5 and the rest of the WHATWG set)
// into UTF-8, and attachments' file names.
//
// The index tokens of that text, and the folding searches compare it in, are
// package searchtext's, which every part's search shares.
//
// Extraction never fails: broken MIME, unknown charsets and bad encodings give
// whatever text can be recovered, because a message the server accepted must
// still be found by what it does say.
package mailtext

import (
	"bytes"
	"io"
	"mime"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/mail"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

func init() {
	// Mail labelled GB2312 or GBK routinely carries characters outside
	// those sets (Outlook and Foxmail write GBK and call it GB2312), and
	// GB18030 is a superset of both; decode all of them as GB18030.
	for _, name := range []string{"gb2312", "gbk", "cp936", "x-gbk", "euc-cn", "csgb2312", "gb_2312-80", "gb18030", "x-euc-cn", "hz-gb-2312-compat"} {
		charset.RegisterEncoding(name, simplifiedchinese.GB18030)
	}
	for _, name := range []string{"big5", "x-big5", "big5-hkscs", "cn-big5", "csbig5"} {
		charset.RegisterEncoding(name, traditionalchinese.Big5)
	}
	message.CharsetReader = charset.Reader
}

// MaxBodyText bounds how much decoded body text one message contributes to
// the index, so that a huge message cannot make delivery slow.
const MaxBodyText = 1 << 20

// Doc is the decoded, searchable content of one message.
type Doc struct {
	Subject   string
	From      string // display names and addresses of From and Sender
	To        string
	Cc        string
	Bcc       string
	MessageID string
	Date      time.Time // zero when absent or unparseable
	Body      string    // decoded text of the text/* parts
	Filenames []string  // attachments' names, decoded
	Headers   string    // every other header field, "Name: decoded value" per line
}

// Extract decodes raw into a Doc. It never fails; see the package comment.
func Extract(raw []byte) Doc {
	var d Doc
	ent, err := message.Read(bytes.NewReader(raw))
	if ent == nil {
		// Not even a header could be read: index the bytes as text.
		d.Body = decodeFallback(raw, MaxBodyText)
		return d
	}
	_ = err // an unknown charset or transfer encoding still gives an entity
	h := mail.Header{Header: ent.Header}
	d.Subject = headerText(ent.Header, "Subject")
	d.From = addressText(h, "From") + " " + addressText(h, "Sender")
	d.From = strings.TrimSpace(d.From)
	d.To = addressText(h, "To")
	d.Cc = addressText(h, "Cc")
	d.Bcc = addressText(h, "Bcc")
	d.MessageID = strings.Trim(strings.TrimSpace(ent.Header.Get("Message-Id")), "<>")
	if t, err := h.Date(); err == nil {
		d.Date = t
	}
	var other strings.Builder
	fields := ent.Header.Fields()
	for fields.Next() {
		switch strings.ToLower(fields.Key()) {
		case "subject", "from", "sender", "to", "cc", "bcc":
			continue
		}
		if other.Len() > MaxBodyText/4 {
			break
		}
		other.WriteString(fields.Key())
		other.WriteString(": ")
		other.WriteString(headerText(ent.Header, fields.Key()))
		other.WriteByte('\n')
	}
	d.Headers = other.String()
	var body strings.Builder
	walk(ent, &d, &body, 0)
	d.Body = body.String()
	return d
}

const maxDepth = 20

func walk(ent *message.Entity, d *Doc, body *strings.Builder, depth int) {
	if depth > maxDepth {
		return
	}
	if name := filename(ent.Header); name != "" {
		d.Filenames = append(d.Filenames, name)
	}
	if mr := ent.MultipartReader(); mr != nil {
		for {
			part, err := mr.NextPart()
			if part == nil || (err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err)) {
				return
			}
			walk(part, d, body, depth+1)
		}
	}
	mediaType, params, _ := ent.Header.ContentType()
	if mediaType == "" {
		mediaType = "text/plain"
	}
	switch {
	case mediaType == "message/rfc822" || mediaType == "message/global":
		inner, err := message.Read(ent.Body)
		if inner == nil {
			_ = err
			return
		}
		// The enclosed message's header is part of this body: its sender,
		// recipients, date and subject are what a reader sees.
		ih := mail.Header{Header: inner.Header}
		for _, k := range []string{"From", "Sender", "To", "Cc"} {
			if s := addressText(ih, k); s != "" {
				appendBody(body, k+": "+s)
			}
		}
		for _, k := range []string{"Date", "Subject"} {
			if s := headerText(inner.Header, k); s != "" {
				appendBody(body, k+": "+s)
			}
		}
		walk(inner, d, body, depth+1)
	case strings.HasPrefix(mediaType, "text/"):
		if disp, _, _ := ent.Header.ContentDisposition(); disp == "attachment" && mediaType != "text/plain" {
			return
		}
		room := MaxBodyText - body.Len()
		if room <= 0 {
			return
		}
		data, _ := io.ReadAll(io.LimitReader(ent.Body, int64(room)*4))
		var text string
		if _, declared := params["charset"]; declared || utf8.Valid(data) {
			// go-message already converted a known charset to UTF-8.
			text = string(bytes.ToValidUTF8(data, []byte(" ")))
		} else {
			text = decodeFallback(data, room)
		}
		if mediaType == "text/html" {
			text = stripHTML(text)
		}
		if len(text) > room {
			text = text[:room]
		}
		appendBody(body, text)
	}
}

func appendBody(b *strings.Builder, s string) {
	if b.Len() > 0 {
		b.WriteByte('\n')
	}
	b.WriteString(s)
}

// decodeFallback reads bytes of unknown charset: UTF-8 when valid, else the
// most likely Chinese charset (GB18030, which decodes GB2312 and GBK too).
func decodeFallback(data []byte, limit int) string {
	if len(data) > limit {
		data = data[:limit]
	}
	if utf8.Valid(data) {
		return string(data)
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil {
		return string(bytes.ToValidUTF8(data, []byte(" ")))
	}
	return string(out)
}

var wordDecoder = &mime.WordDecoder{CharsetReader: func(cs string, r io.Reader) (io.Reader, error) {
	return charset.Reader(cs, r)
}}

// headerText decodes an unstructured header field. Raw 8-bit values (which
// some Chinese clients send without RFC 2047) are read as UTF-8 or GB18030.
func headerText(h message.Header, key string) string {
	raw := h.Get(key)
	if raw == "" {
		return ""
	}
	if !utf8.ValidString(raw) {
		raw = decodeFallback([]byte(raw), len(raw))
	}
	s, err := wordDecoder.DecodeHeader(raw)
	if err != nil {
		return raw
	}
	return s
}

func addressText(h mail.Header, key string) string {
	addrs, err := h.AddressList(key)
	if err != nil || len(addrs) == 0 {
		// RFC 5322's obsolete syntax (comments and folding white space
		// inside an address, "<a (x)@ (y) b.org>") defeats the parser:
		// without them the address reads, and is searchable as written
		// and as the address it is.
		text := headerText(h.Header, key)
		clean := StripComments(text)
		var tmp mail.Header
		tmp.Set("X", clean)
		if addrs, err := tmp.AddressList("X"); err == nil && len(addrs) > 0 {
			parts := []string{text}
			for _, a := range addrs {
				parts = append(parts, strings.TrimSpace(a.Name+" "+a.Address))
			}
			return strings.Join(parts, ", ")
		}
		if clean != text {
			return text + ", " + clean
		}
		return text
	}
	parts := make([]string, 0, len(addrs))
	for _, a := range addrs {
		parts = append(parts, strings.TrimSpace(a.Name+" "+a.Address))
	}
	return strings.Join(parts, ", ")
}

func filename(h message.Header) string {
	if _, params, err := h.ContentDisposition(); err == nil || params != nil {
		if name := params["filename"]; name != "" {
			return decodeParam(name)
		}
	}
	if _, params, _ := h.ContentType(); params != nil {
		if name := params["name"]; name != "" {
			return decodeParam(name)
		}
	}
	return ""
}

// decodeParam handles the RFC 2047 words that many clients put in filename
// parameters despite RFC 2231; RFC 2231 itself is decoded by package mime.
func decodeParam(s string) string {
	if !utf8.ValidString(s) {
		s = decodeFallback([]byte(s), len(s))
	}
	if strings.Contains(s, "=?") {
		if dec, err := wordDecoder.DecodeHeader(s); err == nil {
			return dec
		}
	}
	return s
}

// stripHTML drops tags, scripts and styles and decodes the common entities;
// the index needs the words, not the markup.
func stripHTML(s string) string {
	var b strings.Builder
	lower := strings.ToLower(s)
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(lower[i:], "<script"), strings.HasPrefix(lower[i:], "<style"):
			tag := "</script>"
			if strings.HasPrefix(lower[i:], "<style") {
				tag = "</style>"
			}
			end := strings.Index(lower[i:], tag)
			if end < 0 {
				i = len(s)
			} else {
				i += end + len(tag)
			}
		case s[i] == '<':
			end := strings.IndexByte(s[i:], '>')
			if end < 0 {
				i = len(s)
			} else {
				i += end + 1
			}
			b.WriteByte(' ')
		default:
			next := strings.IndexByte(s[i:], '<')
			if next < 0 {
				next = len(s) - i
			}
			b.WriteString(s[i : i+next])
			i += next
		}
	}
	return htmlEntities.Replace(b.String())
}

var htmlEntities = strings.NewReplacer("&nbsp;", " ", "&lt;", "<", "&gt;", ">", "&amp;", "&", "&quot;", `"`, "&#39;", "'", "&ldquo;", "“", "&rdquo;", "”")

// StripComments removes RFC 5322 comments (nested parentheses, outside
// quoted strings) from an address header value, and the white space around
// "@" and "." that the obsolete syntax allows, so that
// "<user (x)@ (y) example.org>" becomes "<user@example.org>".
func StripComments(v string) string {
	var b strings.Builder
	depth, quoted, escaped := 0, false, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case escaped:
			escaped = false
			if depth == 0 {
				b.WriteByte(c)
			}
			continue
		case c == '\\' && (quoted || depth > 0):
			escaped = true
			if depth == 0 {
				b.WriteByte(c)
			}
			continue
		case quoted:
			if c == '"' {
				quoted = false
			}
			b.WriteByte(c)
			continue
		case c == '(':
			depth++
			continue
		case c == ')' && depth > 0:
			depth--
			continue
		case depth > 0:
			continue
		case c == '"':
			quoted = true
		}
		b.WriteByte(c)
	}
	out := strings.Join(strings.Fields(b.String()), " ")
	for _, sep := range []string{"@", "."} {
		out = strings.ReplaceAll(out, " "+sep, sep)
		out = strings.ReplaceAll(out, sep+" ", sep)
	}
	return out
}
