package content

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"nanhu/internal/searchtext"
)

// checkText checks one field: at most max characters, no control
// characters but line breaks (where lines is set).
func checkText(what, v string, max int, lines bool) (string, error) {
	v = strings.TrimSpace(v)
	if !utf8.ValidString(v) {
		return "", errf("invalid", "%s含有无效字符。", what)
	}
	if n := utf8.RuneCountInString(v); n > max {
		return "", errf("invalid", "%s最多 %d 个字，现在有 %d 个。", what, max, n)
	}
	if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 && !(lines && (r == '\n' || r == '\t' || r == '\r')) || r == 0x7f }) {
		return "", errf("invalid", "%s含有控制字符。", what)
	}
	return v, nil
}

// clean checks and normalises what an editor wrote for a column.
func clean(c Column, f Fields) (Fields, error) {
	var err error
	if f.Title, err = checkText("标题", f.Title, 100, false); err != nil {
		return f, err
	}
	if f.Title == "" {
		return f, errf("invalid", "请填写标题。")
	}
	if f.Summary, err = checkText("摘要", f.Summary, 300, true); err != nil {
		return f, err
	}
	if f.Source, err = checkText("来源", f.Source, 50, false); err != nil {
		return f, err
	}
	if f.Author, err = checkText("作者", f.Author, 50, false); err != nil {
		return f, err
	}
	if f.Keywords, err = checkText("关键词", f.Keywords, 100, false); err != nil {
		return f, err
	}
	if len(f.Body) > 1<<20 {
		return f, errf("invalid", "正文太长（最多 1 MB）。")
	}
	f.Body = Sanitize(f.Body)
	if c.Kind == KindPolicy {
		p := Policy{}
		if f.Policy != nil {
			p = *f.Policy
		}
		for _, x := range []struct {
			what string
			v    *string
			max  int
		}{{"索引号", &p.IndexNo, 40}, {"发文字号", &p.Number, 40}, {"发文机关", &p.Issuer, 60}, {"成文日期", &p.Written, 10}, {"主题分类", &p.Topic, 20}} {
			if *x.v, err = checkText(x.what, *x.v, x.max, false); err != nil {
				return f, err
			}
		}
		if p.Written != "" {
			if _, err := time.Parse("2006-01-02", p.Written); err != nil {
				return f, errf("invalid", "成文日期要写成 2026-03-05 这样的日期。")
			}
		}
		if p.Validity == "" {
			p.Validity = Valid
		}
		if !slices.Contains(Validities, p.Validity) {
			return f, errf("invalid", "有效性只能是：%s。", strings.Join(Validities, "、"))
		}
		f.Policy = &p
	} else {
		f.Policy = nil
	}
	if c.Kind == KindGuide {
		g := Guide{}
		if f.Guide != nil {
			g = *f.Guide
		}
		for _, x := range []struct {
			what string
			v    *string
			max  int
		}{{"事项名称", &g.Matter, 100}, {"设定依据", &g.Basis, 1000}, {"申请条件", &g.Conditions, 2000}, {"办理材料", &g.Materials, 2000},
			{"办理地点", &g.Place, 200}, {"办理时间", &g.Hours, 200}, {"收费标准", &g.Fees, 200}, {"办理时限", &g.TimeLimit, 200}, {"咨询电话", &g.Phone, 50}} {
			if *x.v, err = checkText(x.what, *x.v, x.max, true); err != nil {
				return f, err
			}
		}
		f.Guide = &g
	} else {
		f.Guide = nil
	}
	if c.Kind != KindInterpret {
		f.Interprets = nil
	}
	slices.Sort(f.Interprets)
	f.Interprets = slices.Compact(f.Interprets)
	return f, nil
}

// ready checks what must be there before an article goes to review.
func ready(c Column, f Fields) error {
	if PlainText(f.Body) == "" && c.Kind != KindGuide {
		return errf("invalid", "正文是空的，请先写正文再送审。")
	}
	if p := f.Policy; c.Kind == KindPolicy && (p == nil || p.Number == "" || p.Issuer == "") {
		return errf("invalid", "政策文件送审前要填写发文字号和发文机关。")
	}
	if g := f.Guide; c.Kind == KindGuide && (g == nil || g.Matter == "" || g.Basis == "" || g.Conditions == "" || g.Materials == "") {
		return errf("invalid", "办事指南送审前要填写事项名称、设定依据、申请条件和办理材料。")
	}
	if c.Kind == KindInterpret && len(f.Interprets) == 0 {
		return errf("invalid", "政策解读要关联它所解读的政策文件。")
	}
	return nil
}

// op is one change of an article, inside its transaction.
type op struct {
	s    *Store
	ctx  context.Context
	tx   *sql.Tx
	now  time.Time
	a    Actor
	art  Article
	sec  Section
	live bool
}

func (s *Store) change(ctx context.Context, a Actor, id int64, f func(o *op) error) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		o := &op{s: s, ctx: ctx, tx: tx, now: s.now(), a: a}
		if err := o.load(id); err != nil {
			return err
		}
		return f(o)
	})
	return err
}

func (o *op) load(id int64) error {
	var fields string
	var created, edited, sched, pub, upd int64
	err := o.tx.QueryRowContext(o.ctx, `SELECT a.id, a.state, a.fields, a.version, a.created_by, a.created_at, a.edited_by, a.edited_at,
		a.schedule_at, a.published_at, a.updated_at, (SELECT count(*) FROM live WHERE live.id = a.id), a.column_id, a.owner FROM articles a WHERE a.id = ?`, id).
		Scan(&o.art.ID, &o.art.State, &fields, &o.art.Version, &o.art.CreatedBy, &created, &o.art.EditedBy, &edited, &sched, &pub, &upd, &o.live, &o.art.Column.ID, &o.art.Owner)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("portal: load article %d: %w", id, err)
	}
	if err := json.Unmarshal([]byte(fields), &o.art.Fields); err != nil {
		return fmt.Errorf("portal: article %d: %w", id, err)
	}
	o.art.Created, o.art.Edited, o.art.ScheduleAt = fromMS(created), fromMS(edited), fromMS(sched)
	o.art.Published, o.art.Updated, o.art.Live = fromMS(pub), fromMS(upd), o.live
	if o.art.Column, err = scanColumn(o.tx.QueryRowContext(o.ctx, `SELECT `+columnCols+` FROM columns WHERE id = ?`, o.art.Column.ID)); err != nil {
		return err
	}
	return o.tx.QueryRowContext(o.ctx, `SELECT code, name, kind, dept, about, ord FROM sections WHERE code = ?`, o.art.Column.Section).
		Scan(&o.sec.Code, &o.sec.Name, &o.sec.Kind, &o.sec.Dept, &o.sec.About, &o.sec.Order)
}

func (o *op) event(action, opinion string) error {
	_, err := o.tx.ExecContext(o.ctx, `INSERT INTO events (article, at, by, action, opinion, version) VALUES (?, ?, ?, ?, ?, ?)`,
		o.art.ID, ms(o.now), o.a.Login, action, opinion, o.art.Version)
	return err
}

func (o *op) setState(state string) error {
	o.art.State = state
	_, err := o.tx.ExecContext(o.ctx, `UPDATE articles SET state = ?, schedule_at = ? WHERE id = ?`, state, ms(o.art.ScheduleAt), o.art.ID)
	return err
}

// Create starts an article in column as a draft, and returns its id.
func (s *Store) Create(ctx context.Context, a Actor, columnID int64, f Fields) (int64, error) {
	return s.create(ctx, a, columnID, f, 0)
}

// CreateEnterprisePage starts the own page of the enterprise account
// owner, named name, as a draft in the district's 企业风采 column: the
// site's administrator does it when opening the account; from then on
// the enterprise writes it and sends it to review.
func (s *Store) CreateEnterprisePage(ctx context.Context, a Actor, owner int64, name string) (int64, error) {
	if !a.isWebmaster() {
		return 0, errf("forbidden", "只有网站管理员可以为企业开设页面。")
	}
	if owner <= 0 {
		return 0, errf("invalid", "没有这个企业账户。")
	}
	var col int64
	err := s.db.Reader().QueryRowContext(ctx, `SELECT c.id FROM columns c JOIN sections s ON s.code = c.section
		WHERE c.kind = ? ORDER BY s.code != 'main', c.ord, c.id LIMIT 1`, KindEnterprise).Scan(&col)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, errf("invalid", "网站还没有「企业风采」类的栏目，请先在「网站栏目」中添加。")
	}
	if err != nil {
		return 0, err
	}
	return s.create(ctx, a, col, Fields{Title: name, Source: name}, owner)
}

func (s *Store) create(ctx context.Context, a Actor, columnID int64, f Fields, owner int64) (int64, error) {
	c, err := s.ColumnOf(ctx, columnID)
	if err != nil {
		return 0, err
	}
	sec, err := s.SectionOf(ctx, c.Section)
	if err != nil {
		return 0, err
	}
	if !a.MayEdit(sec) {
		return 0, errf("forbidden", "您不是「%s」的网站编辑，不能在这里写稿。", sec.Name)
	}
	switch c.Kind {
	case KindInteract, KindCatalogue:
		return 0, errf("invalid", "「%s」栏目的内容由系统生成，不能在这里写稿。", c.Name)
	}
	if f, err = clean(c, f); err != nil {
		return 0, err
	}
	if f.Cover != 0 {
		return 0, errf("invalid", "请先保存稿件，再上传封面图片。")
	}
	var id int64
	now := s.now()
	err = s.tx(ctx, func(tx *sql.Tx) error {
		js, _ := json.Marshal(f)
		if err := tx.QueryRowContext(ctx, `INSERT INTO articles (column_id, state, fields, title, version, created_by, created_at, edited_by, edited_at, owner)
			VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?) RETURNING id`, columnID, StateDraft, js, f.Title, a.Login, ms(now), a.Login, ms(now), owner).Scan(&id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO versions (article, n, at, by, fields) VALUES (?, 1, ?, ?, ?)`, id, ms(now), a.Login, js); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO events (article, at, by, action, version) VALUES (?, ?, ?, 'created', 1)`, id, ms(now), a.Login)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("portal: create an article: %w", err)
	}
	s.log.Info("article created", "id", id, "column", c.ID, "by", a.Login)
	return id, nil
}

// Save writes a new version of an article's fields. version is the
// version the editor started from: if someone saved in between, the
// save is refused rather than losing their change.
func (s *Store) Save(ctx context.Context, a Actor, id int64, version int, f Fields) error {
	return s.change(ctx, a, id, func(o *op) error {
		if err := o.mayWrite(); err != nil {
			return err
		}
		if version != 0 && version != o.art.Version {
			return errf("conflict", "这篇稿件在您打开后已被 %s 修改（第 %d 版），请重新打开后再改。", o.art.EditedBy, o.art.Version)
		}
		var err error
		if f, err = clean(o.art.Column, f); err != nil {
			return err
		}
		if f.Cover != 0 {
			var img bool
			if err := o.tx.QueryRowContext(ctx, `SELECT image FROM files WHERE id = ? AND article = ?`, f.Cover, id).Scan(&img); err != nil || !img {
				return errf("invalid", "封面必须是这篇稿件上传的图片。")
			}
		}
		if err := checkPolicies(o, f.Interprets); err != nil {
			return err
		}
		o.art.Fields = f
		if err := o.saveFields(); err != nil {
			return err
		}
		return o.edited("saved", "")
	})
}

// saveFields writes the working copy's fields as a new version.
func (o *op) saveFields() error {
	o.art.Version++
	js, _ := json.Marshal(o.art.Fields)
	if _, err := o.tx.ExecContext(o.ctx, `UPDATE articles SET fields = ?, title = ?, version = ? WHERE id = ?`,
		js, o.art.Fields.Title, o.art.Version, o.art.ID); err != nil {
		return err
	}
	_, err := o.tx.ExecContext(o.ctx, `INSERT INTO versions (article, n, at, by, fields) VALUES (?, ?, ?, ?, ?)`, o.art.ID, o.art.Version, ms(o.now), o.a.Login, js)
	return err
}

// checkPolicies checks that every id is a policy document.
func checkPolicies(o *op, ids []int64) error {
	for _, p := range ids {
		var kind string
		err := o.tx.QueryRowContext(o.ctx, `SELECT c.kind FROM articles a JOIN columns c ON c.id = a.column_id WHERE a.id = ?`, p).Scan(&kind)
		if err != nil || kind != KindPolicy {
			return errf("invalid", "第 %d 号稿件不是政策文件，不能作为解读对象。", p)
		}
	}
	return nil
}

// Submit sends a draft or a returned article to review (送审).
func (s *Store) Submit(ctx context.Context, a Actor, id int64) error {
	return s.change(ctx, a, id, func(o *op) error {
		if !o.mayEdit() {
			return errf("forbidden", "您不是「%s」的网站编辑，不能送审这篇稿件。", o.sec.Name)
		}
		if o.art.State != StateDraft && o.art.State != StateReturned {
			return errf("conflict", "稿件现在是「%s」，不能送审。", StateNames[o.art.State])
		}
		if err := ready(o.art.Column, o.art.Fields); err != nil {
			return err
		}
		if err := o.setState(StateReview); err != nil {
			return err
		}
		return o.event("submitted", "")
	})
}

// Recall takes an article back from review to draft (the editor's
// 撤回送审), while nobody has decided on it.
func (s *Store) Recall(ctx context.Context, a Actor, id int64) error {
	return s.change(ctx, a, id, func(o *op) error {
		if !o.mayEdit() {
			return errf("forbidden", "您不能撤回这篇稿件。")
		}
		if o.art.State != StateReview {
			return errf("conflict", "稿件现在是「%s」，没有可撤回的送审。", StateNames[o.art.State])
		}
		if err := o.setState(StateDraft); err != nil {
			return err
		}
		return o.event("recalled", "")
	})
}

// mayDecide checks that a may review this article: a reviewer of its
// section who is not its last editor.
func (o *op) mayDecide() error {
	if !o.a.MayReview(o.sec) {
		return errf("forbidden", "您不是「%s」的审核人，不能审核这篇稿件。", o.sec.Name)
	}
	if o.art.EditedBy == o.a.Login && !o.a.isWebmaster() {
		return errf("forbidden", "稿件的最后修改人不能审核自己的修改，请由其他审核人审核。")
	}
	if o.art.State != StateReview {
		return errf("conflict", "稿件现在是「%s」，不在审核中。", StateNames[o.art.State])
	}
	return nil
}

// Return sends an article in review back to its editor with the
// reviewer's opinion (退回).
func (s *Store) Return(ctx context.Context, a Actor, id int64, opinion string) error {
	opinion, err := checkText("审核意见", opinion, 500, true)
	if err != nil {
		return err
	}
	if opinion == "" {
		return errf("invalid", "退回时请写明审核意见，告诉编辑要改什么。")
	}
	return s.change(ctx, a, id, func(o *op) error {
		if err := o.mayDecide(); err != nil {
			return err
		}
		if err := o.setState(StateReturned); err != nil {
			return err
		}
		return o.event("returned", opinion)
	})
}

// Approve approves an article in review: it goes onto the portal now, or
// at at when at is later than now (定时发布).
func (s *Store) Approve(ctx context.Context, a Actor, id int64, opinion string, at time.Time) error {
	opinion, err := checkText("审核意见", opinion, 500, true)
	if err != nil {
		return err
	}
	if !at.IsZero() && at.After(s.now().AddDate(1, 0, 0)) {
		return errf("invalid", "定时发布最多可以定在一年以内。")
	}
	err = s.change(ctx, a, id, func(o *op) error {
		if err := o.mayDecide(); err != nil {
			return err
		}
		if err := o.event("approved", opinion); err != nil {
			return err
		}
		if !at.IsZero() && at.After(o.now) {
			o.art.ScheduleAt = at
			if err := o.setState(StateScheduled); err != nil {
				return err
			}
			return o.event("scheduled", at.Format("2006-01-02 15:04"))
		}
		return o.publish()
	})
	if err == nil {
		s.touch(s.now())
	}
	return err
}

// Unschedule takes a scheduled article back to draft.
func (s *Store) Unschedule(ctx context.Context, a Actor, id int64) error {
	return s.change(ctx, a, id, func(o *op) error {
		if !a.MayReview(o.sec) {
			return errf("forbidden", "您不是「%s」的审核人。", o.sec.Name)
		}
		if o.art.State != StateScheduled {
			return errf("conflict", "稿件没有在等待定时发布。")
		}
		o.art.ScheduleAt = time.Time{}
		if err := o.setState(StateDraft); err != nil {
			return err
		}
		return o.event("unscheduled", "")
	})
}

// PublishDue publishes the scheduled articles whose time has come, and
// says how many.
func (s *Store) PublishDue(ctx context.Context) (int, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT id FROM articles WHERE state = ? AND schedule_at <= ?`, StateScheduled, ms(s.now()))
	if err != nil {
		return 0, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	n := 0
	for _, id := range ids {
		err := s.change(ctx, Actor{Login: "system"}, id, func(o *op) error {
			if o.art.State != StateScheduled || o.art.ScheduleAt.After(o.now) {
				return nil
			}
			n++
			return o.publish()
		})
		if err != nil {
			return n, fmt.Errorf("portal: publish article %d: %w", id, err)
		}
	}
	if n > 0 {
		s.touch(s.now())
	}
	return n, nil
}

// publish puts the working copy onto the portal: live, links, index.
func (o *op) publish() error {
	f := o.art.Fields
	js, _ := json.Marshal(f)
	first := o.art.Published.IsZero()
	pub, upd := o.art.Published, o.now
	if first {
		pub, upd = o.now, time.Time{}
	}
	var validity, number string
	if f.Policy != nil {
		validity, number = f.Policy.Validity, f.Policy.Number
	}
	ctx := o.ctx
	if _, err := o.tx.ExecContext(ctx, `INSERT INTO live (id, column_id, fields, title, validity, number, published_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET column_id = excluded.column_id, fields = excluded.fields, title = excluded.title, validity = excluded.validity,
			number = excluded.number, published_at = excluded.published_at, updated_at = excluded.updated_at`,
		o.art.ID, o.art.Column.ID, js, f.Title, validity, number, ms(pub), ms(upd)); err != nil {
		return err
	}
	if _, err := o.tx.ExecContext(ctx, `UPDATE articles SET published_at = ?, updated_at = ?, schedule_at = 0 WHERE id = ?`, ms(pub), ms(upd), o.art.ID); err != nil {
		return err
	}
	if _, err := o.tx.ExecContext(ctx, `DELETE FROM links WHERE interpretation = ?`, o.art.ID); err != nil {
		return err
	}
	for _, p := range f.Interprets {
		if _, err := o.tx.ExecContext(ctx, `INSERT INTO links (interpretation, policy) VALUES (?, ?)`, o.art.ID, p); err != nil {
			return err
		}
	}
	if _, err := o.tx.ExecContext(ctx, `DELETE FROM files WHERE article = ? AND removed = 1`, o.art.ID); err != nil {
		return err
	}
	if _, err := o.tx.ExecContext(ctx, `UPDATE files SET shown = 1 WHERE article = ?`, o.art.ID); err != nil {
		return err
	}
	if err := o.index(f); err != nil {
		return err
	}
	o.art.ScheduleAt = time.Time{}
	if err := o.setState(StatePublished); err != nil {
		return err
	}
	return o.event("published", "")
}

// index writes the article's search entry: what the portal shows.
func (o *op) index(f Fields) error {
	var files strings.Builder
	rows, err := o.tx.QueryContext(o.ctx, `SELECT name, text FROM files WHERE article = ? AND image = 0 AND removed = 0`, o.art.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var name, text string
		rows.Scan(&name, &text)
		files.WriteString(name + "\n" + text + "\n")
	}
	rows.Close()
	if _, err := o.tx.ExecContext(o.ctx, `DELETE FROM search WHERE docid = ?`, o.art.ID); err != nil {
		return err
	}
	title, body, attached := indexTokens(f.Title), indexTokens(searchBody(f)), indexTokens(files.String())
	if _, err = o.tx.ExecContext(o.ctx, `INSERT INTO search (docid, title, body, files) VALUES (?, ?, ?, ?)`, o.art.ID, title, body, attached); err != nil {
		return err
	}
	_, err = o.tx.ExecContext(o.ctx, `INSERT INTO search_docs (id, column_id, published_at, len_title, len_body, len_files)
		SELECT id, column_id, published_at, ?, ?, ? FROM live WHERE id = ?
		ON CONFLICT (id) DO UPDATE SET column_id = excluded.column_id, published_at = excluded.published_at,
			len_title = excluded.len_title, len_body = excluded.len_body, len_files = excluded.len_files`,
		tokenCount(title), tokenCount(body), tokenCount(attached), o.art.ID)
	return err
}

// tokenCount is the length of an indexed field in tokens, as the
// migration that made search_docs counts them.
func tokenCount(tokens string) int {
	if tokens == "" {
		return 0
	}
	return strings.Count(tokens, " ") + 1
}

// indexTokens are the search tokens of text: traditional characters as
// simplified, so that either form finds the other.
func indexTokens(text string) string { return searchtext.Tokens(searchtext.Simplified(text)) }

// searchBody is the text of an article that search reads besides its
// title.
func searchBody(f Fields) string {
	var b strings.Builder
	b.WriteString(f.Summary + "\n" + f.Keywords + "\n" + PlainText(f.Body) + "\n")
	if p := f.Policy; p != nil {
		b.WriteString(p.Number + "\n" + p.Issuer + "\n" + p.IndexNo + "\n")
	}
	if g := f.Guide; g != nil {
		b.WriteString(strings.Join([]string{g.Matter, g.Basis, g.Conditions, g.Materials, g.Place, g.Fees, g.TimeLimit}, "\n"))
	}
	return b.String()
}

// Withdraw takes a published article off the portal (撤稿), with the
// reason in its trail.
func (s *Store) Withdraw(ctx context.Context, a Actor, id int64, reason string) error {
	reason, err := checkText("撤稿原因", reason, 500, true)
	if err != nil {
		return err
	}
	if reason == "" {
		return errf("invalid", "撤稿时请写明原因，它会记入稿件的记录。")
	}
	err = s.change(ctx, a, id, func(o *op) error {
		if !a.MayReview(o.sec) {
			return errf("forbidden", "您不是「%s」的审核人，不能撤稿。", o.sec.Name)
		}
		if !o.live {
			return errf("conflict", "这篇稿件没有在网站上发布，无需撤稿。")
		}
		for _, q := range []string{`DELETE FROM live WHERE id = ?`, `DELETE FROM search WHERE docid = ?`, `DELETE FROM search_docs WHERE id = ?`, `DELETE FROM links WHERE interpretation = ?`,
			`UPDATE files SET shown = 0 WHERE article = ?`} {
			if _, err := o.tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		if err := o.setState(StateWithdrawn); err != nil {
			return err
		}
		return o.event("withdrawn", reason)
	})
	if err == nil {
		s.touch(s.now())
		s.log.Info("article withdrawn", "id", id, "by", a.Login)
	}
	return err
}
