package mailserver

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/traditionalchinese"
)

func TestCaseEvent(t *testing.T) {
	big5, _ := traditionalchinese.Big5.NewEncoder().String("路燈壞了，請盡快修理。")
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name, raw, from, fromName, subject, text string
	}{
		{"utf-8 with a name", "From: =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte("王芳")) + "?= <wang@example.org>\r\nSubject: =?UTF-8?B?" +
			base64.StdEncoding.EncodeToString([]byte("路灯不亮")) + "?=\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n路灯不亮了。\r\n",
			"wang@example.org", "王芳", "路灯不亮", "路灯不亮了。"},
		{"big5 body", "From: chen@example.tw\r\nSubject: lamp\r\nContent-Type: text/plain; charset=big5\r\n\r\n" + big5 + "\r\n",
			"chen@example.tw", "", "lamp", "路燈壞了，請盡快修理。"},
		{"no From header: the envelope", "Subject: x\r\n\r\nhello\r\n", "env@example.org", "", "x", "hello"},
		{"a From that is no address", "From: garbage\r\nSubject: x\r\n\r\nhello\r\n", "env@example.org", "", "x", "hello"},
		{"control characters dropped", "From: a@example.org\r\nSubject: a\x01b\r\n\r\nline\x00one\r\nline two\r\n", "a@example.org", "", "a b", "lineone\nline two"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ev := caseEvent("env@example.org", "XinXiang@nanhu.local", []byte(c.raw), now)
			if err := ev.Validate(); err != nil {
				t.Fatal(err)
			}
			if ev.From != c.from || ev.FromName != c.fromName || ev.Subject != c.subject || ev.Text != c.text || ev.To != "xinxiang@nanhu.local" {
				t.Fatalf("got from %q name %q subject %q text %q to %q", ev.From, ev.FromName, ev.Subject, ev.Text, ev.To)
			}
		})
	}
}

func FuzzCaseEvent(f *testing.F) {
	f.Add([]byte("From: a@example.org\r\nSubject: x\r\n\r\nhello\r\n"))
	f.Add([]byte("From: =?GB2312?B?zfXmwA==?= <a@b.c>\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\nbody\r\n--x--\r\n"))
	f.Add([]byte(strings.Repeat("a", 3000)))
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev := caseEvent("env@example.org", "xinxiang@nanhu.local", raw, time.Now())
		if err := ev.Validate(); err != nil {
			t.Fatalf("the event of a mail the server took is invalid: %v", err)
		}
	})
}
