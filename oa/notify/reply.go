package notify

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"nanhu/queue/contract"
)

// reply is an SMS answer to a notification: "1", "同意", "1 A3", "A3 退回",
// "同意，请抓紧落实".
type reply struct {
	action  string // a contract action, e.g. "approve"
	code    string // the short code, upper case, or ""
	comment string // free text after the answer, or ""
}

// maxComment is the most of a reply's text kept as the action's comment.
const maxComment = 500

// replyWords are the words a reply may use, longest first so that 不同意
// is not read as 同意.
var replyWords = []struct{ word, action string }{
	{"不同意", "reject"},
	{"同意", "approve"},
	{"退回", "return"},
	{"驳回", "reject"},
}

// parseReply reads an SMS reply. Each character is read as its NFKC form,
// so full-width digits and letters (１, Ａ３) count as ASCII; a comment
// keeps the characters as they came. An answer is an
// action (a digit of smsActions or a word of replyWords) and at most one
// code (a letter and a digit), in either order, with or without spaces,
// brackets or punctuation between; the action may be repeated ("1同意").
// Text after them, set apart by a separator or starting with a character
// that is not ASCII, is a comment. Anything else is not an answer.
func parseReply(text string) (reply, bool) {
	orig, s := fold(text)
	var r reply
	i := 0
	skip := func() {
		for i < len(s) && isSep(s[i]) {
			i++
		}
	}
	for {
		skip()
		if i >= len(s) {
			break
		}
		if a, n := actionAt(s, i); n > 0 {
			if r.action != "" && r.action != a {
				return reply{}, false // "1退回": which one?
			}
			r.action = a
			i += n
			continue
		}
		if r.code == "" {
			if c, n := codeTokenAt(s, i); n > 0 {
				r.code = c
				i += n
				continue
			}
		}
		break
	}
	if r.action == "" {
		return reply{}, false
	}
	if i < len(s) {
		if !isSep(s[i-1]) && isASCIIAlnum(s[i-1]) && isASCIIAlnum(s[i]) {
			return reply{}, false // "1X", "12": not an answer with a comment
		}
		r.comment = cleanComment(string(orig[i:]))
	}
	return r, true
}

// fold returns the runes of text and, index for index, their NFKC forms
// where that is one rune.
func fold(text string) (orig, folded []rune) {
	orig = []rune(text)
	folded = make([]rune, len(orig))
	for i, r := range orig {
		folded[i] = r
		if r >= 0x80 {
			if f := []rune(norm.NFKC.String(string(r))); len(f) == 1 {
				folded[i] = f[0]
			}
		}
	}
	return orig, folded
}

func isSep(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsControl(r)
}

func isASCIIAlnum(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

func isDigit(s []rune, i int) bool { return i < len(s) && s[i] >= '0' && s[i] <= '9' }

// actionAt reads an action at s[i:]: a digit of smsActions not followed by
// another digit, or a word; n is how many runes it took.
func actionAt(s []rune, i int) (action string, n int) {
	if isDigit(s, i) && !isDigit(s, i+1) {
		for _, a := range smsActions {
			if a.digit == string(s[i]) {
				return a.action, 1
			}
		}
		return "", 0
	}
	for _, w := range replyWords {
		ww := []rune(w.word)
		if i+len(ww) <= len(s) && string(s[i:i+len(ww)]) == w.word {
			return w.action, len(ww)
		}
	}
	return "", 0
}

// codeTokenAt reads a short code at s[i:]: an ASCII letter and a digit,
// the letter not glued to a letter before it.
func codeTokenAt(s []rune, i int) (code string, n int) {
	if i+1 >= len(s) || !isDigit(s, i+1) {
		return "", 0
	}
	c := unicode.ToUpper(s[i])
	if c < 'A' || c > 'Z' {
		return "", 0
	}
	if i > 0 && isASCIIAlnum(s[i-1]) && !isDigit(s, i-1) {
		return "", 0
	}
	return string(c) + string(s[i+1]), 2
}

// cleanComment trims separators off the ends, turns control characters
// into spaces and keeps at most maxComment characters.
func cleanComment(c string) string {
	c = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, c)
	c = strings.TrimFunc(c, isSep)
	if rs := []rune(c); len(rs) > maxComment {
		c = strings.TrimFunc(string(rs[:maxComment]), isSep)
	}
	return c
}

// e164 turns the originator of an SMS into E.164 when it is a phone
// number: +8613800000102, 008613800000102, 8613800000102 and the national
// 13800000102 all give +8613800000102.
func e164(from string) (string, bool) {
	f := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, from)
	switch {
	case strings.HasPrefix(f, "+"):
	case strings.HasPrefix(f, "00"):
		f = "+" + f[2:]
	case len(f) == 11 && f[0] == '1':
		f = "+86" + f
	case len(f) == 13 && strings.HasPrefix(f, "861"):
		f = "+" + f
	default:
		return "", false
	}
	if len(f) < 8 || len(f) > 16 {
		return "", false
	}
	for _, c := range f[1:] {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return f, true
}

// helpPerHour bounds the help SMS one person gets in an hour, so that an
// auto-replying phone and routing do not talk to each other for ever.
const helpPerHour = 3

// HandleInbound handles one SMS received by a gateway. An SMS from a
// registered mobile is an answer to a notification: it becomes an
// oa.action for the to-do it answers (only an action that to-do allows,
// only from its assignee's own number) confirmed by SMS, or it gets a
// short help SMS. Every inbound SMS and what became of it is logged in
// notify.db; a redelivered one does nothing. An SMS from any other
// number gives ErrNotForUs and is left to the portal.
func (n *Notifier) HandleInbound(ctx context.Context, m contract.SMSInbound) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	from, ok := e164(m.From)
	if !ok {
		return ErrNotForUs
	}
	users, err := n.org.UsersByMobile(ctx, from)
	if err != nil {
		return fmt.Errorf("notify: sms.inbound %s: %w", m.ID, err)
	}
	if len(users) == 0 {
		return ErrNotForUs
	}
	var logins []string
	for _, u := range users {
		if !u.Disabled {
			logins = append(logins, u.Login)
		}
	}
	n.mu.Lock()
	err = n.st.update(ctx, func(tx *sql.Tx) error {
		o := &op{n: n, ctx: ctx, tx: tx, now: n.now()}
		seen, err := markProcessed(ctx, tx, "inbound", m.ID, o.now)
		if err != nil || seen {
			return err
		}
		return o.reply(m, from, users[0].Login, logins)
	})
	n.mu.Unlock()
	if err != nil {
		return fmt.Errorf("notify: sms.inbound %s: %w", m.ID, err)
	}
	n.drain(ctx, false)
	return nil
}

// awaitItem is a notification that awaits an answer, with its to-do.
type awaitItem struct {
	login, code string
	todo        contract.Todo
}

func (o *op) reply(m contract.SMSInbound, from, owner string, logins []string) error {
	text := []rune(m.Text)
	if len(text) > 200 {
		text = append(text[:200], '…')
	}
	if err := o.record(entry{m.ID, "", owner, "inbound", fmt.Sprintf("from %s: %q", from, string(text))}); err != nil {
		return err
	}
	if len(logins) == 0 {
		return o.record(entry{m.ID, "", owner, "refused", "the account is disabled"})
	}
	owner = logins[0]
	r, ok := parseReply(m.Text)
	if !ok {
		return o.help(m, from, owner, "", helpUnrecognised, "not an answer")
	}
	rows, err := awaitingOf(o.ctx, o.tx, logins)
	if err != nil {
		return err
	}
	var items []awaitItem
	staleCode := false
	for _, a := range rows {
		t, known, err := loadTodo(o.ctx, o.tx, a.todoID)
		if err != nil {
			return err
		}
		if !known || !t.open || t.todo.Assignee != a.login {
			if err := deleteAwait(o.ctx, o.tx, a.login, a.todoID); err != nil {
				return err
			}
			staleCode = staleCode || a.code == r.code
			continue
		}
		items = append(items, awaitItem{a.login, a.code, t.todo})
	}
	var it awaitItem
	switch {
	case r.code != "":
		var match []awaitItem
		for _, x := range items {
			if x.code == r.code {
				match = append(match, x)
			}
		}
		switch {
		case len(match) == 1:
			it = match[0]
		case staleCode && len(match) == 0:
			return o.help(m, from, owner, "", helpGone, "code "+r.code+": the to-do is done or moved")
		default:
			return o.help(m, from, owner, "", helpUnknownCode(r.code), "unknown code "+r.code)
		}
	case len(items) == 0 && len(rows) > 0:
		return o.help(m, from, owner, "", helpGone, "the to-do is done or moved")
	case len(items) == 0:
		return o.help(m, from, owner, "", helpNothing, "nothing awaits an answer")
	case len(items) > 1:
		return o.help(m, from, owner, "", helpCodes(items), fmt.Sprintf("%d to-dos await an answer; no code", len(items)))
	default:
		it = items[0]
	}
	if !it.todo.Allows(r.action) {
		code := ""
		if len(items) > 1 {
			code = it.code
		}
		return o.help(m, from, it.login, it.todo.ID, helpNotAllowed(r.action, it.todo, code), r.action+" is not allowed")
	}
	a := contract.OAAction{V: contract.OAActionVersion, ID: key("sms", m.ID), TodoID: it.todo.ID, Login: it.login,
		Action: r.action, Source: contract.SourceSMS, SourceRef: m.ID, Comment: r.comment, At: m.Received}
	if err := enqueue(o.ctx, o.tx, a, o.now); err != nil {
		return err
	}
	text2 := confirmText(r.action, it.todo.Title)
	c := contract.NotifySMS{V: contract.NotifySMSVersion, ID: contract.NewID(), To: from, Text: text2, Login: it.login,
		IdempotencyKey: key("nt", m.ID, "confirm"), Reason: "reply.confirm", TodoID: it.todo.ID}
	if err := enqueue(o.ctx, o.tx, c, o.now); err != nil {
		return err
	}
	if err := deleteAwait(o.ctx, o.tx, it.login, it.todo.ID); err != nil {
		return err
	}
	detail := r.action
	if r.code != "" {
		detail += " (code " + r.code + ")"
	}
	if r.comment != "" {
		detail += fmt.Sprintf(" comment %q", r.comment)
	}
	return o.record(entry{m.ID, it.todo.ID, it.login, "action", detail})
}

// help answers a reply that did not become an action, at most
// helpPerHour times an hour per person.
func (o *op) help(m contract.SMSInbound, to, login, todoID, text, why string) error {
	n, err := countDecisions(o.ctx, o.tx, login, "help", o.now.Add(-time.Hour))
	if err != nil {
		return err
	}
	if n >= helpPerHour {
		return o.record(entry{m.ID, todoID, login, "help withheld", why + fmt.Sprintf("; %d help SMS in the last hour", n)})
	}
	s := contract.NotifySMS{V: contract.NotifySMSVersion, ID: contract.NewID(), To: to, Text: text, Login: login,
		IdempotencyKey: key("nt", m.ID, "help"), Reason: "reply.help", TodoID: todoID}
	if err := enqueue(o.ctx, o.tx, s, o.now); err != nil {
		return err
	}
	return o.record(entry{m.ID, todoID, login, "help", why})
}
