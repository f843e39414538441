package imapd

import (
	"context"
	"encoding/base64"
	"fmt"
	"mime/quotedprintable"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"

	"nanhu/mailserver/store"
)

func encode(t *testing.T, e encoding.Encoding, s string) string {
	b, err := e.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func qpEncode(s string) string {
	var b strings.Builder
	w := quotedprintable.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

// TestSearchKeys checks every SEARCH key against a small mailbox whose
// right answers are known: Chinese in every charset and transfer encoding,
// RFC 2047 words, attachment names, custom header fields, dates, sizes,
// flags.
func TestSearchKeys(t *testing.T) {
	e := newEnv(t, nil, nil)
	gbk, gb18030, big5 := simplifiedchinese.GBK, simplifiedchinese.GB18030, traditionalchinese.Big5
	msgs := []struct {
		raw   string
		date  time.Time
		flags []string
	}{
		// 1: UTF-8, plain ASCII words
		{"From: Zhang Wei <zhangwei@nanhu.local>\r\nTo: lina@nanhu.local\r\nSubject: Hello World\r\nDate: Mon, 02 Nov 2026 10:00:00 +0800\r\nX-Priority-Note: urgent-review\r\n\r\nThe weekly report is attached.\r\n",
			time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC), nil},
		// 2: GB2312 (GBK) base64 body, RFC 2047 GB2312 subject
		{"From: =?GB2312?B?" + b64(encode(t, gbk, "李娜")) + "?= <lina@nanhu.local>\r\nSubject: =?GB2312?B?" + b64(encode(t, gbk, "关于城区噪音治理的通知")) + "?=\r\nDate: Tue, 10 Nov 2026 09:00:00 +0800\r\nContent-Type: text/plain; charset=GB2312\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(encode(t, gbk, "请各单位于月底前报送材料。")) + "\r\n",
			time.Date(2026, 11, 10, 9, 0, 0, 0, time.UTC), []string{`\Seen`}},
		// 3: GB18030 base64 with a four-byte character, Big5 attachment name
		{"From: a@example.org\r\nSubject: =?GB18030?B?" + b64(encode(t, gb18030, "年度预算")) + "?=\r\nDate: Fri, 20 Nov 2026 09:00:00 +0800\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=GB18030\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(encode(t, gb18030, "财政局噪音预算𠀀说明")) + "\r\n--b\r\nContent-Type: application/pdf; name=\"=?Big5?B?" + b64(encode(t, big5, "環保報告.pdf")) + "?=\"\r\nContent-Disposition: attachment; filename=\"=?Big5?B?" + b64(encode(t, big5, "環保報告.pdf")) + "?=\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n",
			time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), []string{`\Flagged`, "$Important"}},
		// 4: UTF-8 quoted-printable with a soft line break inside a word, full-width letters
		{"From: b@example.org\r\nTo: =?UTF-8?Q?=E7=8E=8B=E5=BB=BA=E5=9B=BD?= <wangjianguo@nanhu.local>\r\nSubject: =?UTF-8?B?" + b64("ＮＡＮＨＵ 会议纪要") + "?=\r\nDate: Sat, 21 Nov 2026 09:00:00 +0800\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + qpEncode(strings.Repeat("会", 20)+"电子政务建设会议于明天召开。") + "\r\n",
			time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC), []string{`\Deleted`}},
	}
	for _, m := range msgs {
		if _, err := e.st.Deliver(context.Background(), store.Delivery{Recipients: []store.Recipient{{Owner: "lina"}}, Raw: []byte(m.raw), InternalDate: m.date, Flags: m.flags}); err != nil {
			t.Fatal(err)
		}
	}
	c := e.login(t, "lina", nil)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	// Expected answers for the size keys, from the sizes themselves.
	sizeSet := func(keep func(int) bool) string {
		var uids []imap.UID
		for i, m := range msgs {
			if keep(len(m.raw)) {
				uids = append(uids, imap.UID(i+1))
			}
		}
		return fmt.Sprint(uids)
	}
	larger := func(n int) string { return sizeSet(func(s int) bool { return s > n }) }
	smaller := func(n int) string { return sizeSet(func(s int) bool { return s < n }) }
	day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name string
		c    imap.SearchCriteria
		want string
	}{
		{"TEXT ascii substring", imap.SearchCriteria{Text: []string{"ell"}}, "[1]"},
		{"TEXT case-insensitive", imap.SearchCriteria{Text: []string{"WEEKLY"}}, "[1]"},
		{"TEXT Chinese GB2312 subject", imap.SearchCriteria{Text: []string{"噪音"}}, "[2 3]"},
		{"BODY Chinese GB18030 base64", imap.SearchCriteria{Body: []string{"噪音"}}, "[3]"},
		{"BODY four-byte GB18030 char", imap.SearchCriteria{Body: []string{"𠀀"}}, "[3]"},
		{"BODY across a QP soft break", imap.SearchCriteria{Body: []string{"电子政务"}}, "[4]"},
		{"TEXT Big5 attachment name", imap.SearchCriteria{Text: []string{"環保報告"}}, "[3]"},
		{"SUBJECT full-width folded", imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: "nanhu"}}}, "[4]"},
		{"FROM Chinese display name", imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "From", Value: "李娜"}}}, "[2]"},
		{"TO RFC 2047 Q", imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "To", Value: "王建国"}}}, "[4]"},
		{"FROM address", imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "From", Value: "example.org"}}}, "[3 4]"},
		{"HEADER custom field", imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "X-Priority-Note", Value: "review"}}}, "[1]"},
		{"HEADER field present", imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "To", Value: ""}}}, "[1 4]"},
		{"TEXT in a custom field", imap.SearchCriteria{Text: []string{"urgent-review"}}, "[1]"},
		{"absent word", imap.SearchCriteria{Text: []string{"政府"}}, "[]"},
		{"NOT", imap.SearchCriteria{Not: []imap.SearchCriteria{{Text: []string{"噪音"}}}}, "[1 4]"},
		{"OR", imap.SearchCriteria{Or: [][2]imap.SearchCriteria{{{Body: []string{"weekly"}}, {Body: []string{"会议"}}}}}, "[1 4]"},
		{"SEEN", imap.SearchCriteria{Flag: []imap.Flag{imap.FlagSeen}}, "[2]"},
		{"UNSEEN", imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}, "[1 3 4]"},
		{"KEYWORD", imap.SearchCriteria{Flag: []imap.Flag{"$Important"}}, "[3]"},
		{"DELETED", imap.SearchCriteria{Flag: []imap.Flag{imap.FlagDeleted}}, "[4]"},
		{"SINCE", imap.SearchCriteria{Since: day(20)}, "[3 4]"},
		{"BEFORE", imap.SearchCriteria{Before: day(10)}, "[1]"},
		{"SENTSINCE", imap.SearchCriteria{SentSince: day(11)}, "[3 4]"},
		{"SENTBEFORE", imap.SearchCriteria{SentBefore: day(3)}, "[1]"},
		{"LARGER", imap.SearchCriteria{Larger: int64(len(msgs[1].raw))}, larger(len(msgs[1].raw))},
		{"SMALLER", imap.SearchCriteria{Smaller: int64(len(msgs[1].raw))}, smaller(len(msgs[1].raw))},
		{"UID range", imap.SearchCriteria{UID: []imap.UIDSet{{{Start: 2, Stop: 3}}}}, "[2 3]"},
		{"sequence * ", imap.SearchCriteria{SeqNum: []imap.SeqSet{{{Start: 0, Stop: 0}}}}, "[4]"},
		{"AND of keys", imap.SearchCriteria{Text: []string{"噪音"}, Flag: []imap.Flag{imap.FlagFlagged}}, "[3]"},
	}
	for _, tt := range tests {
		data, err := c.UIDSearch(&tt.c, nil).Wait()
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got := fmt.Sprint(data.AllUIDs()); got != tt.want {
			t.Errorf("%s: UIDs %s, want %s", tt.name, got, tt.want)
		}
	}
}
