package notify

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf16"

	"nanhu/queue/contract"
)

// smsUnits is what one SMS holds in UCS2: 70 UTF-16 code units. Every
// template here aims at one SMS; only a text that cannot be cut to fit
// (a very long document number) goes out in parts.
const smsUnits = 70

// minTitle is the fewest units a title is cut to, "…" included; below
// that the document number is dropped first.
const minTitle = 8

// units counts UTF-16 code units, as the network does for UCS2 SMS.
func units(s string) int {
	n := 0
	for _, r := range s {
		n += max(1, utf16.RuneLen(r)) // ranging gives U+FFFD for bad bytes
	}
	return n
}

// cut shortens s to at most limit units, ending it with "…" when
// anything was cut.
func cut(s string, limit int) string {
	if units(s) <= limit {
		return s
	}
	if limit < 1 {
		return ""
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		l := max(1, utf16.RuneLen(r))
		if n+l > limit-1 {
			break
		}
		b.WriteRune(r)
		n += l
	}
	return b.String() + "…"
}

// fit builds a text around title and cuts the title so that the whole
// fits in one SMS. alt, when not nil, builds a shorter text (without the
// document number) for when the title would otherwise shrink below
// minTitle.
func fit(title string, build, alt func(title string) string) string {
	try := func(build func(string) string) (string, bool) {
		full := build(title)
		over := units(full) - smsUnits
		if over <= 0 {
			return full, true
		}
		budget := units(title) - over
		if budget < minTitle {
			return build(cut(title, minTitle)), false
		}
		return build(cut(title, budget)), true
	}
	text, ok := try(build)
	if ok || alt == nil {
		return text
	}
	text, _ = try(alt)
	return text
}

// smsAction is an action an SMS reply can ask for: its digit and word.
type smsAction struct {
	action string // the contract's action name
	digit  string
	word   string
}

// smsActions are the actions a reply can name, in the order the hints
// list them. The digits are fixed, whatever a to-do allows, so that "1"
// always means 同意.
var smsActions = []smsAction{
	{"approve", "1", "同意"},
	{"return", "2", "退回"},
	{"reject", "3", "驳回"},
}

// replyActions returns the SMS actions that todo allows, in hint order.
func replyActions(todo contract.Todo) []smsAction {
	var out []smsAction
	for _, a := range smsActions {
		if todo.Allows(a.action) {
			out = append(out, a)
		}
	}
	return out
}

// actionWord returns the word for an action, e.g. 同意.
func actionWord(action string) string {
	for _, a := range smsActions {
		if a.action == action {
			return a.word
		}
	}
	return action
}

// hint is the reply hint: "回复1同意 2退回", or with a short code
// "回复“1 A3”同意 “2 A3”退回"; "" when no reply is possible.
func hint(actions []smsAction, code string) string {
	if len(actions) == 0 {
		return ""
	}
	parts := make([]string, len(actions))
	for i, a := range actions {
		if code == "" {
			parts[i] = a.digit + a.word
		} else {
			parts[i] = "“" + a.digit + " " + code + "”" + a.word
		}
	}
	return "回复" + strings.Join(parts, " ")
}

// dueDate is "11月26日" in loc.
func dueDate(due time.Time, loc *time.Location) string {
	d := due.In(loc)
	return fmt.Sprintf("%d月%d日", int(d.Month()), d.Day())
}

// docSuffix is "（秀政发〔2004〕12号）" or "".
func docSuffix(doc string) string {
	if doc == "" {
		return ""
	}
	return "（" + doc + "）"
}

// todoText is the SMS for one new to-do:
// 【南湖】您有1件待办：关于加强电子政务建设的通知（秀政发〔2004〕12号），请于11月26日前处理。回复1同意 2退回
func todoText(todo contract.Todo, loc *time.Location, actions []smsAction, code string) string {
	deadline := "请及时处理。"
	if !todo.Due.IsZero() {
		deadline = "请于" + dueDate(todo.Due, loc) + "前处理。"
	}
	h := hint(actions, code)
	build := func(doc string) func(string) string {
		return func(title string) string {
			return "【南湖】您有1件待办：" + title + docSuffix(doc) + "，" + deadline + h
		}
	}
	return fit(todo.Title, build(todo.DocNumber), build(""))
}

// overdueText is the 催办 SMS to the assignee:
// 【南湖】催办：您的待办“关于加强电子政务建设的通知”已逾期（时限11月26日），请尽快处理。回复1同意 2退回
func overdueText(todo contract.Todo, loc *time.Location, actions []smsAction, code string) string {
	limit := ""
	if !todo.Due.IsZero() {
		limit = "（时限" + dueDate(todo.Due, loc) + "）"
	}
	h := hint(actions, code)
	return fit(todo.Title, func(title string) string {
		return "【南湖】催办：您的待办“" + title + "”已逾期" + limit + "，请尽快处理。" + h
	}, nil)
}

// escalationText is the 催办 SMS to the assignee's leader:
// 【南湖】催办：张伟的待办“关于加强电子政务建设的通知”已逾期（时限11月26日），请督促办理。
func escalationText(todo contract.Todo, assigneeName string, loc *time.Location) string {
	limit := ""
	if !todo.Due.IsZero() {
		limit = "（时限" + dueDate(todo.Due, loc) + "）"
	}
	return fit(todo.Title, func(title string) string {
		return "【南湖】催办：" + assigneeName + "的待办“" + title + "”已逾期" + limit + "，请督促办理。"
	}, nil)
}

// digestText gathers several to-dos into one SMS:
// 【南湖】您有3件新待办：关于…；关于…；关于…。请登录办公系统处理。
// Titles share what room there is; when each would get less than
// minTitle, only the first ones are named, followed by 等.
func digestText(titles []string) string {
	head := fmt.Sprintf("【南湖】您有%d件新待办：", len(titles))
	const tail = "。请登录办公系统处理。"
	for shown := len(titles); shown >= 1; shown-- {
		more := ""
		if shown < len(titles) {
			more = "等"
		}
		room := smsUnits - units(head) - units(tail) - units(more) - (shown - 1) // "；" between titles
		each := room / shown
		if each < minTitle && shown > 1 {
			continue
		}
		parts := make([]string, shown)
		// Short titles leave room for long ones: give each what it needs
		// up to an equal share of what is left.
		left := room
		for i, t := range titles[:shown] {
			share := left / (shown - i)
			parts[i] = cut(t, max(share, minTitle))
			left -= units(parts[i])
		}
		return head + strings.Join(parts, "；") + more + tail
	}
	return head + tail // not reached: shown 1 always returns
}

// confirmText answers a reply that became an action:
// 【南湖】已收到您的回复：同意“关于加强电子政务建设的通知”，系统将据此办理。
func confirmText(action, title string) string {
	word := actionWord(action)
	return fit(title, func(title string) string {
		return "【南湖】已收到您的回复：" + word + "“" + title + "”，系统将据此办理。"
	}, nil)
}

// The help SMS, each within one SMS.
const (
	helpUnrecognised = "【南湖】未能识别您的回复。请按短信提示回复数字，如“1”；有多件待办时加代码，如“1 A3”。"
	helpNothing      = "【南湖】您当前没有等待短信回复的待办，请登录办公系统处理。"
	helpGone         = "【南湖】该待办已办结或已转交他人，无需回复。"
)

// helpCodes asks for a code and lists what awaits an answer, the latest
// first, at most helpListed of them:
// 【南湖】您有2件待办等待回复，请加代码，如“1 A3”：A3 关于…；A2 关于…
func helpCodes(items []awaitItem) string {
	head := fmt.Sprintf("【南湖】您有%d件待办等待回复，请加代码，如“1 %s”：", len(items), items[0].code)
	shown := items[:min(len(items), helpListed)]
	more := ""
	if len(shown) < len(items) {
		more = "等"
	}
	left := smsUnits - units(head) - units(more) - (len(shown) - 1)
	parts := make([]string, len(shown))
	for i, it := range shown {
		share := left / (len(shown) - i)
		parts[i] = it.code + " " + cut(it.todo.Title, max(share-units(it.code)-1, 4))
		left -= units(parts[i])
	}
	return head + strings.Join(parts, "；") + more
}

// helpListed is how many awaiting to-dos a help SMS names.
const helpListed = 4

// helpUnknownCode: the code names nothing that awaits an answer.
func helpUnknownCode(code string) string {
	return "【南湖】代码" + code + "没有对应的待办，请核对短信中的代码后回复，如“1 A3”。"
}

// helpNotAllowed: the to-do does not allow the action by SMS.
func helpNotAllowed(action string, todo contract.Todo, code string) string {
	h := hint(replyActions(todo), code)
	if h == "" {
		return "【南湖】该待办不能通过短信" + actionWord(action) + "，请登录办公系统处理。"
	}
	return "【南湖】该待办不能通过短信" + actionWord(action) + "，可" + h + "。"
}

// mailFor is the notification mail for a to-do. kind is "todo",
// "overdue" or "escalation"; assigneeName is used for "escalation".
func mailFor(todo contract.Todo, kind, assigneeName string, loc *time.Location) (subject, body string) {
	var b strings.Builder
	switch kind {
	case kindOverdue:
		subject = "【催办】" + todo.Title + "（已逾期）"
		b.WriteString("您的待办已逾期，请尽快处理。\r\n\r\n")
	case kindEscalation:
		subject = "【催办】" + assigneeName + "的待办已逾期：" + todo.Title
		b.WriteString(assigneeName + "的待办已逾期，请督促办理。\r\n\r\n")
	default:
		subject = "【待办】" + todo.Title
		b.WriteString("您有1件待办。\r\n\r\n")
	}
	line := func(k, v string) {
		if v != "" {
			b.WriteString(k + "：" + v + "\r\n")
		}
	}
	line("标题", todo.Title)
	line("文号", todo.DocNumber)
	line("紧急程度", string(todo.Urgency))
	if !todo.Due.IsZero() {
		line("办理时限", todo.Due.In(loc).Format("2006年1月2日 15:04"))
	}
	line("办理环节", todo.Step)
	line("链接", todo.URL)
	b.WriteString("\r\n请登录办公系统处理。\r\n")
	return cut(subject, 200), b.String()
}
