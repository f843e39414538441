package contract

import (
	"encoding/json"
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// issueTodo is oa.todo version 1 exactly as the queue issue shows it.
const issueTodo = `{"v":1,"id":"ev-1","type":"created","todo":{"id":"todo-8812","assignee":"zhangwei","title":"关于加强电子政务建设的通知","doc_number":"秀政发〔2004〕12号","urgency":"特急","due":"2026-11-26T17:00:00+08:00","actions":["approve","return"]}}`

func TestDecodeIssueTodo(t *testing.T) {
	ev, err := Decode[TodoEvent]([]byte(issueTodo))
	if err != nil {
		t.Fatal(err)
	}
	due, _ := time.Parse(time.RFC3339, "2026-11-26T17:00:00+08:00")
	want := Todo{ID: "todo-8812", Assignee: "zhangwei", Title: "关于加强电子政务建设的通知",
		DocNumber: "秀政发〔2004〕12号", Urgency: UrgencyTop, Due: due, Actions: []string{"approve", "return"}}
	if ev.Type != TodoCreated || ev.ID != "ev-1" || !ev.Todo.Due.Equal(due) {
		t.Fatalf("got %+v", ev)
	}
	ev.Todo.Due = due
	if !reflect.DeepEqual(ev.Todo, want) {
		t.Fatalf("todo = %+v, want %+v", ev.Todo, want)
	}
	// Encoding gives the same JSON back, Chinese and 〔〕 unescaped.
	out, err := Encode(ev)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != issueTodo {
		t.Fatalf("encode:\n got %s\nwant %s", out, issueTodo)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, body string
		want       error
		text       string
	}{
		{"not json", `{"v":1,`, ErrMalformed, "malformed"},
		{"array", `[1]`, ErrMalformed, "malformed"},
		{"no v", `{"id":"x"}`, ErrVersion, `no "v"`},
		{"v 2", strings.Replace(issueTodo, `"v":1`, `"v":2`, 1), ErrVersion, "version 2 (this build reads version 1)"},
		{"v string", strings.Replace(issueTodo, `"v":1`, `"v":"1"`, 1), ErrMalformed, "malformed"},
		{"due not a time", strings.Replace(issueTodo, `"2026-11-26T17:00:00+08:00"`, `"tomorrow"`, 1), ErrMalformed, "malformed"},
		{"bad type", strings.Replace(issueTodo, `"created"`, `"deleted"`, 1), ErrInvalid, `type "deleted"`},
		{"bad urgency", strings.Replace(issueTodo, `特急`, `急`, 1), ErrInvalid, "todo.urgency"},
		{"bad login", strings.Replace(issueTodo, `zhangwei`, `Zhang Wei`, 1), ErrInvalid, "todo.assignee"},
		{"no todo id", strings.Replace(issueTodo, `"todo-8812"`, `""`, 1), ErrInvalid, "todo.id is empty"},
		{"repeated action", strings.Replace(issueTodo, `"return"]`, `"approve"]`, 1), ErrInvalid, "twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode[TodoEvent]([]byte(tt.body))
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("err = %v, want %v containing %q", err, tt.want, tt.text)
			}
			if !strings.HasPrefix(err.Error(), "oa.todo: ") {
				t.Errorf("error %q does not name the topic", err)
			}
		})
	}
}

// Samples returns one valid event of every topic, for this package's tests.
func samples() []Event {
	at := time.Date(2026, 11, 25, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))
	return []Event{
		TodoEvent{V: 1, ID: NewID(), Type: TodoReassigned, At: at, PreviousAssignee: "lina",
			Todo: Todo{ID: "todo-1", Assignee: "zhangwei", Title: "关于加强电子政务建设的通知", Urgency: UrgencyNormal, Step: "签发"}},
		NotifySMS{V: 1, ID: NewID(), To: "+8613800138000", Text: "【南湖】您有1件待办：关于加强电子政务建设的通知（秀政发〔2004〕12号），请于11月26日前处理。回复1同意 2退回",
			Login: "zhangwei", IdempotencyKey: "todo-1/created", Reason: "todo.created", TodoID: "todo-1"},
		NotifyMail{V: 1, ID: NewID(), ToLogin: "zhangwei", Subject: "【待办】关于加强电子政务建设的通知", Body: "您有1件待办。\r\n请登录办公系统处理。"},
		SMSInbound{V: 1, ID: NewID(), From: "+8613800138000", Text: "1", Received: at, Modem: "modem0"},
		SMSStatus{V: 1, ID: NewID(), SMSID: "42", IdempotencyKey: "todo-1/created", State: SMSFailed, To: "+8613800138000", Error: "+CMS ERROR: 38", At: at},
		OAAction{V: 1, ID: NewID(), TodoID: "todo-1", Login: "zhangwei", Action: "approve", Source: SourceSMS, SourceRef: "01J"},
		PortalCase{V: 1, ID: NewID(), Type: CaseOpened, Case: 42, Number: "2026-000042", Kind: "投诉", Category: "szss", Channel: "web",
			Title: "小区门口路灯不亮", Text: "小区门口的路灯坏了一个月。", Writer: "王某", Mobile: "+8613800138000", Received: at, Due: "2026-12-14"},
		OACase{V: 1, ID: NewID(), Case: 42, Action: CaseReplied, By: "梁晓燕", Note: "路灯已于12月1日修复。", At: at},
		MailCase{V: 1, ID: NewID(), To: "xinxiang@nanhu.local", From: "wang@example.com", FromName: "王芳", Subject: "关于小区路灯的建议",
			Text: "小区门口的路灯坏了。", MessageID: "abc@example.com", Received: at},
	}
}

func TestEveryTopicHasAType(t *testing.T) {
	var names []string
	for _, ev := range samples() {
		names = append(names, ev.Topic())
	}
	var listed []string
	for _, ti := range Topics() {
		listed = append(listed, ti.Name)
		if ti.Dead != ti.Name+".dead" {
			t.Errorf("%s: dead-letter topic %q", ti.Name, ti.Dead)
		}
	}
	sort.Strings(names)
	sort.Strings(listed)
	if !reflect.DeepEqual(names, listed) {
		t.Fatalf("samples cover %v, Topics lists %v", names, listed)
	}
}

func TestRoundTripSamples(t *testing.T) {
	for _, ev := range samples() {
		t.Run(ev.Topic(), func(t *testing.T) {
			body, err := Encode(ev)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeAny(ev.Topic(), body)
			if err != nil {
				t.Fatal(err)
			}
			// Compare through JSON: time.Time keeps its location only by offset.
			again, _ := json.Marshal(got)
			first, _ := json.Marshal(ev)
			if string(again) != string(first) {
				t.Fatalf("round trip:\n got %s\nwant %s", again, first)
			}
		})
	}
}

func TestValidateRules(t *testing.T) {
	sms := samples()[1].(NotifySMS)
	tests := []struct {
		name string
		ev   Event
		text string
	}{
		{"sms national number", func() Event { m := sms; m.To = "13800138000"; return m }(), "E.164"},
		{"sms empty text", func() Event { m := sms; m.Text = ""; return m }(), "text is empty"},
		{"sms no key", func() Event { m := sms; m.IdempotencyKey = ""; return m }(), "idempotency_key is empty"},
		{"sms too long", func() Event { m := sms; m.Text = strings.Repeat("南", 1001); return m }(), "at most 1000"},
		{"sms v0", func() Event { m := sms; m.V = 0; return m }(), "v is 0"},
		{"id with space", func() Event { m := sms; m.ID = "a b"; return m }(), "printable ASCII"},
		{"mail subject newline", NotifyMail{V: 1, ID: "x", ToLogin: "a", Subject: "a\nBcc: x"}, "control character"},
		{"mail bad utf8", NotifyMail{V: 1, ID: "x", ToLogin: "a", Subject: "s", Body: "\xff"}, "UTF-8"},
		{"status unknown state", SMSStatus{V: 1, ID: "x", SMSID: "1", IdempotencyKey: "k", State: "lost", To: "+8613800138000"}, "state"},
		{"inbound no time", SMSInbound{V: 1, ID: "x", From: "10086", Modem: "m"}, "received"},
		{"action upper", OAAction{V: 1, ID: "x", TodoID: "t", Login: "a", Action: "Approve", Source: "sms", SourceRef: "r"}, "action"},
		{"case confidential mobile", PortalCase{V: 1, ID: "x", Type: CaseOpened, Case: 1, Number: "2026-000001", Title: "t", Mobile: "+8613800138000", Confidential: true}, "confidential"},
		{"case anonymous writer", PortalCase{V: 1, ID: "x", Type: CaseOpened, Case: 1, Number: "2026-000001", Title: "t", Writer: "王某", Anonymous: true}, "anonymous"},
		{"case rating 6", PortalCase{V: 1, ID: "x", Type: CaseRated, Case: 1, Number: "2026-000001", Rating: 6}, "rating"},
		{"case due not a date", PortalCase{V: 1, ID: "x", Type: CaseOpened, Case: 1, Number: "2026-000001", Title: "t", Due: "12/14"}, "due"},
		{"oa case reply without text", OACase{V: 1, ID: "x", Case: 1, Action: CaseReplied, By: "梁晓燕"}, "note is empty"},
		{"mail case bad from", MailCase{V: 1, ID: "x", To: "xinxiang@nanhu.local", From: "not an address", Received: time.Now()}, "from"},
		{"oa case unknown action", OACase{V: 1, ID: "x", Case: 1, Action: "lost", By: "梁晓燕"}, "action"},
		{"todo done needs no title", TodoEvent{V: 1, ID: "x", Type: TodoDone, Todo: Todo{ID: "t", Assignee: "a"}}, ""},
		{"todo created needs a title", TodoEvent{V: 1, ID: "x", Type: TodoCreated, Todo: Todo{ID: "t", Assignee: "a", Urgency: UrgencyTop}}, "title"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.ev.Validate()
			if tt.text == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.text) {
				t.Fatalf("err = %v, want one containing %q", err, tt.text)
			}
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrVersion) {
				t.Fatalf("err %v wraps neither ErrInvalid nor ErrVersion", err)
			}
		})
	}
}

func TestNewID(t *testing.T) {
	seen := map[string]bool{}
	prev := ""
	for i := 0; i < 1000; i++ {
		id := NewID()
		if len(id) != 26 || seen[id] {
			t.Fatalf("id %q: length %d, seen %v", id, len(id), seen[id])
		}
		if err := checkID("t", "id", id); err != nil {
			t.Fatal(err)
		}
		if id[:10] < prev[:min(len(prev), 10)] {
			t.Fatalf("ids go back in time: %s after %s", id, prev)
		}
		seen[id], prev = true, id
	}
}

func TestDeadLetterBody(t *testing.T) {
	for _, body := range [][]byte{[]byte(`{"v":1,"id":"南"}`), {0xff, 0xfe, '{'}} {
		d := DeadLetter{V: 1, Topic: TopicTodo, Channel: "c", Reason: "r", Cause: "malformed"}
		d.SetBody(body)
		b, _ := json.Marshal(d)
		got, err := DecodeDeadLetter(b)
		if err != nil {
			t.Fatal(err)
		}
		if string(got.Original()) != string(body) {
			t.Fatalf("body %q came back as %q", body, got.Original())
		}
	}
}

// decodeAny decodes body as the type of topic.
func decodeAny(topic string, body []byte) (Event, error) { return DecodeTopic(topic, body) }
