package mailtext

import (
	"encoding/base64"
	"mime/quotedprintable"
	"strings"
	"testing"

	"nanhu/internal/searchtext"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

func enc(t testing.TB, e encoding.Encoding, s string) string {
	t.Helper()
	b, err := e.NewEncoder().String(s)
	if err != nil {
		t.Fatalf("encode %q: %v", s, err)
	}
	return b
}

func qp(s string) string {
	var b strings.Builder
	w := quotedprintable.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

func TestExtractCharsets(t *testing.T) {
	const subject = "关于加强电子政务建设的通知"
	const body = "各单位：为减少城区噪音污染，请于十一月底前报送材料。"
	tests := []struct {
		name string
		raw  string
		want string // a word the body must contain after decoding
	}{
		{"utf-8 8bit", "Subject: =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte(subject)) + "?=\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body, "噪音"},
		{"gb2312 base64", "Subject: =?GB2312?B?" + base64.StdEncoding.EncodeToString([]byte(enc(t, simplifiedchinese.GBK, subject))) + "?=\r\nContent-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString([]byte(enc(t, simplifiedchinese.GBK, body))), "噪音"},
		{"gbk quoted-printable", "Subject: =?GBK?Q?" + strings.ReplaceAll(strings.ReplaceAll(qp(enc(t, simplifiedchinese.GBK, subject)), " ", "_"), "=\r\n", "") + "?=\r\nContent-Type: text/plain; charset=GBK\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + qp(enc(t, simplifiedchinese.GBK, body)), "噪音"},
		{"gb18030 base64", "Subject: =?GB18030?B?" + base64.StdEncoding.EncodeToString([]byte(enc(t, simplifiedchinese.GB18030, subject))) + "?=\r\nContent-Type: text/plain; charset=GB18030\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString([]byte(enc(t, simplifiedchinese.GB18030, body+"𠀀"))), "𠀀"},
		{"big5 8bit", "Subject: =?Big5?B?" + base64.StdEncoding.EncodeToString([]byte(enc(t, traditionalchinese.Big5, "關於加強電子政務建設的通知"))) + "?=\r\nContent-Type: text/plain; charset=big5\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + enc(t, traditionalchinese.Big5, "為減少城區噪音污染"), "噪音"},
		{"undeclared gbk", "Subject: test\r\n\r\n" + enc(t, simplifiedchinese.GBK, body), "噪音"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Extract([]byte(tt.raw))
			if !strings.Contains(d.Body, tt.want) {
				t.Errorf("body %q does not contain %q", d.Body, tt.want)
			}
			if !strings.Contains(d.Subject, "电子政务") && !strings.Contains(d.Subject, "電子政務") && d.Subject != "test" {
				t.Errorf("subject decoded to %q", d.Subject)
			}
		})
	}
}

func TestExtractMultipart(t *testing.T) {
	name := "=?GB2312?B?" + base64.StdEncoding.EncodeToString([]byte(enc(t, simplifiedchinese.GBK, "年度预算.xlsx"))) + "?="
	raw := "From: =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte("张伟")) + "?= <zhangwei@nanhu.local>\r\n" +
		"To: lina@nanhu.local\r\nSubject: budget\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b1\r\n\r\n" +
		"--b1\r\nContent-Type: multipart/alternative; boundary=b2\r\n\r\n" +
		"--b2\r\nContent-Type: text/plain; charset=gb2312\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString([]byte(enc(t, simplifiedchinese.GBK, "财政局预算"))) + "\r\n" +
		"--b2\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>财政局<b>预算</b></p><script>var x='隐藏';</script>\r\n" +
		"--b2--\r\n" +
		"--b1\r\nContent-Type: application/octet-stream; name=\"" + name + "\"\r\nContent-Disposition: attachment; filename=\"" + name + "\"\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\r\n" +
		"--b1\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename*=UTF-8''%E9%80%9A%E7%9F%A5.pdf\r\n\r\nxx\r\n" +
		"--b1--\r\n"
	d := Extract([]byte(raw))
	if !strings.Contains(d.From, "张伟") || !strings.Contains(d.From, "zhangwei@nanhu.local") {
		t.Errorf("From = %q", d.From)
	}
	if !strings.Contains(d.Body, "财政局预算") {
		t.Errorf("body lacks the GB2312 text: %q", d.Body)
	}
	if strings.Contains(d.Body, "隐藏") || strings.Contains(d.Body, "<p>") {
		t.Errorf("body keeps HTML markup or script: %q", d.Body)
	}
	if len(d.Filenames) != 2 || d.Filenames[0] != "年度预算.xlsx" || d.Filenames[1] != "通知.pdf" {
		t.Errorf("file names = %q", d.Filenames)
	}
}

func FuzzExtract(f *testing.F) {
	f.Add([]byte("Subject: =?GB2312?B?xOO6ww==?=\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain; charset=big5\r\n\r\nhi\r\n--x--\r\n"))
	f.Add([]byte("\x00\xff\r\n\r\n"))
	f.Add([]byte("Content-Type: message/rfc822\r\n\r\nContent-Type: message/rfc822\r\n\r\nSubject: x\r\n\r\nbody"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		d := Extract(raw)
		_ = searchtext.Tokens(d.Subject + d.Body)
		if len(d.Body) > MaxBodyText*2 {
			t.Fatalf("body text exceeds the limit: %d", len(d.Body))
		}
	})
}

// TestObsoleteAddresses: addresses in RFC 5322's obsolete syntax, with
// comments and white space inside, are indexed as the addresses they are.
func TestObsoleteAddresses(t *testing.T) {
	for _, c := range []struct{ from, want string }{
		{"<user-from (comment)@ (comment) domain.org>", "user-from@domain.org"},
		{"Wang (the boss) <wang @ example . org>", "wang@example.org"},
		{"\"Li (not a comment)\" <li@x.org>", "Li (not a comment)"},
		{"zhang@x.org (张伟)", "zhang@x.org"},
	} {
		d := Extract([]byte("From: " + c.from + "\r\n\r\nx\r\n"))
		if !strings.Contains(d.From, c.want) {
			t.Errorf("From: %s indexed as %q, want it to hold %q", c.from, d.From, c.want)
		}
	}
}

func FuzzStripComments(f *testing.F) {
	f.Add("<user-from (comment)@ (comment) domain.org>")
	f.Add(`"a \" (b" (c (d) \) e) <f@g>`)
	f.Fuzz(func(t *testing.T, v string) {
		out := StripComments(v)
		if StripComments(out) != out && !strings.ContainsAny(v, `"\`) {
			t.Errorf("StripComments is not idempotent on %q: %q", v, out)
		}
	})
}
