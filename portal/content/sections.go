package content

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Sections are every section, the district's first.
func (s *Store) Sections(ctx context.Context) ([]Section, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT code, name, kind, dept, about, ord FROM sections ORDER BY ord, code`)
	if err != nil {
		return nil, fmt.Errorf("portal: list sections: %w", err)
	}
	defer rows.Close()
	var out []Section
	for rows.Next() {
		var sec Section
		if err := rows.Scan(&sec.Code, &sec.Name, &sec.Kind, &sec.Dept, &sec.About, &sec.Order); err != nil {
			return nil, err
		}
		out = append(out, sec)
	}
	return out, rows.Err()
}

// SectionOf is one section.
func (s *Store) SectionOf(ctx context.Context, code string) (Section, error) {
	var sec Section
	err := s.db.Reader().QueryRowContext(ctx, `SELECT code, name, kind, dept, about, ord FROM sections WHERE code = ?`, code).
		Scan(&sec.Code, &sec.Name, &sec.Kind, &sec.Dept, &sec.About, &sec.Order)
	if errors.Is(err, sql.ErrNoRows) {
		return sec, ErrNotFound
	}
	return sec, err
}

const columnCols = `id, section, slug, name, area, kind, ctype, update_rule, description, keywords, home, ord`

func scanColumn(sc interface{ Scan(...any) error }) (Column, error) {
	var c Column
	err := sc.Scan(&c.ID, &c.Section, &c.Slug, &c.Name, &c.Area, &c.Kind, &c.Type, &c.Update, &c.Description, &c.Keywords, &c.Home, &c.Order)
	return c, err
}

// Columns are the columns of section ("" for every section), in order.
func (s *Store) Columns(ctx context.Context, section string) ([]Column, error) {
	q := `SELECT ` + columnCols + ` FROM columns`
	var args []any
	if section != "" {
		q += ` WHERE section = ?`
		args = append(args, section)
	}
	rows, err := s.db.Reader().QueryContext(ctx, q+` ORDER BY section = 'main' DESC, section, ord, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("portal: list columns: %w", err)
	}
	defer rows.Close()
	var out []Column
	for rows.Next() {
		c, err := scanColumn(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ColumnOf is one column.
func (s *Store) ColumnOf(ctx context.Context, id int64) (Column, error) {
	c, err := scanColumn(s.db.Reader().QueryRowContext(ctx, `SELECT `+columnCols+` FROM columns WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNotFound
	}
	return c, err
}

// ColumnBySlug is the column slug of section.
func (s *Store) ColumnBySlug(ctx context.Context, section, slug string) (Column, error) {
	c, err := scanColumn(s.db.Reader().QueryRowContext(ctx, `SELECT `+columnCols+` FROM columns WHERE section = ? AND slug = ?`, section, slug))
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNotFound
	}
	return c, err
}

// PutSection creates or changes a section (the webmaster's).
func (s *Store) PutSection(ctx context.Context, a Actor, sec Section) error {
	if !a.isWebmaster() {
		return errf("forbidden", "只有网站管理员可以管理分站。")
	}
	if sec.Code == "" || strings.TrimSpace(sec.Name) == "" {
		return errf("invalid", "分站需要代码和名称。")
	}
	_, err := s.db.Writer().ExecContext(ctx, `INSERT INTO sections (code, name, kind, dept, about, ord) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind, dept = excluded.dept, about = excluded.about, ord = excluded.ord`,
		sec.Code, strings.TrimSpace(sec.Name), sec.Kind, sec.Dept, sec.About, sec.Order)
	if err == nil {
		s.touch(s.now())
	}
	return err
}

// PutColumn creates (ID 0) or changes a column (the webmaster's), and
// returns its id.
func (s *Store) PutColumn(ctx context.Context, a Actor, c Column) (int64, error) {
	if !a.isWebmaster() {
		return 0, errf("forbidden", "只有网站管理员可以管理栏目。")
	}
	c.Name = strings.TrimSpace(c.Name)
	switch {
	case c.Name == "" || utf8.RuneCountInString(c.Name) > 20:
		return 0, errf("invalid", "栏目名称需要 1 到 20 个字。")
	case c.Slug == "":
		return 0, errf("invalid", "栏目需要一个英文代码。")
	}
	if _, err := s.SectionOf(ctx, c.Section); err != nil {
		return 0, errf("invalid", "没有这个分站：%s。", c.Section)
	}
	if !slices.Contains(kinds, c.Kind) {
		return 0, errf("invalid", "没有这种栏目类型：%s。", c.Kind)
	}
	if c.Area != "" && !slices.Contains(Areas, c.Area) {
		return 0, errf("invalid", "没有这个版块：%s。", c.Area)
	}
	if c.Update != "" && c.Update != UpdateNews && c.Update != UpdateNotice {
		return 0, errf("invalid", "更新要求只能是动态要闻类或通知公告政策文件类。")
	}
	if !slugOK.MatchString(c.Slug) {
		return 0, errf("invalid", "栏目代码只能用小写字母、数字和短横线，最多 20 个字符。")
	}
	var oldKind string
	var n int
	if err := s.db.Reader().QueryRowContext(ctx, `SELECT c.kind, (SELECT count(*) FROM articles a WHERE a.column_id = c.id) FROM columns c WHERE section = ? AND slug = ?`,
		c.Section, c.Slug).Scan(&oldKind, &n); err == nil && n > 0 && oldKind != c.Kind {
		return 0, errf("invalid", "栏目「%s」已有 %d 篇稿件，不能改变栏目类型。", c.Name, n)
	}
	var id int64
	err := s.db.Writer().QueryRowContext(ctx, `INSERT INTO columns (section, slug, name, area, kind, ctype, update_rule, description, keywords, home, ord)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (section, slug) DO UPDATE SET name = excluded.name, area = excluded.area, kind = excluded.kind, ctype = excluded.ctype,
			update_rule = excluded.update_rule, description = excluded.description, keywords = excluded.keywords, home = excluded.home, ord = excluded.ord
		RETURNING id`, c.Section, c.Slug, c.Name, c.Area, c.Kind, c.Type, c.Update, c.Description, c.Keywords, c.Home, c.Order).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("portal: save column %s/%s: %w", c.Section, c.Slug, err)
	}
	s.touch(s.now())
	return id, nil
}

// kinds are the column kinds a webmaster may choose.
var kinds = []string{KindList, KindPolicy, KindInterpret, KindGuide, KindPage, KindLeaders, KindInteract, KindEnterprise, KindCatalogue}

// KindNames are the column kinds in Chinese.
var KindNames = map[string]string{KindList: "信息列表", KindPolicy: "政策文件", KindInterpret: "政策解读", KindGuide: "办事指南",
	KindPage: "单页（概况、机构职能）", KindLeaders: "负责人信息", KindInteract: "互动交流入口", KindEnterprise: "企业风采", KindCatalogue: "信息公开目录"}

// Kinds are the column kinds in the order forms offer them.
func Kinds() []string { return slices.Clone(kinds) }

var slugOK = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,19}$`)

// SiteSettings are the site's identity as the webmaster set it on the
// desk (the footer's entries, by their [portal] names): each replaces the
// configuration's value.
func (s *Store) SiteSettings(ctx context.Context) (map[string]string, error) {
	v, err := s.Setting(ctx, "site.info")
	if err != nil || v == "" {
		return map[string]string{}, err
	}
	m := map[string]string{}
	if err := json.Unmarshal([]byte(v), &m); err != nil {
		return nil, fmt.Errorf("portal: site settings: %w", err)
	}
	return m, nil
}

// SiteKeys are the settings a webmaster may set, with what each is.
var SiteKeys = []struct{ Key, Label string }{
	{"name", "网站名称"}, {"site_domain", "网站域名"}, {"id_code", "政府网站标识码"}, {"sponsor", "主办单位"}, {"operator", "承办单位"},
	{"contact", "联系方式"}, {"icp", "ICP备案号"}, {"police", "公安机关备案号"}, {"police_code", "公安机关备案编号（数字）"},
	{"emblem_url", "党政机关网站标识链接"}, {"hotline", "政务服务热线"},
}

// PutSiteSettings stores the webmaster's site settings; an empty value
// goes back to the configuration's.
func (s *Store) PutSiteSettings(ctx context.Context, a Actor, m map[string]string) error {
	if !a.isWebmaster() {
		return errf("forbidden", "只有网站管理员可以修改网站设置。")
	}
	out := map[string]string{}
	for _, k := range SiteKeys {
		v, err := checkText(k.Label, m[k.Key], 200, false)
		if err != nil {
			return err
		}
		if v == "" {
			continue
		}
		switch k.Key {
		case "id_code":
			if !idCode.MatchString(v) {
				return errf("invalid", "政府网站标识码是 10 位数字或字母（由主管部门分配）。")
			}
		case "emblem_url":
			if !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "http://") {
				return errf("invalid", "党政机关网站标识链接要以 https:// 开头。")
			}
		}
		out[k.Key] = v
	}
	js, _ := json.Marshal(out)
	if len(out) == 0 {
		js = nil
	}
	if err := s.PutSetting(ctx, "site.info", string(js)); err != nil {
		return err
	}
	s.touch(s.now())
	s.log.Info("portal site settings changed", "by", a.Login)
	return nil
}

var idCode = regexp.MustCompile(`^[0-9A-Za-z]{10}$`)

// Setting is a stored setting of the portal ("" when unset).
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.db.Reader().QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// PutSetting stores a setting of the portal's own work (the open
// inspection to-dos); "" removes it.
func (s *Store) PutSetting(ctx context.Context, key, value string) error {
	if value == "" {
		_, err := s.db.Writer().ExecContext(ctx, `DELETE FROM settings WHERE key = ?`, key)
		return err
	}
	_, err := s.db.Writer().ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}
