package mailserver

import (
	"bytes"
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"

	"nanhu/mailserver/mailtext"
	"nanhu/queue"
	"nanhu/queue/contract"
)

// caseMail hands mail to the citizens' case addresses to the queue
// (mail.case), decoded, for the portal: the mail server never calls the
// portal, and keeps no copy in a mailbox.
type caseMail struct {
	addrs map[string]bool
	q     *queue.Queue
	now   func() time.Time
}

func newCaseMail(addrs []string, q *queue.Queue) *caseMail {
	c := &caseMail{addrs: map[string]bool{}, q: q, now: time.Now}
	for _, a := range addrs {
		c.addrs[strings.ToLower(strings.TrimSpace(a))] = true
	}
	return c
}

func (c *caseMail) IsCaseAddress(addr string) bool { return c.addrs[strings.ToLower(addr)] }

// maxCaseText bounds the text handed over (the case keeps less).
const maxCaseText = 20000

// HandOff publishes the letter; nil means nsqd has it.
func (c *caseMail) HandOff(ctx context.Context, from, rcpt string, raw []byte) error {
	ev := caseEvent(from, rcpt, raw, c.now())
	return queue.Publish(ctx, c.q, ev)
}

// caseEvent is the mail.case event of raw: the writer from the header's
// From (the envelope's sender when it has none), the subject and the
// text parts decoded from whatever charset they were written in.
func caseEvent(from, rcpt string, raw []byte, now time.Time) contract.MailCase {
	d := mailtext.Extract(raw)
	ev := contract.MailCase{V: contract.MailCaseVersion, ID: contract.NewID(), To: strings.ToLower(rcpt), From: from,
		Subject: oneLine(d.Subject, 1000), Text: strings.TrimSpace(d.Body), MessageID: oneLine(d.MessageID, 998), Received: now}
	if ent, err := message.Read(bytes.NewReader(raw)); ent != nil {
		_ = err
		h := mail.Header{Header: ent.Header}
		if list, err := h.AddressList("From"); err == nil && len(list) > 0 && plausible(list[0].Address) {
			ev.From, ev.FromName = list[0].Address, oneLine(list[0].Name, 200)
		}
	}
	if r := []rune(ev.Text); len(r) > maxCaseText {
		ev.Text = string(r[:maxCaseText])
	}
	ev.Text = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || (r < ' ' && r != '\n' && r != '\t') || r == 0x7f {
			return -1
		}
		return r
	}, strings.ReplaceAll(ev.Text, "\r\n", "\n"))
	return ev
}

// oneLine is s without control characters, at most max runes.
func oneLine(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == utf8.RuneError {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > max {
		s = string(r[:max])
	}
	return s
}

// plausible is an address a case can keep as the writer's.
func plausible(a string) bool {
	at := strings.LastIndexByte(a, '@')
	return at > 0 && at < len(a)-1 && len(a) <= 254 && !strings.ContainsAny(a, " \t\r\n<>")
}
