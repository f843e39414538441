package content

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
)

// SeedDemo fills an empty portal with the demo sections, columns and
// articles (DemoCorpus), published at their ages before now. A portal
// that has sections already is left alone: it returns false.
func (s *Store) SeedDemo(ctx context.Context) (bool, error) {
	return s.Seed(ctx, demoCorpus(s.now()))
}

// Seed fills an empty portal with the demo sections and columns and the
// given items, each published at its age before now (a first filling:
// the demo, a benchmark's corpus). A portal that has sections already is
// left alone: it returns false. No article of a running portal can be
// dated this way.
func (s *Store) Seed(ctx context.Context, items []DemoItem) (bool, error) {
	var n int
	if err := s.db.Reader().QueryRowContext(ctx, `SELECT count(*) FROM sections`).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	now := s.now()
	items = slices.Clone(items)
	// Policy documents before their interpretations, so that links find
	// them.
	slices.SortStableFunc(items, func(a, b DemoItem) int { return len(a.Explains) - len(b.Explains) })
	err := s.tx(ctx, func(tx *sql.Tx) error {
		cols := map[string]Column{}
		for i, sec := range demoSections {
			sec.Order = i
			if _, err := tx.ExecContext(ctx, `INSERT INTO sections (code, name, kind, dept, about, ord) VALUES (?, ?, ?, ?, ?, ?)`,
				sec.Code, sec.Name, sec.Kind, sec.Dept, sec.About, sec.Order); err != nil {
				return err
			}
			for j, dc := range demoColumnsOf(sec) {
				c := Column{Section: sec.Code, Slug: dc.slug, Name: dc.name, Area: dc.area, Kind: dc.kind, Type: dc.ctype, Update: dc.update,
					Home: dc.home && sec.Code == mainSection, Order: j}
				if err := tx.QueryRowContext(ctx, `INSERT INTO columns (section, slug, name, area, kind, ctype, update_rule, home, ord)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, c.Section, c.Slug, c.Name, c.Area, c.Kind, c.Type, c.Update, c.Home, c.Order).Scan(&c.ID); err != nil {
					return err
				}
				cols[sec.Code+"/"+c.Slug] = c
			}
		}
		ids := map[string]int64{}
		for _, it := range items {
			c, ok := cols[it.Section+"/"+it.Column]
			if !ok {
				return fmt.Errorf("demo item %s: no column %s/%s", it.Key, it.Section, it.Column)
			}
			f, err := clean(c, it.Fields)
			if err != nil {
				return fmt.Errorf("demo item %s: %w", it.Key, err)
			}
			for _, k := range it.Explains {
				if id, ok := ids[k]; ok {
					f.Interprets = append(f.Interprets, id)
				}
			}
			at := now.Add(-it.Age)
			js, _ := json.Marshal(f)
			var id int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO articles (column_id, state, fields, title, version, created_by, created_at, edited_by, edited_at)
				VALUES (?, ?, ?, ?, 1, 'demo', ?, 'demo', ?) RETURNING id`, c.ID, StateDraft, js, f.Title, ms(at), ms(at)).Scan(&id); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO versions (article, n, at, by, fields) VALUES (?, 1, ?, 'demo', ?)`, id, ms(at), js); err != nil {
				return err
			}
			ids[it.Key] = id
			o := &op{s: s, ctx: ctx, tx: tx, now: at, a: Actor{Login: "demo"},
				art: Article{ID: id, Column: c, State: StateDraft, Fields: f, Version: 1}}
			if err := o.event("created", ""); err != nil {
				return err
			}
			if err := o.publish(); err != nil {
				return err
			}
			if it.Edited > 0 && it.Edited < it.Age {
				o.now, o.art.Published = now.Add(-it.Edited), at
				if err := o.publish(); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("portal: seed the demo: %w", err)
	}
	s.touch(now)
	s.log.Info("portal demo seeded", "sections", len(demoSections), "articles", len(items))
	return true, nil
}
