package modemsim

import (
	"strings"
)

// Characters the line discipline knows (V.250 S3, S4, S5; TS 27.005 §3.5.1).
const (
	cr     = '\r'
	lf     = '\n'
	bs     = 0x08
	del    = 0x7f
	ctrlZ  = 0x1a
	escape = 0x1b
)

// maxLine is the longest command line taken; a longer one is answered
// with ERROR when its CR comes. Real modems allow a few hundred bytes.
const maxLine = 1024

// maxPromptInput bounds what is typed after "> ": a whole PDU is at most
// 12 octets of SMSC field and 164 of TPDU, twice as many hex digits; text
// mode may carry 70 UCS2 characters as hex, with lines.
const maxPromptInput = 2048

// input is the line discipline's state: the command line being typed, or
// the PDU or text after "> ".
type input struct {
	gen      int
	buf      []byte
	overflow bool
	prompt   *prompt
	last     string // the last command line, for A/
	echo     []byte // typed bytes not yet echoed
}

// prompt is a "> " input in progress.
type prompt struct {
	kind     string // "+CMGS" or "+CMGW"
	text     bool   // text mode: the data is text, CR starts a new line
	length   int    // PDU mode: the <length> given
	to       string // text mode: destination
	stat     int    // +CMGW: the status to store with
	data     []byte
	overflow bool
}

// feed runs bytes from the line through the line discipline.
func (s *Sim) feed(data []byte) {
	gen := s.inp.gen
	defer s.flushEcho()
	for _, c := range data {
		if s.sink == nil && s.currentGen() != gen {
			return // the line vanished under this input
		}
		if s.inp.prompt != nil {
			s.promptByte(c)
			continue
		}
		s.mu.Lock()
		echo := s.set.echo
		s.mu.Unlock()
		if echo && c != escape {
			s.inp.echo = append(s.inp.echo, c)
		}
		switch c {
		case cr:
			line := s.inp.buf
			overflow := s.inp.overflow
			s.inp.buf, s.inp.overflow = nil, false
			if overflow {
				s.finalError()
				continue
			}
			s.commandLine(string(line))
		case lf, 0:
			// LF after CR, or line noise: not part of a command.
		case escape:
			s.inp.buf, s.inp.overflow = s.inp.buf[:0], false
		case bs, del:
			if n := len(s.inp.buf); n > 0 {
				s.inp.buf = s.inp.buf[:n-1]
			}
		case ctrlZ:
			// Ctrl-Z outside "> " input ends nothing.
		default:
			if len(s.inp.buf) >= maxLine {
				s.inp.overflow = true
				continue
			}
			s.inp.buf = append(s.inp.buf, c)
		}
	}
}

// promptByte takes one byte of the input after "> ".
func (s *Sim) promptByte(c byte) {
	p := s.inp.prompt
	s.mu.Lock()
	echo := s.set.echo
	s.mu.Unlock()
	switch c {
	case ctrlZ:
		s.inp.prompt = nil
		s.flushEcho()
		s.promptDone(p)
		return
	case escape:
		s.inp.prompt = nil
		s.closePrompt("OK")
		return
	case cr:
		if p.text {
			p.data = append(p.data, lf)
			s.out("\r\n> ")
		}
		return
	case lf:
		return
	case bs, del:
		if n := len(p.data); n > 0 {
			p.data = p.data[:n-1]
		}
	default:
		if len(p.data) >= maxPromptInput {
			p.overflow = true
			return
		}
		p.data = append(p.data, c)
	}
	if echo {
		s.inp.echo = append(s.inp.echo, c)
	}
}

// out writes a response of the processing goroutine, after the echo of
// what was typed before it.
func (s *Sim) out(text string) {
	if len(s.inp.echo) > 0 {
		text = string(s.inp.echo) + text
		s.inp.echo = s.inp.echo[:0]
	}
	s.write(text)
}

// flushEcho writes the echo still pending.
func (s *Sim) flushEcho() {
	if len(s.inp.echo) > 0 {
		s.write(string(s.inp.echo))
		s.inp.echo = s.inp.echo[:0]
	}
}

// commandLine runs one line: "AT" and what follows, or "A/" for the last
// line again. Anything before the "AT" is noise; a line with no "AT" is
// not for the modem and gets no answer.
func (s *Sim) commandLine(line string) {
	s.flushEcho()
	up := asciiUpper(line)
	if strings.TrimSpace(up) == "A/" {
		line, up = s.inp.last, asciiUpper(s.inp.last)
		if line == "" {
			return
		}
	}
	at := strings.Index(up, "AT")
	if at < 0 {
		return
	}
	line = line[at:]
	s.inp.last = line
	s.log.Debug("AT", "line", line)

	if s.armedVanish() {
		return
	}
	cmds, err := parseCommandLine(line[2:])
	if err != nil {
		s.finalError()
		return
	}
	s.runChain(cmds)
}

// finalError answers ERROR (V.250's result for a line it cannot parse).
func (s *Sim) finalError() {
	s.mu.Lock()
	t := s.frameFinalLocked("ERROR")
	s.mu.Unlock()
	s.out(t)
}

// command is one command of a line.
type command struct {
	name string // upper case, with its prefix: "+CMGS", "^CURC", "E", "&F", "S"
	op   byte   // 0 action, '?' read, '=' set, 't' test ("=?")
	args string // as typed, quotes included
}

// parseCommandLine splits what follows "AT" into commands: basic ones run
// together (E0V1), extended ones separated by ";" (+CMEE=1;+CREG=2).
func parseCommandLine(s string) ([]command, error) {
	var cmds []command
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == ';':
			i++
		case c == '+' || c == '^' || c == '$' || c == '%' || c == '*':
			j := i + 1
			for j < len(s) && isNameChar(s[j]) {
				j++
			}
			cmd := command{name: asciiUpper(s[i:j])}
			i = j
			switch {
			case strings.HasPrefix(s[i:], "=?"):
				cmd.op = 't'
				i += 2
			case strings.HasPrefix(s[i:], "="):
				cmd.op = '='
				i++
			case strings.HasPrefix(s[i:], "?"):
				cmd.op = '?'
				i++
			}
			end := argsEnd(s, i)
			cmd.args = strings.TrimSpace(s[i:end])
			i = end
			if cmd.op == '?' && cmd.args != "" || cmd.op == 't' && cmd.args != "" || len(cmd.name) == 1 {
				return nil, errSyntax
			}
			cmds = append(cmds, cmd)
		case c == '&':
			if i+1 >= len(s) || !isLetter(s[i+1]) {
				return nil, errSyntax
			}
			j := i + 2
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			cmds = append(cmds, command{name: "&" + asciiUpper(s[i+1:i+2]), args: s[i+2 : j]})
			i = j
		case c == 'S' || c == 's':
			j := i + 1
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			cmd := command{name: "S", args: s[i+1 : j]}
			if j < len(s) && s[j] == '?' {
				cmd.op = '?'
				j++
			} else if j < len(s) && s[j] == '=' {
				cmd.op = '='
				j++
				k := j
				for k < len(s) && isDigit(s[k]) {
					k++
				}
				cmd.args += "=" + s[j:k]
				j = k
			}
			if cmd.args == "" {
				return nil, errSyntax
			}
			cmds = append(cmds, cmd)
			i = j
		case c == 'D' || c == 'd':
			cmds = append(cmds, command{name: "D", args: s[i+1:]})
			i = len(s)
		case isLetter(c):
			j := i + 1
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			cmd := command{name: asciiUpper(s[i : i+1]), args: s[i+1 : j]}
			if j < len(s) && s[j] == '?' {
				cmd.op = '?'
				j++
			}
			cmds = append(cmds, cmd)
			i = j
		default:
			return nil, errSyntax
		}
	}
	return cmds, nil
}

// argsEnd finds the ";" that ends an extended command's arguments,
// outside quotes.
func argsEnd(s string, i int) int {
	quoted := false
	for ; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case ';':
			if !quoted {
				return i
			}
		}
	}
	return i
}

// asciiUpper upper-cases ASCII letters only, keeping every byte where it
// was (strings.ToUpper would turn invalid UTF-8 into longer runes).
func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func isLetter(c byte) bool   { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }
func isDigit(c byte) bool    { return c >= '0' && c <= '9' }
func isNameChar(c byte) bool { return isLetter(c) || isDigit(c) || c == '_' || c == '!' || c == '.' }

type syntaxError struct{}

func (syntaxError) Error() string { return "syntax error" }

var errSyntax error = syntaxError{}
