package notify

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"nanhu/queue/contract"
)

func TestParseReply(t *testing.T) {
	tests := []struct {
		text string
		want reply
		ok   bool
	}{
		{"1", reply{action: "approve"}, true},
		{"2", reply{action: "return"}, true},
		{"3", reply{action: "reject"}, true},
		{" 1 ", reply{action: "approve"}, true},
		{"１", reply{action: "approve"}, true}, // full-width
		{"同意", reply{action: "approve"}, true},
		{"同意。", reply{action: "approve"}, true},
		{"退回", reply{action: "return"}, true},
		{"不同意", reply{action: "reject"}, true},
		{"驳回", reply{action: "reject"}, true},
		{"1同意", reply{action: "approve"}, true},
		{"1 A3", reply{action: "approve", code: "A3"}, true},
		{"1a3", reply{action: "approve", code: "A3"}, true},
		{"A3 1", reply{action: "approve", code: "A3"}, true},
		{"A31", reply{action: "approve", code: "A3"}, true},
		{"[A3]2", reply{action: "return", code: "A3"}, true},
		{"【A3】退回", reply{action: "return", code: "A3"}, true},
		{"“1 A3”", reply{action: "approve", code: "A3"}, true},
		{"同意A3", reply{action: "approve", code: "A3"}, true},
		{"Ａ３　１", reply{action: "approve", code: "A3"}, true},
		{"同意，请办公室抓紧落实", reply{action: "approve", comment: "请办公室抓紧落实"}, true},
		{"退回 A3 数据有误，请核实", reply{action: "return", code: "A3", comment: "数据有误，请核实"}, true},
		{"1 ok", reply{action: "approve", comment: "ok"}, true},
		{"2 A3 B4", reply{action: "return", code: "A3", comment: "B4"}, true},
		{"", reply{}, false},
		{"你好", reply{}, false},
		{"A3", reply{}, false},
		{"12", reply{}, false},
		{"4", reply{}, false},
		{"0", reply{}, false},
		{"1退回", reply{}, false},
		{"1 2", reply{}, false},
		{"1X", reply{}, false},
		{"ok", reply{}, false},
		{"同意吗？" + strings.Repeat("好", 600), reply{action: "approve", comment: "吗？" + strings.Repeat("好", maxComment-2)}, true},
	}
	for _, tt := range tests {
		got, ok := parseReply(tt.text)
		if ok != tt.ok || got != tt.want {
			t.Errorf("parseReply(%q) = %+v, %v; want %+v, %v", tt.text, got, ok, tt.want, tt.ok)
		}
	}
}

var codeRe = regexp.MustCompile(`^[A-Z][0-9]$`)

// FuzzParseReply: never panics; what it accepts is a known action, a
// well-formed code and a clean comment, and reads the same again when
// written in the canonical form "<digit> <code> <comment>".
func FuzzParseReply(f *testing.F) {
	for _, s := range []string{"1", "同意", "1 A3", "A31", "[A3]退回", "同意，请抓紧", "１", "不同意 B2 理由", "1X", "12", "\x00", "\xff1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		r, ok := parseReply(text)
		if !ok {
			if r != (reply{}) {
				t.Fatalf("refused %q but returned %+v", text, r)
			}
			return
		}
		digit := ""
		for _, a := range smsActions {
			if a.action == r.action {
				digit = a.digit
			}
		}
		if digit == "" {
			t.Fatalf("%q: unknown action %q", text, r.action)
		}
		if r.code != "" && !codeRe.MatchString(r.code) {
			t.Fatalf("%q: code %q", text, r.code)
		}
		if !utf8.ValidString(r.comment) || utf8.RuneCountInString(r.comment) > maxComment ||
			strings.ContainsFunc(r.comment, unicode.IsControl) {
			t.Fatalf("%q: comment %q", text, r.comment)
		}
		a := contract.OAAction{V: 1, ID: "x", TodoID: "t", Login: "a", Action: r.action, Source: "sms", SourceRef: "r", Comment: r.comment}
		if err := a.Validate(); err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		canon := strings.TrimSpace(digit + " " + r.code + " " + r.comment)
		again, ok := parseReply(canon)
		if !ok || again != r {
			t.Fatalf("%q read as %+v; its canonical form %q reads as %+v, %v", text, r, canon, again, ok)
		}
	})
}

func TestE164(t *testing.T) {
	tests := []struct{ in, want string }{
		{"+8613800000102", "+8613800000102"},
		{"13800000102", "+8613800000102"},
		{"8613800000102", "+8613800000102"},
		{"008613800000102", "+8613800000102"},
		{"+86 138-0000-0102", "+8613800000102"},
		{"10086", ""},
		{"95588", ""},
		{"China Mobile", ""},
		{"+86abc", ""},
	}
	for _, tt := range tests {
		got, ok := e164(tt.in)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("e164(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}

func TestReplies(t *testing.T) {
	const confirm = "【南湖】已收到您的回复：同意“关于加强电子政务建设的通知”，系统将据此办理。"
	type step struct {
		from, text string
		action     string // the OAAction's action, "" for none
		todoID     string
		reply      string // the SMS answer, exact
		err        error
	}
	tests := []struct {
		name  string
		todos []contract.Todo // notified in order, one SMS each (特急, so no digest)
		steps []step
	}{
		{"1 from the assignee", []contract.Todo{todo("todo-8812", "huanglei")}, []step{
			{from: mobileHuang, text: "1", action: "approve", todoID: "todo-8812", reply: confirm},
			{from: mobileHuang, text: "1", reply: helpNothing}, // answered already
		}},
		{"national number and a word", []contract.Todo{todo("todo-8812", "huanglei")}, []step{
			{from: "13900000203", text: "退回 数据有误", action: "return", todoID: "todo-8812",
				reply: "【南湖】已收到您的回复：退回“关于加强电子政务建设的通知”，系统将据此办理。"},
		}},
		{"from another official's number", []contract.Todo{todo("todo-8812", "huanglei")}, []step{
			{from: mobileYang, text: "1", reply: helpNothing},
			{from: mobileYang, text: "1 A1", reply: helpUnknownCode("A1")},
			{from: mobileHuang, text: "1", action: "approve", todoID: "todo-8812", reply: confirm},
		}},
		{"from a number nobody registered", []contract.Todo{todo("todo-8812", "huanglei")}, []step{
			{from: mobileUnknown, text: "1", err: ErrNotForUs},
			{from: "10086", text: "1", err: ErrNotForUs},
		}},
		{"an action the to-do does not allow", []contract.Todo{func() contract.Todo {
			td := todo("todo-8812", "huanglei")
			td.Actions = []string{"approve"}
			return td
		}()}, []step{
			{from: mobileHuang, text: "2", reply: "【南湖】该待办不能通过短信退回，可回复1同意。"},
			{from: mobileHuang, text: "3", reply: "【南湖】该待办不能通过短信驳回，可回复1同意。"},
			{from: mobileHuang, text: "同意", action: "approve", todoID: "todo-8812", reply: confirm},
		}},
		{"not an answer", []contract.Todo{todo("todo-8812", "huanglei")}, []step{
			{from: mobileHuang, text: "收到，谢谢", reply: helpUnrecognised},
			{from: mobileHuang, text: "A1", reply: helpUnrecognised},
		}},
		{"two awaiting: codes required", []contract.Todo{todo("todo-1", "huanglei"), func() contract.Todo {
			td := todo("todo-2", "huanglei")
			td.Title = "关于做好冬季防火工作的通知"
			return td
		}()}, []step{
			{from: mobileHuang, text: "1", reply: "【南湖】您有2件待办等待回复，请加代码，如“1 A2”：A2 关于做好冬季防火工作的通知；A1 关于加强电子政务建设的通知"},
			{from: mobileHuang, text: "1 A9", reply: helpUnknownCode("A9")},
			{from: mobileHuang, text: "A2 同意", action: "approve", todoID: "todo-2",
				reply: "【南湖】已收到您的回复：同意“关于做好冬季防火工作的通知”，系统将据此办理。"},
			// One left: no code needed any more.
			{from: mobileHuang, text: "2", action: "return", todoID: "todo-1",
				reply: "【南湖】已收到您的回复：退回“关于加强电子政务建设的通知”，系统将据此办理。"},
		}},
		{"a shared number answers for whoever awaits", []contract.Todo{todo("todo-8812", "sharer2")}, []step{
			{from: mobileShared, text: "1", action: "approve", todoID: "todo-8812", reply: confirm},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			for i, td := range tt.todos {
				td.Urgency = contract.UrgencyTop
				f.handle(event("ev-"+td.ID, contract.TodoCreated, td))
				sms, _, _ := f.pub.take()
				if len(sms) != 1 {
					t.Fatalf("to-do %d: %d SMS", i, len(sms))
				}
				if i == 1 && !strings.Contains(sms[0].Text, "回复“1 A2”同意 “2 A2”退回") {
					t.Fatalf("second awaiting to-do without its code: %s", sms[0].Text)
				}
			}
			for i, s := range tt.steps {
				id := "in-" + string(rune('a'+i))
				err := f.inbound(id, s.from, s.text)
				if !errors.Is(err, s.err) {
					t.Fatalf("step %d %q from %s: err %v, want %v", i, s.text, s.from, err, s.err)
				}
				sms, _, actions := f.pub.take()
				if s.action == "" && len(actions) != 0 {
					t.Fatalf("step %d %q: actions %+v, want none", i, s.text, actions)
				}
				if s.action != "" {
					if len(actions) != 1 {
						t.Fatalf("step %d %q: %d actions, want 1", i, s.text, len(actions))
					}
					a := actions[0]
					if a.Action != s.action || a.TodoID != s.todoID || a.Source != contract.SourceSMS || a.SourceRef != id || a.ID != "sms/"+id {
						t.Errorf("step %d: action %+v", i, a)
					}
					if owner := tt.todos[0].Assignee; a.Login != owner {
						t.Errorf("step %d: action by %s, want %s", i, a.Login, owner)
					}
				}
				if s.reply == "" {
					if len(sms) != 0 {
						t.Fatalf("step %d: SMS %q", i, texts(sms))
					}
					continue
				}
				if len(sms) != 1 || sms[0].Text != s.reply {
					t.Fatalf("step %d %q: answered\n %q\nwant %q", i, s.text, texts(sms), s.reply)
				}
				if want, _ := e164(s.from); sms[0].To != want {
					t.Errorf("step %d: answer to %s, want %s", i, sms[0].To, want)
				}
				if units(s.reply) > smsUnits {
					t.Errorf("step %d: answer of %d units", i, units(s.reply))
				}
			}
		})
	}
}

func TestRedeliveredReplyActsOnce(t *testing.T) {
	f := newFixture(t)
	f.handle(event("ev-1", contract.TodoCreated, todo("todo-8812", "huanglei")))
	f.pub.take()
	for range 3 {
		if err := f.inbound("in-1", mobileHuang, "1"); err != nil {
			t.Fatal(err)
		}
	}
	sms, _, actions := f.pub.take()
	if len(actions) != 1 || len(sms) != 1 {
		t.Fatalf("%d actions and %d SMS, want 1 and 1", len(actions), len(sms))
	}
	if got := f.decisions("huanglei"); !strings.Contains(strings.Join(got, ","), "inbound,action") {
		t.Errorf("log %v", got)
	}
}

func TestHelpIsRateLimited(t *testing.T) {
	f := newFixture(t)
	for i := range 5 {
		if err := f.inbound("in-"+string(rune('a'+i)), mobileHuang, "在吗"); err != nil {
			t.Fatal(err)
		}
	}
	sms, _, _ := f.pub.take()
	if len(sms) != helpPerHour {
		t.Fatalf("%d help SMS, want %d", len(sms), helpPerHour)
	}
	f.clock.Set(f.clock.Now().Add(time.Hour))
	f.inbound("in-z", mobileHuang, "在吗")
	if sms, _, _ := f.pub.take(); len(sms) != 1 {
		t.Fatalf("an hour later: %d help SMS", len(sms))
	}
}

func TestDisabledAccountCannotReply(t *testing.T) {
	f := newFixture(t)
	if err := f.inbound("in-1", "+8613900000207", "1"); err != nil {
		t.Fatal(err)
	}
	if sms, _, actions := f.pub.take(); len(sms)+len(actions) != 0 {
		t.Fatalf("disabled account answered: %q %+v", texts(sms), actions)
	}
	if got := f.decisions("gone"); !strings.Contains(strings.Join(got, ","), "refused") {
		t.Errorf("log %v", got)
	}
}

// When every short code of a person is in use, the oldest notification
// awaiting an answer gives its code up to the new one; codes stay unique.
func TestCodesWhenAllInUse(t *testing.T) {
	f := newFixture(t)
	const n = codeCount + 3
	codes := make([]string, n)
	for i := range n {
		f.clock.Set(at(25, 9, 30).Add(time.Duration(i) * time.Second))
		td := todo(fmt.Sprintf("todo-%03d", i), "huanglei")
		td.Urgency = contract.UrgencyTop
		f.handle(event(fmt.Sprintf("ev-%03d", i), contract.TodoCreated, td))
		sms, _, _ := f.pub.take()
		if len(sms) != 1 {
			t.Fatalf("to-do %d: %d SMS", i, len(sms))
		}
		if err := f.n.st.db.QueryRow(`SELECT code FROM awaiting WHERE login = 'huanglei' AND todo_id = ?`, td.ID).Scan(&codes[i]); err != nil {
			t.Fatalf("to-do %d: %v", i, err)
		}
		if i > 0 && !strings.Contains(sms[0].Text, "“1 "+codes[i]+"”") {
			t.Fatalf("to-do %d: SMS without its code %s: %s", i, codes[i], sms[0].Text)
		}
	}
	var rows, distinct int
	if err := f.n.st.db.QueryRow(`SELECT count(*), count(DISTINCT code) FROM awaiting WHERE login = 'huanglei'`).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != codeCount || distinct != codeCount {
		t.Fatalf("%d awaiting, %d codes; want %d of each", rows, distinct, codeCount)
	}
	for i := range 3 {
		var left int
		f.n.st.db.QueryRow(`SELECT count(*) FROM awaiting WHERE todo_id = ?`, fmt.Sprintf("todo-%03d", i)).Scan(&left)
		if left != 0 {
			t.Errorf("the oldest to-do %d still awaits an answer", i)
		}
		if codes[codeCount+i] != codes[i] {
			t.Errorf("to-do %d got %s, want the freed %s", codeCount+i, codes[codeCount+i], codes[i])
		}
	}
	// A reply with a reused code acts on its new holder.
	if err := f.inbound("in-1", mobileHuang, "1 "+codes[0]); err != nil {
		t.Fatal(err)
	}
	if _, _, actions := f.pub.take(); len(actions) != 1 || actions[0].TodoID != fmt.Sprintf("todo-%03d", codeCount) {
		t.Fatalf("actions %+v", actions)
	}
}
