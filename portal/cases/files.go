package cases

import (
	"context"
	"database/sql"
	"errors"

	"nanhu/internal/officefile"
)

// FileKinds are the attachments a case takes: pictures, PDF and office
// documents, each known by its extension and its first bytes.
var FileKinds = append(append([]officefile.Kind{}, officefile.Images...), officefile.PDF, officefile.Docx, officefile.Doc,
	officefile.WPS, officefile.Xlsx, officefile.Xls, officefile.ET, officefile.Text)

// checkFiles checks a submission's attachments: how many, how large,
// and that each is what its name says.
func (s *Store) checkFiles(sub *Submission) error {
	if len(sub.Files) > s.opts.MaxFiles {
		return invalid("files", "最多上传 %d 个附件。", s.opts.MaxFiles)
	}
	for i := range sub.Files {
		f := &sub.Files[i]
		f.Name = officefile.BaseName(f.Name)
		k, err := officefile.Check(f.Name, f.Data, FileKinds, s.opts.MaxFileBytes)
		if err != nil {
			return invalid("files", "%v", err)
		}
		f.ContentType, f.Size = k.ContentType, int64(len(f.Data))
	}
	return nil
}

// Files are case id's attachments, without their contents.
func (s *Store) Files(ctx context.Context, id int64) ([]File, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT id, name, ctype, size FROM case_files WHERE case_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []File
	for rows.Next() {
		var f File
		if err := rows.Scan(&f.ID, &f.Name, &f.ContentType, &f.Size); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// FileOf is attachment n of case id, with its contents.
func (s *Store) FileOf(ctx context.Context, id, n int64) (File, error) {
	var f File
	err := s.db.Reader().QueryRowContext(ctx, `SELECT id, name, ctype, size, data FROM case_files WHERE case_id = ? AND id = ?`, id, n).
		Scan(&f.ID, &f.Name, &f.ContentType, &f.Size, &f.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return f, ErrNotFound
	}
	return f, err
}
