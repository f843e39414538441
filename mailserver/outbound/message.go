package outbound

import (
	"bufio"
	"bytes"
	"net/mail"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// normalizeCRLF turns bare LF (and bare CR) line ends into CRLF, the wire
// form, so that the DKIM signature covers what is actually sent.
func normalizeCRLF(raw []byte) []byte {
	clean := true
	for i, b := range raw {
		if (b == '\n' && (i == 0 || raw[i-1] != '\r')) || (b == '\r' && (i+1 == len(raw) || raw[i+1] != '\n')) {
			clean = false
			break
		}
	}
	if clean {
		return raw
	}
	out := make([]byte, 0, len(raw)+len(raw)/32)
	for i := 0; i < len(raw); i++ {
		switch b := raw[i]; b {
		case '\r':
			out = append(out, '\r', '\n')
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
		case '\n':
			out = append(out, '\r', '\n')
		default:
			out = append(out, b)
		}
	}
	return out
}

// headerSection returns the header of a CRLF message, up to and including
// the CRLF that ends its last field (without the empty line).
func headerSection(raw []byte) []byte {
	if bytes.HasPrefix(raw, []byte("\r\n")) {
		return nil
	}
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
		return raw[:i+2]
	}
	return raw
}

func isASCII[T string | []byte](s T) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// readHeader parses the header of raw; a malformed header gives what could
// be read.
func readHeader(raw []byte) textproto.Header {
	h, _ := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(headerSection(raw))))
	return h
}

// fromDomain returns the domain of the first address in a From field.
func fromDomain(from string) string {
	if list, err := mail.ParseAddressList(from); err == nil && len(list) > 0 {
		return domainOf(list[0].Address)
	}
	// Unparseable (an unknown charset in a display name, say): take the
	// last <...> or the whole value.
	if i := strings.LastIndexByte(from, '<'); i >= 0 {
		from = from[i+1:]
		if j := strings.IndexByte(from, '>'); j >= 0 {
			from = from[:j]
		}
	}
	return domainOf(strings.TrimSpace(from))
}

// validAddress reports whether an envelope address can go into MAIL or
// RCPT: local@domain with nothing that would break the command line.
func validAddress(a string) bool {
	if strings.ContainsAny(a, "<>\r\n\t ") || len(a) > 512 {
		return false
	}
	i := strings.LastIndexByte(a, '@')
	return i > 0 && i < len(a)-1
}
