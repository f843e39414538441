package content

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// What the portal shows: only what is live, read from the published
// forms, never from a working copy.

// Page is a published article with its column, section, files and links.
func (s *Store) Page(ctx context.Context, id int64) (Page, error) {
	var p Page
	var js string
	var pub, upd int64
	var colID int64
	err := s.db.Reader().QueryRowContext(ctx, `SELECT id, column_id, fields, published_at, updated_at FROM live WHERE id = ?`, id).
		Scan(&p.ID, &colID, &js, &pub, &upd)
	if errors.Is(err, sql.ErrNoRows) {
		return p, ErrNotFound
	}
	if err != nil {
		return p, fmt.Errorf("portal: page %d: %w", id, err)
	}
	if err := json.Unmarshal([]byte(js), &p.Fields); err != nil {
		return p, fmt.Errorf("portal: page %d: %w", id, err)
	}
	p.Published, p.Updated = fromMS(pub), fromMS(upd)
	if p.Column, err = s.ColumnOf(ctx, colID); err != nil {
		return p, err
	}
	if p.Section, err = s.SectionOf(ctx, p.Column.Section); err != nil {
		return p, err
	}
	if p.Files, err = s.shownFiles(ctx, id); err != nil {
		return p, err
	}
	if p.Interpretations, err = s.links(ctx, `SELECT l.id, l.title FROM links k JOIN live l ON l.id = k.interpretation WHERE k.policy = ? ORDER BY l.published_at`, id); err != nil {
		return p, err
	}
	p.Policies, err = s.links(ctx, `SELECT l.id, l.title FROM links k JOIN live l ON l.id = k.policy WHERE k.interpretation = ? ORDER BY l.published_at`, id)
	return p, err
}

func (s *Store) links(ctx context.Context, q string, id int64) ([]Link, error) {
	rows, err := s.db.Reader().QueryContext(ctx, q, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Link
	for rows.Next() {
		var l Link
		if err := rows.Scan(&l.ID, &l.Title); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

const itemCols = `l.id, l.title, l.column_id, l.published_at, l.validity, l.number`

func scanItems(rows *sql.Rows) ([]Item, error) {
	defer rows.Close()
	var out []Item
	for rows.Next() {
		var it Item
		var pub int64
		if err := rows.Scan(&it.ID, &it.Title, &it.Column, &pub, &it.Validity, &it.Number); err != nil {
			return nil, err
		}
		it.Published = fromMS(pub)
		out = append(out, it)
	}
	return out, rows.Err()
}

// List is a column's published items, the newest first, and how many
// there are.
func (s *Store) List(ctx context.Context, column int64, limit, offset int) ([]Item, int, error) {
	var total int
	if err := s.db.Reader().QueryRowContext(ctx, `SELECT count(*) FROM live WHERE column_id = ?`, column).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("portal: list column %d: %w", column, err)
	}
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT `+itemCols+` FROM live l WHERE l.column_id = ? ORDER BY l.published_at DESC, l.id DESC LIMIT ? OFFSET ?`,
		column, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("portal: list column %d: %w", column, err)
	}
	items, err := scanItems(rows)
	return items, total, err
}

// Catalogue is the 信息公开目录: the published documents of every
// section's policy columns (of one section when section is not ""), the
// newest first.
func (s *Store) Catalogue(ctx context.Context, section string, limit, offset int) ([]Item, int, error) {
	where := `c.kind = '` + KindPolicy + `' AND (? = '' OR c.section = ?)`
	var total int
	if err := s.db.Reader().QueryRowContext(ctx, `SELECT count(*) FROM live l JOIN columns c ON c.id = l.column_id WHERE `+where, section, section).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("portal: catalogue: %w", err)
	}
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT `+itemCols+` FROM live l JOIN columns c ON c.id = l.column_id WHERE `+where+`
		ORDER BY l.published_at DESC, l.id DESC LIMIT ? OFFSET ?`, section, section, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("portal: catalogue: %w", err)
	}
	items, err := scanItems(rows)
	return items, total, err
}

// Entry is a published page for sitemap.xml.
type Entry struct {
	ID       int64
	Modified int64 // unix ms: its update, or its publication
}

// Entries are every published article, for sitemap.xml.
func (s *Store) Entries(ctx context.Context) ([]Entry, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT id, max(published_at, updated_at) FROM live ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("portal: entries: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&e.ID, &e.Modified); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ColumnState is a column's published count and its newest item, for the
// inspection page and the column lists.
type ColumnState struct {
	Column Column
	Count  int
	Newest int64 // unix ms, 0 when empty
}

// ColumnStates are every column's state.
func (s *Store) ColumnStates(ctx context.Context) ([]ColumnState, error) {
	cols, err := s.Columns(ctx, "")
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT column_id, count(*), max(published_at) FROM live GROUP BY column_id`)
	if err != nil {
		return nil, fmt.Errorf("portal: column states: %w", err)
	}
	defer rows.Close()
	type st struct {
		n      int
		newest int64
	}
	by := map[int64]st{}
	for rows.Next() {
		var id int64
		var x st
		if err := rows.Scan(&id, &x.n, &x.newest); err != nil {
			return nil, err
		}
		by[id] = x
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]ColumnState, len(cols))
	for i, c := range cols {
		out[i] = ColumnState{Column: c, Count: by[c.ID].n, Newest: by[c.ID].newest}
	}
	return out, nil
}
