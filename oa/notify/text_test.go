package notify

import (
	"strings"
	"testing"
	"time"

	"nanhu/internal/workcal"
	"nanhu/queue/contract"
)

func TestUnitsAndCut(t *testing.T) {
	tests := []struct {
		s     string
		units int
	}{
		{"", 0},
		{"abc", 3},
		{"南湖", 2},
		{"〔2004〕", 6},
		{"𠀀", 2}, // outside the BMP: a surrogate pair
		{"\xff", 1},
	}
	for _, tt := range tests {
		if got := units(tt.s); got != tt.units {
			t.Errorf("units(%q) = %d, want %d", tt.s, got, tt.units)
		}
	}
	if got := cut("关于加强电子政务建设的通知", 6); got != "关于加强电…" {
		t.Errorf("cut = %q", got)
	}
	if got := cut("关于𠀀建设", 4); got != "关于…" {
		t.Errorf("cut before a pair = %q", got)
	}
	if got := cut("短", 6); got != "短" {
		t.Errorf("cut of a short one = %q", got)
	}
}

func TestTemplatesFitOneSMS(t *testing.T) {
	long := strings.Repeat("关于进一步加强和改进", 10) + "的通知"
	td := todo("t", "zhangwei")
	td.Title = long
	td.Actions = []string{"approve", "return", "reject"}
	longDoc := td
	longDoc.DocNumber = "中共嘉兴市秀洲区委办公室秀洲区人民政府办公室联合发〔2026〕123号"
	loc := workcal.Shanghai()
	items := []awaitItem{{code: "A3", todo: td}, {code: "A2", todo: td}, {code: "A1", todo: td}, {code: "B1", todo: td}, {code: "B2", todo: td}}
	for name, text := range map[string]string{
		"todo":             todoText(td, loc, replyActions(td), ""),
		"todo with a code": todoText(td, loc, replyActions(td), "A3"),
		"long doc number":  todoText(longDoc, loc, replyActions(longDoc), "A3"),
		"overdue":          overdueText(td, loc, replyActions(td), "B7"),
		"escalation":       escalationText(td, "欧阳建国", loc),
		"digest of 2":      digestText([]string{long, long}),
		"digest of 12":     digestText(slicesRepeat(long, 12)),
		"digest short":     digestText([]string{"通知", "会议", long}),
		"confirm":          confirmText("approve", long),
		"help codes":       helpCodes(items),
		"help not allowed": helpNotAllowed("reject", todo("t", "a"), "A3"),
		"help unknown":     helpUnknownCode("Z9"),
		"help":             helpUnrecognised,
		"nothing":          helpNothing,
		"gone":             helpGone,
	} {
		if n := units(text); n > smsUnits {
			t.Errorf("%s: %d units: %s", name, n, text)
		}
		if !strings.HasPrefix(text, "【南湖】") {
			t.Errorf("%s: %s", name, text)
		}
	}
	if got := todoText(longDoc, loc, replyActions(longDoc), "A3"); strings.Contains(got, "联合发") {
		t.Errorf("the long document number should have been dropped: %s", got)
	}
	if got := digestText(slicesRepeat("关于召开全区安全生产工作会议的通知", 12)); !strings.Contains(got, "12件新待办") || !strings.Contains(got, "等。") {
		t.Errorf("digest of 12: %s", got)
	}
}

func slicesRepeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestMail(t *testing.T) {
	td := todo("todo-8812", "zhangwei")
	td.Step, td.URL = "签发", "https://oa.example/todo/8812"
	subject, body := mailFor(td, kindTodo, "", workcal.Shanghai())
	if subject != "【待办】关于加强电子政务建设的通知" {
		t.Errorf("subject %q", subject)
	}
	for _, want := range []string{"标题：关于加强电子政务建设的通知\r\n", "文号：秀政发〔2004〕12号\r\n", "紧急程度：平件\r\n",
		"办理时限：2026年11月26日 17:00\r\n", "办理环节：签发\r\n", "链接：https://oa.example/todo/8812\r\n"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	m := contract.NotifyMail{V: 1, ID: "x", ToLogin: "zhangwei", Subject: subject, Body: body}
	if err := m.Validate(); err != nil {
		t.Error(err)
	}
	subject, _ = mailFor(td, kindEscalation, "黄磊", time.UTC)
	if subject != "【催办】黄磊的待办已逾期：关于加强电子政务建设的通知" {
		t.Errorf("subject %q", subject)
	}
}

func TestExpectedTextsAreSeventyUnitsAtMost(t *testing.T) {
	for _, s := range []string{
		issueText,
		"【南湖】您有1件待办：关于印发《秀洲区推进政务信息资源共享和电子政…（秀政发〔2004〕12号），请于11月26日前处理。回复1同意 2退回",
		"【南湖】您有1件待办：关于报送2026年度工作…（秀政发〔2004〕12号），请于11月26日前处理。回复“1 A2”同意 “2 A2”退回",
	} {
		if n := units(s); n > smsUnits {
			t.Errorf("%d units: %s", n, s)
		}
	}
	if n := units(issueText); n != 60 {
		t.Errorf("the issue's text has %d units, want 60", n)
	}
}
