package cases

import (
	"context"
	"database/sql"
	"errors"
	"time"
	"unicode/utf8"

	"nanhu/queue/contract"
)

// Publication is a case as the public reads it among the 来信选登: the
// reviewed title, text and reply, personal data taken out.
type Publication struct {
	Case                  int64
	Kind                  Kind
	Title, Text, Reply    string
	Received, Replied, At time.Time
	By                    string
	Withdrawn             bool
}

// PublishDraft is what a reviewer starts from for case id: its title,
// text and reply with Redact applied. Only an answered case whose writer
// consented may be published.
func (s *Store) PublishDraft(ctx context.Context, id int64) (Publication, error) {
	c, err := s.Get(ctx, id)
	if err != nil {
		return Publication{}, err
	}
	if err := publishable(c); err != nil {
		return Publication{}, err
	}
	w := c.Writer
	return Publication{Case: c.ID, Kind: c.Kind, Title: Redact(c.Title, w), Text: Redact(c.Text, w), Reply: Redact(c.Reply, w),
		Received: c.Received, Replied: c.Replied}, nil
}

func publishable(c Case) error {
	switch {
	case !c.Consent:
		return invalid("", "来信人没有同意公开，这件来信不能选登。")
	case c.Anonymous || c.Confidential:
		return invalid("", "匿名或要求保密的来信不选登。")
	case c.State != Replied && c.State != Closed:
		return invalid("", "来信答复后才能选登。")
	case c.MergedInto != 0:
		return invalid("", "这件来信已合并到另一件，请选登那一件。")
	}
	return nil
}

// Publish publishes case id among the 来信选登 with the reviewed title,
// text and reply (a reviewer's edit of PublishDraft). The writer's
// personal data is taken out again whatever the reviewer left in.
func (s *Store) Publish(ctx context.Context, id int64, p Publication, by string) error {
	c, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	if err := publishable(c); err != nil {
		return err
	}
	w := c.Writer
	p.Title, p.Text, p.Reply = Redact(clean(p.Title), w), Redact(clean(p.Text), w), Redact(clean(p.Reply), w)
	switch {
	case p.Title == "" || p.Text == "" || p.Reply == "":
		return invalid("", "选登的标题、来信内容和答复都不能为空。")
	case utf8.RuneCountInString(p.Title) > 60:
		return invalid("title", "选登的标题最多 60 个字。")
	}
	now := s.opts.Now()
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO published (case_id, title, text, reply, by, at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (case_id) DO UPDATE SET title = excluded.title, text = excluded.text, reply = excluded.reply, by = excluded.by,
			at = excluded.at, withdrawn = 0`, id, p.Title, p.Text, p.Reply, by, ms(now)); err != nil {
			return err
		}
		return addEvent(ctx, tx, id, now, by, "published", "来信和答复经审核后选登公开", true)
	})
}

// Withdraw takes a publication down; the trail keeps that it was up.
func (s *Store) Withdraw(ctx context.Context, id int64, by string) error {
	now := s.opts.Now()
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE published SET withdrawn = ? WHERE case_id = ? AND withdrawn = 0`, ms(now), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return addEvent(ctx, tx, id, now, by, "withdrawn", "选登撤下", false)
	})
}

// Published are the 来信选登, newest first.
func (s *Store) Published(ctx context.Context, offset, limit int) ([]Publication, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT p.case_id, c.kind, p.title, p.text, p.reply, c.received, c.replied, p.at, p.by
		FROM published p JOIN cases c ON c.id = p.case_id WHERE p.withdrawn = 0 ORDER BY p.at DESC LIMIT ? OFFSET ?`, limit, offset)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Publication
	for rows.Next() {
		var p Publication
		var rec, rep, at int64
		if err := rows.Scan(&p.Case, &p.Kind, &p.Title, &p.Text, &p.Reply, &rec, &rep, &at, &p.By); err != nil {
			return nil, err
		}
		p.Received, p.Replied, p.At = fromMS(rec), fromMS(rep), fromMS(at)
		out = append(out, p)
	}
	return out, rows.Err()
}

// PublishedOne is one publication that is up.
func (s *Store) PublishedOne(ctx context.Context, id int64) (Publication, error) {
	var p Publication
	var rec, rep, at int64
	err := s.db.Reader().QueryRowContext(ctx, `SELECT p.case_id, c.kind, p.title, p.text, p.reply, c.received, c.replied, p.at, p.by
		FROM published p JOIN cases c ON c.id = p.case_id WHERE p.case_id = ? AND p.withdrawn = 0`, id).
		Scan(&p.Case, &p.Kind, &p.Title, &p.Text, &p.Reply, &rec, &rep, &at, &p.By)
	if errors.Is(err, sql.ErrNoRows) {
		return p, ErrNotFound
	}
	p.Received, p.Replied, p.At = fromMS(rec), fromMS(rep), fromMS(at)
	return p, err
}

// Merge merges case dup into case keep (the dispatcher found them the
// same matter, usually the duplicate the store flagged): dup's text is
// added to keep as information, dup is closed as merged, and both trails
// say so. Both must be of one writer.
func (s *Store) Merge(ctx context.Context, keep, dup int64, by string) error {
	if keep == dup {
		return invalid("", "不能把来信合并到它自己。")
	}
	now := s.opts.Now()
	err := s.write(ctx, func(tx *sql.Tx) error {
		k, err := scanCase(tx.QueryRowContext(ctx, `SELECT `+caseCols+` FROM cases WHERE id = ?`, keep))
		if err != nil {
			return err
		}
		d, err := scanCase(tx.QueryRowContext(ctx, `SELECT `+caseCols+` FROM cases WHERE id = ?`, dup))
		if err != nil {
			return err
		}
		switch {
		case d.MergedInto != 0:
			return invalid("", "来信 %s 已经合并过了。", d.Number)
		case k.MergedInto != 0 || k.State == Closed || k.State == Rejected:
			return invalid("", "来信 %s 已%s，不能再并入其他来信。", k.Number, PublicState(k.State))
		case (k.Writer.Mobile == "" || k.Writer.Mobile != d.Writer.Mobile) && (k.Writer.Mail == "" || k.Writer.Mail != d.Writer.Mail):
			return invalid("", "只能合并同一来信人的来信。")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cases SET merged_into = ?, state = ?, closed = ? WHERE id = ?`, keep, Closed, ms(now), dup); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, dup, now, by, "merged", "与来信 "+k.Number+" 反映的是同一件事，已合并办理，请以该件的查询码查看", true); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, keep, now, by, "info-added", "合并来信 "+d.Number+"："+d.Text, true); err != nil {
			return err
		}
		if err := s.announce(ctx, tx, k, contract.CaseInfoAdded, func(ev *contract.PortalCase) { ev.Info = "合并来信 " + d.Number + "：" + d.Text }); err != nil {
			return err
		}
		if err := s.announce(ctx, tx, d, contract.CaseMerged, func(ev *contract.PortalCase) { ev.Note = k.Number }); err != nil {
			return err
		}
		return s.tell(ctx, tx, d, "merged", "您的来信 "+d.Number+" 与此前的来信 "+k.Number+" 反映的是同一件事，已合并办理，请以查询码 "+k.Code+" 查看办理情况。")
	})
	if err == nil {
		s.out.Kick()
	}
	return err
}
