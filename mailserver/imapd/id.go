package imapd

import (
	"fmt"
	"strings"
)

// idFields is what the server says of itself in answer to ID (RFC 2971).
// It names the software, not its version: a version helps an attacker
// more than a client.
const idFields = `("name" "Nanhu" "vendor" "Nanhu")`

// id answers ID: the client's fields are logged (phone apps name
// themselves so), and the server's returned.
func (g *guardConn) id(tag, args string) error {
	fields, err := parseID(args)
	if err != nil {
		g.log.Info("imap client error", "remote", g.RemoteAddr(), "command", "ID", "reason", err.Error())
		g.write(tag + " BAD [CLIENTBUG] " + err.Error() + "\r\n")
		return nil
	}
	attrs := []any{"remote", g.RemoteAddr()}
	for i := 0; i+1 < len(fields); i += 2 {
		attrs = append(attrs, "client_"+strings.ToLower(fields[i]), fields[i+1])
	}
	g.log.Info("imap client ID", attrs...)
	g.write("* ID " + idFields + "\r\n" + tag + " OK ID completed\r\n")
	return nil
}

// parseID reads the argument of ID: NIL, or a list of field and value
// pairs, each a quoted string (a value may be NIL).
func parseID(args string) ([]string, error) {
	toks, err := tokenize(args)
	if err != nil {
		return nil, fmt.Errorf("ID: %w", err)
	}
	if len(toks) == 1 && toks[0].atom && strings.EqualFold(toks[0].text, "NIL") {
		return nil, nil
	}
	if len(toks) < 2 || toks[0].text != "(" || toks[len(toks)-1].text != ")" || toks[0].str || toks[len(toks)-1].str {
		return nil, fmt.Errorf("ID takes NIL or a parenthesized list of field-value pairs")
	}
	inner := toks[1 : len(toks)-1]
	if len(inner)%2 != 0 {
		return nil, fmt.Errorf("ID takes field-value pairs")
	}
	if len(inner) > 60 {
		return nil, fmt.Errorf("ID takes at most 30 field-value pairs")
	}
	var out []string
	for i, t := range inner {
		switch {
		case t.str:
			out = append(out, t.text)
		case i%2 == 1 && t.atom && strings.EqualFold(t.text, "NIL"):
			out = append(out, "")
		default:
			return nil, fmt.Errorf("ID fields and values must be quoted strings")
		}
	}
	return out, nil
}
