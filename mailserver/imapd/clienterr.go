package imapd

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// checkCommand finds the client mistakes that go-imap's parser would
// answer NO [SERVERBUG] (it cannot tell them from a fault of its own) and
// returns the answer they deserve: status "BAD" or "NO" and its text, or
// "OK" for a LIST that can match nothing. An empty reason means the command
// goes on to go-imap. args is the command's line after its name, up to a
// literal.
func checkCommand(name, args string) (status, reason string) {
	switch name {
	case "CREATE", "DELETE", "RENAME", "SUBSCRIBE", "UNSUBSCRIBE", "SELECT", "EXAMINE", "STATUS", "APPEND",
		"LIST", "LSUB", "COPY", "MOVE", "UID COPY", "UID MOVE",
		"FETCH", "UID FETCH", "STORE", "UID STORE", "UID EXPUNGE", "SEARCH", "UID SEARCH":
	default:
		return "", ""
	}
	toks, err := tokenize(args)
	if err != nil {
		return "", "" // go-imap reports the syntax
	}
	if strings.HasSuffix(name, "SEARCH") {
		return checkSearch(args, toks)
	}
	var boxes []token
	list := false
	switch name {
	case "CREATE", "DELETE", "SUBSCRIBE", "UNSUBSCRIBE", "SELECT", "EXAMINE", "STATUS", "APPEND":
		boxes = firstN(toks, 1)
	case "RENAME":
		boxes = firstN(toks, 2)
	case "LSUB":
		boxes, list = firstN(toks, 2), true
	case "LIST":
		boxes, list = listNames(toks), true
	case "COPY", "MOVE", "UID COPY", "UID MOVE", "FETCH", "UID FETCH", "STORE", "UID STORE", "UID EXPUNGE":
		if len(toks) > 0 && toks[0].atom {
			if err := checkNumSet(toks[0].text); err != nil {
				return "BAD", "[CLIENTBUG] " + err.Error()
			}
		}
		if strings.HasSuffix(name, "COPY") || strings.HasSuffix(name, "MOVE") {
			if len(toks) > 1 {
				boxes = toks[1:2]
			}
		}
	}
	for _, b := range boxes {
		if b.paren() {
			continue
		}
		if b.atom && has8bit([]byte(b.text)) {
			// An atom is 7-bit (RFC 9051's ATOM-CHAR); UTF-8 goes in a
			// quoted string, which go-imap accepts with or without
			// UTF8=ACCEPT, as the shared namespace's clients need.
			return "BAD", "[CLIENTBUG] 8-bit characters in an atom: quote a UTF-8 mailbox name, or send it in modified UTF-7"
		}
		if strings.EqualFold(b.text, "INBOX") {
			continue
		}
		if err := checkMUTF7(b.text); err != nil {
			if list {
				return "OK", "no mailbox name matches a pattern that is not modified UTF-7"
			}
			return "NO", "[CANNOT] Mailbox name is not valid modified UTF-7: " + err.Error()
		}
	}
	return "", ""
}

// firstN returns the first n tokens (fewer if there are fewer).
func firstN(toks []token, n int) []token {
	return toks[:min(n, len(toks))]
}

// listNames returns the reference and the patterns of a LIST, past its
// selection options.
func listNames(toks []token) []token {
	i := 0
	if i < len(toks) && toks[i].text == "(" && !toks[i].str {
		for i < len(toks) && !(toks[i].text == ")" && !toks[i].str) {
			i++
		}
		i++
	}
	var out []token
	if i < len(toks) {
		out = append(out, toks[i]) // the reference
		i++
	}
	if i < len(toks) && toks[i].text == "(" && !toks[i].str {
		for i++; i < len(toks) && !(toks[i].text == ")" && !toks[i].str); i++ {
			out = append(out, toks[i])
		}
	} else if i < len(toks) {
		out = append(out, toks[i])
	}
	return out
}

// maxSearchDepth bounds the nesting of parenthesized SEARCH keys; go-imap
// stops at 1000 with an internal error. Dovecot takes several hundred.
const maxSearchDepth = 500

// searchArgs is how many arguments each SEARCH key with arguments takes.
var searchArgs = map[string]int{
	"BCC": 1, "BODY": 1, "CC": 1, "FROM": 1, "SUBJECT": 1, "TEXT": 1, "TO": 1, "KEYWORD": 1, "UNKEYWORD": 1,
	"BEFORE": 1, "ON": 1, "SINCE": 1, "SENTBEFORE": 1, "SENTON": 1, "SENTSINCE": 1,
	"LARGER": 1, "SMALLER": 1, "OLDER": 1, "YOUNGER": 1, "CHARSET": 1, "HEADER": 2,
}

func checkSearch(args string, toks []token) (string, string) {
	depth, deepest := 0, 0
	for _, t := range toks {
		switch {
		case t.str || t.atom:
		case t.text == "(":
			depth++
			deepest = max(deepest, depth)
		case t.text == ")":
			depth--
		}
	}
	if deepest > maxSearchDepth {
		return "BAD", fmt.Sprintf("[CLIENTBUG] Search keys nested %d deep; at most %d levels are allowed", deepest, maxSearchDepth)
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if !t.atom {
			continue
		}
		key := strings.ToUpper(t.text)
		if n, ok := searchArgs[key]; ok {
			i += n
			continue
		}
		if key == "MODSEQ" || key == "RETURN" {
			return "", "" // their arguments are go-imap's to read
		}
		if key == "UID" {
			if i+1 < len(toks) && toks[i+1].atom {
				if err := checkNumSet(toks[i+1].text); err != nil {
					return "BAD", "[CLIENTBUG] " + err.Error()
				}
			}
			i++
			continue
		}
		if strings.Trim(t.text, "0123456789:,*$") == "" {
			if err := checkNumSet(t.text); err != nil {
				return "BAD", "[CLIENTBUG] " + err.Error()
			}
		}
	}
	return "", ""
}

// checkNumSet reports a sequence or UID set whose numbers leave 1 to
// 2^32-1 (RFC 9051's nz-number). Other mistakes are go-imap's to report.
func checkNumSet(s string) error {
	if s == "$" {
		return nil
	}
	for _, r := range strings.Split(s, ",") {
		for _, n := range strings.Split(r, ":") {
			if n == "*" || n == "" || strings.Trim(n, "0123456789") != "" {
				continue
			}
			v, err := strconv.ParseUint(n, 10, 64)
			if err != nil || v == 0 || v > 1<<32-1 {
				return fmt.Errorf("Invalid message set %q: message numbers and UIDs run from 1 to 4294967295", s)
			}
		}
	}
	return nil
}

var mutf7 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,").WithPadding(base64.NoPadding)

// checkMUTF7 reports why name is not modified UTF-7 (RFC 3501 §5.1.3):
// printable US-ASCII stands for itself, "&-" for "&", and anything else
// is UTF-16 in modified base64 between "&" and "-", one run at a time.
// UTF-8 passes, as go-imap lets it.
func checkMUTF7(name string) error {
	_, err := decodeMUTF7(name)
	return err
}

// decodeMUTF7 decodes a modified UTF-7 name (see checkMUTF7).
func decodeMUTF7(name string) (string, error) {
	if !utf8.ValidString(name) {
		return "", errors.New("not UTF-8")
	}
	var b strings.Builder
	afterRun := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= utf8.RuneSelf:
			afterRun = false
			b.WriteByte(c)
			continue
		case c < 0x20 || c > 0x7e:
			return "", errors.New("a control character")
		case c != '&':
			afterRun = false
			b.WriteByte(c)
			continue
		}
		end := strings.IndexByte(name[i+1:], '-')
		if end < 0 {
			return "", errors.New(`an "&" without its closing "-"`)
		}
		run := name[i+1 : i+1+end]
		i += end + 1
		if run == "" {
			afterRun = false // "&-" is "&"
			b.WriteByte('&')
			continue
		}
		if afterRun {
			return "", errors.New(`two encoded runs in a row ("&…-&…-" must be one run)`)
		}
		text, err := decodeRun(run)
		if err != nil {
			return "", err
		}
		b.WriteString(text)
		afterRun = true
	}
	return b.String(), nil
}

func decodeRun(run string) (string, error) {
	b, err := mutf7.DecodeString(run)
	if err != nil || len(b)%2 != 0 {
		return "", fmt.Errorf("bad modified base64 %q", run)
	}
	units := make([]uint16, len(b)/2)
	for i := range units {
		units[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	var out []rune
	for i := 0; i < len(units); i++ {
		u := rune(units[i])
		if utf16.IsSurrogate(u) {
			if i+1 == len(units) {
				return "", fmt.Errorf("a broken UTF-16 surrogate in %q", run)
			}
			r := utf16.DecodeRune(u, rune(units[i+1]))
			if r == utf8.RuneError {
				return "", fmt.Errorf("a broken UTF-16 surrogate in %q", run)
			}
			out = append(out, r)
			i++
			continue
		}
		if u >= 0x20 && u <= 0x7e {
			return "", fmt.Errorf("%q encodes %q, which must be written as itself", run, string(u))
		}
		out = append(out, u)
	}
	return string(out), nil
}

// token is one piece of a command line: an atom, a quoted string (its
// value, unquoted), or a parenthesis.
type token struct {
	text string
	str  bool
	atom bool
}

func (t token) paren() bool { return !t.str && !t.atom }

// tokenize splits an IMAP command's arguments; a literal ends the line,
// so it is a token of its own ({…}).
func tokenize(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		switch c := s[i]; c {
		case ' ':
			i++
		case '(', ')':
			out = append(out, token{text: string(c)})
			i++
		case '"':
			var b strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
			}
			if j == len(s) {
				return nil, errors.New("a quoted string without its closing quote")
			}
			out = append(out, token{text: b.String(), str: true})
			i = j + 1
		default:
			j := i
			for j < len(s) && s[j] != ' ' && s[j] != '(' && s[j] != ')' && s[j] != '"' {
				j++
			}
			out = append(out, token{text: s[i:j], atom: true})
			i = j
		}
	}
	return out, nil
}
