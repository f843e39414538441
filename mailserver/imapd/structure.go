package imapd

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
	"mime/quotedprintable"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-message/textproto"
)

// BODYSTRUCTURE and BINARY are built here rather than by go-imap's helpers
// because those run through go-message, which converts text to UTF-8 once
// any package has set its global charset reader (Nanhu's search indexing
// does) and decodes header parameters. IMAP wants the parameters as written
// and BINARY as the bytes after transfer decoding only, in the part's own
// charset.

// entity is one MIME part: its header and its undecoded body.
type entity struct {
	header textproto.Header
	body   []byte
}

func readEntity(raw []byte) entity {
	br := bufio.NewReader(bytes.NewReader(raw))
	h, _ := textproto.ReadHeader(br)
	body, _ := io.ReadAll(br)
	return entity{header: h, body: body}
}

// contentType returns the media type (lower case, "text/plain" when absent,
// RFC 2045 §5.2) and its parameters as written.
func (e entity) contentType() (string, map[string]string) {
	v := e.header.Get("Content-Type")
	if strings.TrimSpace(v) == "" {
		return "text/plain", map[string]string{"charset": "us-ascii"}
	}
	t, params := parseParams(v)
	if !strings.Contains(t, "/") {
		return "text/plain", map[string]string{"charset": "us-ascii"}
	}
	return t, params
}

// parseParams splits a header value like `type/sub; a=b; c="d; e"` into
// its first token (lower case) and its parameters, keys lower case, values
// unquoted but otherwise as written (RFC 2231 and RFC 2047 left alone).
func parseParams(v string) (string, map[string]string) {
	parts := splitUnquoted(v, ';')
	first := strings.ToLower(strings.TrimSpace(parts[0]))
	params := map[string]string{}
	for _, p := range parts[1:] {
		k, val, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		val = strings.TrimSpace(val)
		if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
			val = unquote(val[1 : len(val)-1])
		}
		if k != "" {
			params[k] = val
		}
	}
	return first, params
}

func splitUnquoted(s string, sep byte) []string {
	var out []string
	quoted, escaped, start := false, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case escaped:
			escaped = false
		case c == '\\' && quoted:
			escaped = true
		case c == '"':
			quoted = !quoted
		case c == sep && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func unquote(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// children returns the parts of a multipart entity.
func (e entity) children(boundary string) []entity {
	if boundary == "" {
		return nil
	}
	var out []entity
	mr := textproto.NewMultipartReader(bytes.NewReader(e.body), boundary)
	for {
		p, err := mr.NextPart()
		if err != nil {
			return out
		}
		body, _ := io.ReadAll(p)
		out = append(out, entity{header: p.Header, body: body})
	}
}

func lineCount(b []byte) int64 { return int64(bytes.Count(b, []byte("\n"))) }

// bodyStructure describes e as RFC 9051 §7.5.2 asks.
func bodyStructure(e entity, depth int) imap.BodyStructure {
	mediaType, params := e.contentType()
	primary, sub, _ := strings.Cut(mediaType, "/")
	disp := disposition(e.header)
	lang := language(e.header)
	loc := e.header.Get("Content-Location")
	if primary == "multipart" && depth < 50 {
		bs := &imap.BodyStructureMultiPart{Subtype: sub}
		for _, c := range e.children(params["boundary"]) {
			bs.Children = append(bs.Children, bodyStructure(c, depth+1))
		}
		if len(bs.Children) == 0 {
			// A multipart without parts: describe it as an empty text part
			// so clients still get a well-formed structure.
			bs.Children = append(bs.Children, &imap.BodyStructureSinglePart{Type: "text", Subtype: "plain", Params: map[string]string{"charset": "us-ascii"}, Encoding: "7bit", Text: &imap.BodyStructureText{}})
		}
		bs.Extended = &imap.BodyStructureMultiPartExt{Params: params, Disposition: disp, Language: lang, Location: loc}
		return bs
	}
	enc := strings.TrimSpace(e.header.Get("Content-Transfer-Encoding"))
	if enc == "" {
		enc = "7bit"
	}
	bs := &imap.BodyStructureSinglePart{
		Type: primary, Subtype: sub, Params: params,
		ID: e.header.Get("Content-Id"), Description: e.header.Get("Content-Description"),
		Encoding: enc, Size: uint32(len(e.body)),
		Extended: &imap.BodyStructureSinglePartExt{Disposition: disp, Language: lang, Location: loc},
	}
	switch {
	case (mediaType == "message/rfc822" || mediaType == "message/global") && depth < 50:
		inner := readEntity(e.body)
		bs.MessageRFC822 = &imap.BodyStructureMessageRFC822{
			Envelope:      imapserver.ExtractEnvelope(inner.header),
			BodyStructure: bodyStructure(inner, depth+1),
			NumLines:      lineCount(e.body),
		}
	case primary == "text":
		bs.Text = &imap.BodyStructureText{NumLines: lineCount(e.body)}
	}
	return bs
}

func disposition(h textproto.Header) *imap.BodyStructureDisposition {
	v := h.Get("Content-Disposition")
	if strings.TrimSpace(v) == "" {
		return nil
	}
	d, params := parseParams(v)
	return &imap.BodyStructureDisposition{Value: d, Params: params}
}

func language(h textproto.Header) []string {
	v := h.Get("Content-Language")
	if v == "" {
		return nil
	}
	var out []string
	for _, l := range strings.Split(v, ",") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// findPart follows an IMAP part number (1.2.1) down the structure. The
// parts of an enclosed message are those of its body; a non-multipart
// message has one part, itself.
func findPart(e entity, path []int) (entity, bool) {
	for _, n := range path {
		mediaType, params := e.contentType()
		switch {
		case strings.HasPrefix(mediaType, "multipart/"):
			kids := e.children(params["boundary"])
			if n < 1 || n > len(kids) {
				return entity{}, false
			}
			e = kids[n-1]
		case mediaType == "message/rfc822" || mediaType == "message/global":
			inner := readEntity(e.body)
			innerType, innerParams := inner.contentType()
			if strings.HasPrefix(innerType, "multipart/") {
				kids := inner.children(innerParams["boundary"])
				if n < 1 || n > len(kids) {
					return entity{}, false
				}
				e = kids[n-1]
			} else if n == 1 {
				e = inner
			} else {
				return entity{}, false
			}
		default:
			if n != 1 {
				return entity{}, false
			}
		}
	}
	return e, true
}

// binarySection is BINARY[part]: the part's body with its transfer
// encoding undone (RFC 3516), in its own charset. ok is false for an
// unknown transfer encoding ([UNKNOWN-CTE]).
func binarySection(raw []byte, item *imap.FetchItemBinarySection) ([]byte, bool) {
	root := readEntity(raw)
	e, found := findPart(root, item.Part)
	if !found {
		return nil, true
	}
	var out []byte
	if len(item.Part) == 0 {
		var buf bytes.Buffer
		textproto.WriteHeader(&buf, e.header)
		out = buf.Bytes()
	}
	body, ok := decodeTransfer(e.header.Get("Content-Transfer-Encoding"), e.body)
	if !ok {
		return nil, false
	}
	out = append(out, body...)
	if p := item.Partial; p != nil {
		if p.Offset > int64(len(out)) {
			return nil, true
		}
		end := min(p.Offset+p.Size, int64(len(out)))
		out = out[p.Offset:end]
	}
	return out, true
}

func decodeTransfer(enc string, body []byte) ([]byte, bool) {
	switch strings.ToLower(strings.TrimSpace(enc)) {
	case "", "7bit", "8bit", "binary":
		return body, true
	case "base64":
		clean := bytes.Map(func(r rune) rune {
			if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
				return -1
			}
			return r
		}, body)
		out := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
		n, err := base64.StdEncoding.Decode(out, clean)
		if err != nil {
			// Keep what decoded; mail in the wild is often a little broken.
			n, _ = base64.RawStdEncoding.Decode(out, bytes.TrimRight(clean, "="))
		}
		return out[:n], true
	case "quoted-printable":
		out, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		return out, true
	}
	return nil, false
}
