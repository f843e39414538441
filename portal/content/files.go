package content

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"nanhu/internal/officefile"
)

// Attachments are the types an article may carry for download: PDF,
// Word, Excel and WPS.
var Attachments = []officefile.Kind{officefile.PDF, officefile.Docx, officefile.Doc, officefile.WPS,
	officefile.Xlsx, officefile.Xls, officefile.ET}

// AddFile adds an image or an attachment to an article's working copy.
// Images are at most MaxImage, attachments MaxUpload; a file that is not
// what its name says is refused.
func (s *Store) AddFile(ctx context.Context, a Actor, id int64, name string, data []byte) (File, error) {
	var f File
	kinds := append(append([]officefile.Kind{}, officefile.Images...), Attachments...)
	limit := s.opts.MaxUpload
	ext := strings.ToLower(filepath.Ext(officefile.BaseName(name)))
	if slices.ContainsFunc(officefile.Images, func(k officefile.Kind) bool { return k.Ext == ext }) {
		limit = s.opts.MaxImage
	}
	kind, err := officefile.Check(name, data, kinds, limit)
	if err != nil {
		return f, errf("invalid", "%s", err.Error())
	}
	f = File{Article: id, Name: officefile.BaseName(name), Type: kind.ContentType, Size: int64(len(data)), Image: kind.IsImage(), By: a.Login}
	text := ""
	if !f.Image {
		text = officefile.ExtractText(kind, data)
	}
	err = s.change(ctx, a, id, func(o *op) error {
		if err := o.mayWrite(); err != nil {
			return err
		}
		f.At = o.now
		if err := o.tx.QueryRowContext(ctx, `INSERT INTO files (article, name, ctype, size, image, data, text, at, by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			id, f.Name, f.Type, f.Size, f.Image, data, text, ms(o.now), a.Login).Scan(&f.ID); err != nil {
			return err
		}
		return o.edited("file-added", f.Name)
	})
	if err != nil {
		return File{}, err
	}
	s.log.Info("article file added", "article", id, "file", f.ID, "name", f.Name, "size", f.Size, "by", a.Login)
	return f, nil
}

// RemoveFile takes a file out of an article's working copy. A file the
// portal shows stays there until the edit is published.
func (s *Store) RemoveFile(ctx context.Context, a Actor, id, file int64) error {
	return s.change(ctx, a, id, func(o *op) error {
		if err := o.mayWrite(); err != nil {
			return err
		}
		var name string
		var shown bool
		err := o.tx.QueryRowContext(ctx, `SELECT name, shown FROM files WHERE id = ? AND article = ? AND removed = 0`, file, id).Scan(&name, &shown)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		q := `DELETE FROM files WHERE id = ?`
		if shown {
			q = `UPDATE files SET removed = 1 WHERE id = ?`
		}
		if _, err := o.tx.ExecContext(ctx, q, file); err != nil {
			return err
		}
		if o.art.Fields.Cover == file {
			o.art.Fields.Cover = 0
			if err := o.saveFields(); err != nil {
				return err
			}
		}
		return o.edited("file-removed", name)
	})
}

// mayWrite checks that the actor may change the working copy now.
func (o *op) mayWrite() error {
	if !o.mayEdit() {
		return errf("forbidden", "您不是「%s」的网站编辑，不能修改这篇稿件。", o.sec.Name)
	}
	switch o.art.State {
	case StateReview:
		return errf("conflict", "稿件正在审核，不能修改；如需修改，请先撤回送审。")
	case StateScheduled:
		return errf("conflict", "稿件已审核通过、等待定时发布，不能再修改；如需修改，请审核人先取消发布。")
	}
	return nil
}

// edited records a change of the working copy by the actor: its trail,
// its last editor, and, for a published or withdrawn article, a new
// draft (the portal keeps the approved form).
func (o *op) edited(action, note string) error {
	if _, err := o.tx.ExecContext(o.ctx, `UPDATE articles SET edited_by = ?, edited_at = ? WHERE id = ?`, o.a.Login, ms(o.now), o.art.ID); err != nil {
		return err
	}
	o.art.EditedBy = o.a.Login
	if o.art.State != StateDraft && o.art.State != StateReturned {
		if err := o.setState(StateDraft); err != nil {
			return err
		}
	}
	return o.event(action, note)
}

// files are an article's files in its working copy, in upload order.
func (s *Store) files(ctx context.Context, id int64) ([]File, error) {
	return s.fileList(ctx, `SELECT id, article, name, ctype, size, image, at, by FROM files WHERE article = ? AND removed = 0 ORDER BY id`, id)
}

// shownFiles are the files the portal shows with an article.
func (s *Store) shownFiles(ctx context.Context, id int64) ([]File, error) {
	return s.fileList(ctx, `SELECT id, article, name, ctype, size, image, at, by FROM files WHERE article = ? AND shown = 1 ORDER BY id`, id)
}

func (s *Store) fileList(ctx context.Context, q string, id int64) ([]File, error) {
	rows, err := s.db.Reader().QueryContext(ctx, q, id)
	if err != nil {
		return nil, fmt.Errorf("portal: files of %d: %w", id, err)
	}
	defer rows.Close()
	var out []File
	for rows.Next() {
		var f File
		var at int64
		if err := rows.Scan(&f.ID, &f.Article, &f.Name, &f.Type, &f.Size, &f.Image, &at, &f.By); err != nil {
			return nil, err
		}
		f.At = fromMS(at)
		out = append(out, f)
	}
	return out, rows.Err()
}

// FileData is a file and its bytes. The portal serves a file only while
// it shows the article (public); staff who may read the article see its
// working copy's files.
func (s *Store) FileData(ctx context.Context, id int64, staff *Actor) (File, []byte, error) {
	var f File
	var data []byte
	var at int64
	var shown bool
	err := s.db.Reader().QueryRowContext(ctx, `SELECT f.id, f.article, f.name, f.ctype, f.size, f.image, f.at, f.by, f.data,
		f.shown AND EXISTS (SELECT 1 FROM live WHERE live.id = f.article) FROM files f WHERE f.id = ?`, id).
		Scan(&f.ID, &f.Article, &f.Name, &f.Type, &f.Size, &f.Image, &at, &f.By, &data, &shown)
	if errors.Is(err, sql.ErrNoRows) {
		return f, nil, ErrNotFound
	}
	if err != nil {
		return f, nil, fmt.Errorf("portal: file %d: %w", id, err)
	}
	f.At = fromMS(at)
	if staff == nil {
		if !shown {
			return File{}, nil, ErrNotFound
		}
		return f, data, nil
	}
	if _, err := s.Article(ctx, *staff, f.Article); err != nil {
		return File{}, nil, err
	}
	return f, data, nil
}
