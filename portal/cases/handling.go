package cases

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"nanhu/internal/workcal"
	"nanhu/queue/contract"
	"nanhu/queue/outbox"
)

// announce enqueues a portal.case event about c in tx, for OA. A writer
// who asked for 保密, or wrote anonymously, crosses without name, mobile
// or address.
func (s *Store) announce(ctx context.Context, tx *sql.Tx, c Case, typ string, more func(*contract.PortalCase)) error {
	ev := contract.PortalCase{V: contract.PortalCaseVersion, ID: contract.NewID(), Type: typ, Case: c.ID, Number: c.Number,
		Kind: KindNames[c.Kind], Category: c.Category, Channel: string(c.Channel), Title: c.Title, At: s.opts.Now(),
		Confidential: c.Confidential, Anonymous: c.Anonymous}
	if typ == contract.CaseOpened || typ == contract.CaseReopened {
		ev.Text, ev.Received = c.Text, c.Received
		ev.Due = c.Due.In(workcal.Shanghai()).Format(time.DateOnly)
		if !c.Confidential && !c.Anonymous {
			ev.Writer, ev.Address = c.Writer.Name, c.Writer.Address
			if c.Writer.Mobile != "" {
				ev.Mobile = "+86" + c.Writer.Mobile
			}
		}
	}
	if more != nil {
		more(&ev)
	}
	return outbox.Enqueue(ctx, tx, ev)
}

// tell enqueues an SMS to the case's writer, when they gave a mobile,
// and a mail, when they gave a mail address; what names them, so that
// each is sent once.
func (s *Store) tell(ctx context.Context, tx *sql.Tx, c Case, what, text string) error {
	if c.Writer.Mail != "" {
		subject := "【" + s.opts.Sign + "】来信 " + c.Number + " 的办理情况"
		body := strings.Replace(text, smsRateHint, "请在网站“来信查询”中评价答复。", 1) + "\n\n本邮件由系统自动发送，请勿直接回复。补充情况请写信到来信邮箱，在主题中写上查询码 " + c.Code + "。"
		if err := outbox.Enqueue(ctx, tx, contract.NotifyMail{V: contract.NotifyMailVersion, ID: contract.NewID(), ToAddress: c.Writer.Mail,
			Subject: subject, Body: body, From: s.opts.Sign, IdempotencyKey: "case-" + c.Code + "-" + what + "-mail", Reason: "case." + what}); err != nil {
			return err
		}
	}
	if c.Writer.Mobile == "" {
		return nil
	}
	return outbox.Enqueue(ctx, tx, contract.NotifySMS{V: contract.NotifySMSVersion, ID: contract.NewID(), To: "+86" + c.Writer.Mobile,
		Text: "【" + s.opts.Sign + "】" + text, IdempotencyKey: "case-" + c.Code + "-" + what, Reason: "case." + what})
}

// openedText is what the writer of a new case is told, by its channel.
func openedText(c Case) string {
	tail := "，工单编号 " + c.Number + "，查询码 " + c.Code + "。"
	switch {
	case c.Kind == Disclosure:
		return "您的政府信息公开申请已收到" + tail + "可在网站“来信查询”中查看办理情况。"
	case c.Channel == Phone:
		return "您的电话来信已登记" + tail + "可在网站“来信查询”中查看办理情况。"
	case c.Channel == SMS:
		return "您的短信来信已收到" + tail + "补充情况请以查询码开头回复本号码，也可在网站“来信查询”中查看办理情况。"
	}
	return "您的来信已收到" + tail + "可在网站“来信查询”中查看办理情况。"
}

// citizenText is the SMS the citizen gets when OA reports action.
func (s *Store) citizenText(c Case, action string) string {
	head := "您的来信《" + short(c.Title) + "》（工单编号 " + c.Number + "）"
	tail := "查询码 " + c.Code + "，可在网站“来信查询”中查看。"
	switch action {
	case "accept":
		return head + "已受理，将于 " + c.Due.In(workcal.Shanghai()).Format("2006年1月2日") + " 前答复。" + tail
	case "reject":
		return head + "不予受理：" + c.Reason + "。" + tail
	case "extend":
		return head + "需要延期办理，答复期限延至 " + c.Due.In(workcal.Shanghai()).Format("2006年1月2日") + "。" + tail
	case "reply":
		return head + "已答复，" + tail + smsRateHint
	case "close":
		return head + "已办结。" + tail
	}
	return ""
}

// smsRateHint asks for a rating by SMS reply; a mail says where to rate.
const smsRateHint = "请回复数字评价：1非常满意 2满意 3基本满意 4不满意 5非常不满意。"

func short(title string) string {
	r := []rune(title)
	if len(r) > 15 {
		return string(r[:14]) + "…"
	}
	return title
}

// oaSteps are the steps an oa.case action makes.
var oaSteps = map[string]string{contract.CaseAccepted: "accept", contract.CaseRejected: "reject", contract.CaseAssigned: "assign",
	contract.CaseExtended: "extend", contract.CaseReplied: "reply", contract.CaseClosed: "close"}

// HandleOA carries out an oa.case event: the case's state moves, the
// trail gets its line and the citizen an SMS at 受理, 不予受理, 答复 and
// 办结. An event handled before changes nothing.
func (s *Store) HandleOA(ctx context.Context, ev contract.OACase) error {
	action, ok := oaSteps[ev.Action]
	if !ok {
		return fmt.Errorf("cases: oa.case action %q", ev.Action)
	}
	st := Step{Action: action, By: ev.By, Note: ev.Note, Days: ev.Days, Dept: ev.Dept, Key: "oa.case/" + ev.ID}
	if c, err := s.Get(ctx, ev.Case); err == nil && c.MergedInto != 0 {
		return nil // merged: its handling goes on as the other case's
	}
	_, err := s.Apply(ctx, ev.Case, st)
	return err
}

// rateBy is the last moment c's reply may be rated or reopened.
func (s *Store) rateBy(c Case) time.Time {
	if c.Replied.IsZero() {
		return time.Time{}
	}
	end := s.extend(c.Replied, s.opts.RateDays).In(workcal.Shanghai())
	return time.Date(end.Year(), end.Month(), end.Day(), 23, 59, 59, 0, end.Location())
}

// Rate records the citizen's rating (1 非常满意 … 5 非常不满意) of the
// reply of the case with code, once, within the rating window. OA hears
// of it (a 不满意 or worse opens a 整改 there). key names the message it
// came in (an SMS's id): a redelivered one rates nothing again.
func (s *Store) Rate(ctx context.Context, code string, level int, by Channel, note, key string) (Case, error) {
	if level < 1 || level > 5 {
		return Case{}, invalid("rating", "请选择 1 到 5 之间的评价。")
	}
	note = clean(note)
	c, err := s.ByCode(ctx, code)
	if err != nil {
		return Case{}, err
	}
	now := s.opts.Now()
	err = s.write(ctx, func(tx *sql.Tx) error {
		if done, err := s.seen(ctx, tx, key, now); err != nil || done {
			return err
		}
		c, err = scanCase(tx.QueryRowContext(ctx, `SELECT `+caseCols+` FROM cases WHERE id = ?`, c.ID))
		if err != nil {
			return err
		}
		switch {
		case c.State != Replied && c.State != Closed:
			return invalid("", "这件来信还没有答复，答复后才能评价。")
		case c.Rating != 0:
			return invalid("", "这件来信已评价为「%s」，不能再评。", Ratings[c.Rating])
		case now.After(s.rateBy(c)):
			return invalid("", "评价期限已过（答复后 %d 个工作日内）。", s.opts.RateDays)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cases SET rating = ?, rated = ? WHERE id = ?`, level, ms(now), c.ID); err != nil {
			return err
		}
		line := Ratings[level]
		if note != "" {
			line += "：" + note
		}
		if err := addEvent(ctx, tx, c.ID, now, "citizen", "rated", line, true); err != nil {
			return err
		}
		c.Rating = level
		return s.announce(ctx, tx, c, contract.CaseRated, func(ev *contract.PortalCase) { ev.Rating, ev.Note = level, note })
	})
	if err != nil {
		return Case{}, err
	}
	s.out.Kick()
	return s.Get(ctx, c.ID)
}

// Reopen is the citizen's request that the case with code be handled
// again (重办), within the rating window, with the reason.
func (s *Store) Reopen(ctx context.Context, code, reason string) (Case, error) {
	c, err := s.ByCode(ctx, code)
	if err != nil {
		return Case{}, err
	}
	if s.opts.Now().After(s.rateBy(c)) {
		return Case{}, invalid("", "答复已超过 %d 个工作日，不能再申请重办；如有新的情况，请另写一封来信。", s.opts.RateDays)
	}
	return s.Apply(ctx, c.ID, Step{Action: "reopen", By: "citizen", Note: reason})
}

// seen records key as handled in tx and reports whether it was before;
// "" is never seen.
func (s *Store) seen(ctx context.Context, tx *sql.Tx, key string, now time.Time) (bool, error) {
	if key == "" {
		return false, nil
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO handled (key, at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, key, ms(now))
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 0, nil
}

// LatestRateable is the newest case of mobile whose reply waits for its
// rating: what an SMS reply of a bare digit rates.
func (s *Store) LatestRateable(ctx context.Context, mobile string) (Case, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT `+caseCols+` FROM cases WHERE mobile = ? AND state IN (?, ?) AND rating = 0
		ORDER BY replied DESC LIMIT 5`, mobile, Replied, Closed)
	if err != nil {
		return Case{}, err
	}
	defer rows.Close()
	now := s.opts.Now()
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return Case{}, err
		}
		if !now.After(s.rateBy(c)) {
			return c, nil
		}
	}
	if err := rows.Err(); err != nil {
		return Case{}, err
	}
	return Case{}, ErrNotFound
}

// ListFilter narrows List; zero fields do not narrow.
type ListFilter struct {
	Channel Channel
	State   State
	Mail    string // the writer's mail
	Mobile  string // the writer's mobile (11 digits)
	Limit   int    // 50 when 0
}

// List is the newest cases that pass f, for the staff.
func (s *Store) List(ctx context.Context, f ListFilter) ([]Case, error) {
	q := `SELECT ` + caseCols + ` FROM cases WHERE 1 = 1`
	var args []any
	for _, c := range []struct{ col, v string }{{"channel", string(f.Channel)}, {"state", string(f.State)}, {"mail", f.Mail}, {"mobile", f.Mobile}} {
		if c.v != "" {
			q += ` AND ` + c.col + ` = ?`
			args = append(args, c.v)
		}
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := s.db.Reader().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
