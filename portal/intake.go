package portal

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"nanhu/portal/cases"
	"nanhu/queue"
	"nanhu/queue/contract"
)

// Channel is the channel the portal reads its topics on: sms.inbound
// (beside notification routing's channel: every received SMS reaches
// both, and each takes its own, staff replies there, citizens' texts
// here), oa.case and mail.case.
const Channel = "portal"

// consumeSMS reads citizens' texts from the queue until ctx ends.
func (p *Portal) consumeSMS(ctx context.Context) error {
	c, err := queue.Consume(p.opts.Queue, Channel, p.handleSMS)
	if err != nil {
		return fmt.Errorf("portal: read sms.inbound: %w", err)
	}
	<-ctx.Done()
	c.Stop()
	return nil
}

// handleSMS takes a received SMS from a number that is not a staff
// member's registered mobile: a text that starts with a case's 查询码 adds
// to that case, any other opens one; either way the citizen is answered
// by SMS. A staff member's text is notification routing's. A
// redelivered SMS opens or adds nothing again (its id is the key).
func (p *Portal) handleSMS(ctx context.Context, m contract.SMSInbound) error {
	mobile, ok := strings.CutPrefix(m.From, "+86")
	if !ok || len(mobile) != 11 {
		p.log.Info("sms from a number outside mainland China ignored", "from", m.From, "id", m.ID)
		return nil
	}
	staff, err := p.opts.StaffMobile(ctx, m.From)
	if err != nil {
		return err // redelivered later
	}
	if staff {
		return nil
	}
	text := strings.TrimSpace(m.Text)
	name := p.site.Name()
	if level, ok := ratingReply(text); ok {
		if c, err := p.cases.LatestRateable(ctx, mobile); err == nil {
			c, err = p.cases.Rate(ctx, c.Code, level, cases.SMS, "", "sms-"+m.ID)
			if inv, ok := errors.AsType[*cases.Invalid](err); ok {
				return p.sendSMS(ctx, mobile, "【"+name+"】"+inv.Msg, "case-rate-"+m.ID, "case.rated")
			}
			if err != nil {
				return err
			}
			reply := "感谢您的评价（" + cases.Ratings[level] + "）。"
			if level >= 4 {
				reply += "我们将督促承办部门整改，并回访您。"
			}
			return p.sendSMS(ctx, mobile, "【"+name+"】您对来信 "+c.Number+" 的"+reply, "case-rate-"+m.ID, "case.rated")
		} else if !errors.Is(err, cases.ErrNotFound) {
			return err
		}
		// No answer waits for a rating: the digit is a text like any other.
	}
	if code, rest, ok := leadingCode(text); ok {
		c, err := p.cases.AddInfo(ctx, code, cases.SMS, rest, "sms-"+m.ID)
		switch {
		case err == nil:
			return p.sendSMS(ctx, mobile, "【"+name+"】您补充的内容已加入来信 "+c.Number+"（查询码 "+c.Code+"）。", "case-info-"+m.ID, "case.info")
		case errors.Is(err, cases.ErrNotFound):
			// Not a code after all: a new case, the text whole.
		default:
			if inv, ok := errors.AsType[*cases.Invalid](err); ok {
				return p.sendSMS(ctx, mobile, "【"+name+"】"+inv.Msg, "case-info-"+m.ID, "case.info")
			}
			return err
		}
	}
	c, err := p.cases.Submit(ctx, cases.Submission{Channel: cases.SMS, Kind: cases.Consult, Text: text, Writer: cases.Writer{Mobile: mobile}, Key: "sms-" + m.ID})
	if inv, ok := errors.AsType[*cases.Invalid](err); ok {
		p.log.Info("sms not taken as a case", "from", m.From, "why", inv.Msg)
		return p.sendSMS(ctx, mobile, "【"+name+"】您的短信未能受理："+inv.Msg, "case-refused-"+m.ID, "case.refused")
	}
	if err != nil {
		return err
	}
	p.log.Info("case opened by SMS", "number", c.Number) // the store texts the 查询码
	return nil
}

// ratingReply reads an SMS reply of one digit 1–5 (full-width too) as a
// rating of the answer the citizen was sent.
func ratingReply(text string) (int, bool) {
	text = strings.TrimRight(text, "。. ")
	switch text {
	case "1", "2", "3", "4", "5":
		return int(text[0] - '0'), true
	case "１", "２", "３", "４", "５":
		r, _ := utf8.DecodeRuneInString(text)
		return int(r - '０'), true
	}
	return 0, false
}

// leadingCode finds a 查询码 at the start of text (spaces and a separator
// after it allowed) and the rest of the text.
func leadingCode(text string) (code, rest string, ok bool) {
	var b strings.Builder
	i := 0
	for i < len(text) && b.Len() < cases.CodeLen {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == ' ' || r == '\u3000' || r == '-':
		case r < utf8.RuneSelf && (r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z'):
			b.WriteRune(r)
		default:
			return "", "", false
		}
		i += size
	}
	if b.Len() != cases.CodeLen {
		return "", "", false
	}
	rest = strings.TrimLeft(text[i:], " \u3000:：,，")
	if rest == "" {
		return "", "", false
	}
	return cases.NormalCode(b.String()), rest, true
}

// handleMail takes a mail the mail server handed over: a subject that
// carries a case's 查询码 adds the text to that case, any other mail
// opens one (a 咨询 until the dispatcher says otherwise). A redelivered
// mail opens or adds nothing again (the event's id is the key).
func (p *Portal) handleMail(ctx context.Context, m contract.MailCase) error {
	text := m.Text
	if text == "" {
		text = m.Subject
	}
	max := p.cases.TextMax()
	if r := []rune(text); len(r) > max {
		note := "……（邮件正文较长，以上为前 " + strconv.Itoa(max-40) + " 字）"
		text = string(r[:max-40]) + note
	}
	for _, word := range strings.FieldsFunc(m.Subject, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z')
	}) {
		if len(word) != cases.CodeLen {
			continue
		}
		_, err := p.cases.AddInfo(ctx, word, cases.Mail, text, "mail-"+m.ID)
		if err == nil {
			return nil
		}
		if inv, ok := errors.AsType[*cases.Invalid](err); ok {
			p.log.Info("mail not added to its case", "from", m.From, "why", inv.Msg)
			return nil
		}
		if !errors.Is(err, cases.ErrNotFound) {
			return err
		}
	}
	c, err := p.cases.Submit(ctx, cases.Submission{Channel: cases.Mail, Kind: cases.Consult, Title: strings.TrimSpace(m.Subject), Text: text,
		Writer: cases.Writer{Name: m.FromName, Mail: m.From}, Key: "mail-" + m.ID})
	if inv, ok := errors.AsType[*cases.Invalid](err); ok {
		p.log.Info("mail not taken as a case", "from", m.From, "why", inv.Msg)
		return nil
	}
	if err != nil {
		return err
	}
	p.log.Info("case opened by mail", "number", c.Number, "from", m.From)
	return nil
}
