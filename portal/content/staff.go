package content

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Article is an article as the staff see it; only those who may edit or
// review in its section may read it.
func (s *Store) Article(ctx context.Context, a Actor, id int64) (Article, error) {
	var art Article
	err := s.tx(ctx, func(tx *sql.Tx) error {
		o := &op{s: s, ctx: ctx, tx: tx, now: s.now(), a: a}
		if err := o.load(id); err != nil {
			return err
		}
		art = o.art
		if !o.mayEdit() && !a.MayReview(o.sec) {
			return errf("forbidden", "您不是「%s」的网站编辑或审核人，不能查看这篇稿件。", o.sec.Name)
		}
		return nil
	})
	if err != nil {
		return art, err
	}
	art.Files, err = s.files(ctx, id)
	return art, err
}

// Brief is a line of a staff list.
type Brief struct {
	ID                int64
	Title             string
	Column            Column
	SectionName       string
	State             string
	Version           int
	EditedBy          string
	Edited, Published time.Time
	Live              bool
	// Opinion is the last reviewer's opinion of a returned article.
	Opinion string
}

// Worklist is what a may see: the articles of the sections where a edits
// or reviews, the latest edited first; state "" for all, "mine" for
// a's own.
func (s *Store) Worklist(ctx context.Context, a Actor, state string, limit, offset int) ([]Brief, int, error) {
	secs, err := s.Sections(ctx)
	if err != nil {
		return nil, 0, err
	}
	var codes []string
	names := map[string]string{}
	for _, sec := range secs {
		names[sec.Code] = sec.Name
		if a.MayEdit(sec) || a.MayReview(sec) {
			codes = append(codes, sec.Code)
		}
	}
	if len(codes) == 0 {
		return nil, 0, nil
	}
	where := `c.section IN (?` + strings.Repeat(`, ?`, len(codes)-1) + `)`
	args := make([]any, 0, len(codes)+2)
	for _, c := range codes {
		args = append(args, c)
	}
	switch state {
	case "":
	case "mine":
		where += ` AND a.created_by = ?`
		args = append(args, a.Login)
	default:
		where += ` AND a.state = ?`
		args = append(args, state)
	}
	var total int
	if err := s.db.Reader().QueryRowContext(ctx, `SELECT count(*) FROM articles a JOIN columns c ON c.id = a.column_id WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT a.id, a.title, a.state, a.version, a.edited_by, a.edited_at, a.published_at,
		EXISTS (SELECT 1 FROM live WHERE live.id = a.id),
		coalesce((SELECT opinion FROM events e WHERE e.article = a.id AND e.action = 'returned' ORDER BY e.id DESC LIMIT 1), ''),
		`+columnColsOf("c")+`
		FROM articles a JOIN columns c ON c.id = a.column_id WHERE `+where+` ORDER BY a.edited_at DESC, a.id DESC LIMIT ? OFFSET ?`,
		append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("portal: worklist: %w", err)
	}
	defer rows.Close()
	var out []Brief
	for rows.Next() {
		var b Brief
		var edited, pub int64
		c := &b.Column
		if err := rows.Scan(&b.ID, &b.Title, &b.State, &b.Version, &b.EditedBy, &edited, &pub, &b.Live, &b.Opinion,
			&c.ID, &c.Section, &c.Slug, &c.Name, &c.Area, &c.Kind, &c.Type, &c.Update, &c.Description, &c.Keywords, &c.Home, &c.Order); err != nil {
			return nil, 0, err
		}
		b.Edited, b.Published = fromMS(edited), fromMS(pub)
		b.SectionName = names[c.Section]
		out = append(out, b)
	}
	return out, total, rows.Err()
}

func columnColsOf(alias string) string {
	cols := strings.Split(columnCols, ", ")
	for i, c := range cols {
		cols[i] = alias + "." + c
	}
	return strings.Join(cols, ", ")
}

// Trail is an article's steps, the first first.
func (s *Store) Trail(ctx context.Context, id int64) ([]Event, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT at, by, action, opinion, version FROM events WHERE article = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at int64
		if err := rows.Scan(&at, &e.By, &e.Action, &e.Opinion, &e.Version); err != nil {
			return nil, err
		}
		e.At = fromMS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Versions are an article's kept versions, the latest first.
func (s *Store) Versions(ctx context.Context, id int64) ([]Version, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT n, at, by, fields FROM versions WHERE article = ? ORDER BY n DESC`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Version
	for rows.Next() {
		var v Version
		var at int64
		var js string
		if err := rows.Scan(&v.N, &at, &v.By, &js); err != nil {
			return nil, err
		}
		v.At = fromMS(at)
		if err := json.Unmarshal([]byte(js), &v.Fields); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
