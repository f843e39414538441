package cases

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Category is a class of matter a case is about: the portal's code list
// (after the 12345 classification of GB/T 39666, trimmed to a district's
// needs, or a list of the district's own loaded as data), and Open311's
// services.
type Category struct {
	Code, Name, Group, Description string
	Keywords                       []string
}

// Categories are the default code list.
var Categories = []Category{
	{"srhj", "市容环境", "城乡建设", "垃圾清运、占道经营、乱张贴、绿化养护", []string{"垃圾", "占道", "绿化"}},
	{"szss", "市政设施", "城乡建设", "道路破损、路灯、井盖、排水", []string{"道路", "路灯", "井盖", "积水"}},
	{"hjbh", "环境保护", "生态环境", "噪声、油烟、污水、废气、河道", []string{"噪声", "油烟", "污水", "河道"}},
	{"jtcx", "交通出行", "交通运输", "公交、停车、交通设施、出租车", []string{"公交", "停车", "红绿灯"}},
	{"sqsw", "社区事务", "民生服务", "物业、小区管理、邻里纠纷", []string{"物业", "小区"}},
	{"shbz", "社会保障", "民生服务", "社保、医保、就业、养老", []string{"社保", "医保", "养老", "就业"}},
	{"jyws", "教育卫生", "民生服务", "学校、幼儿园、医院、卫生院", []string{"学校", "医院"}},
	{"scjg", "市场监管", "经济管理", "食品安全、价格、消费维权、无证经营", []string{"食品", "价格", "消费"}},
	{"qt", "其他", "其他", "以上类别之外的事项", nil},
}

// CategoryOf is the category with code in the default list.
func CategoryOf(code string) (Category, bool) { return categoryIn(Categories, code) }

func categoryIn(list []Category, code string) (Category, bool) {
	for _, c := range list {
		if c.Code == code {
			return c, true
		}
	}
	return Category{}, false
}

// Categories is the store's code list (Options.Categories, or the
// default one).
func (s *Store) Categories() []Category { return s.cats }

// Category is the category with code in the store's list.
func (s *Store) Category(code string) (Category, bool) { return categoryIn(s.cats, code) }

// CategoryName is code's category in words, "" when code is none of the
// list's.
func (s *Store) CategoryName(code string) string {
	if c, ok := s.Category(code); ok {
		if c.Group != "" && c.Group != c.Name {
			return c.Group + " · " + c.Name
		}
		return c.Name
	}
	return ""
}

var codeRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,31}$`)

// ReadCategories reads a code list as CSV (UTF-8, a header line first):
//
//	code,name,group,description,keywords
//	srhj,市容环境,城乡建设,垃圾清运、占道经营,垃圾;占道;绿化
//
// group, description and keywords (separated by ; or ；) may be empty.
// Codes are 1 to 32 of a-z 0-9 _ . - and unique; names 1 to 30
// characters. The whole list is refused, with the line, at the first
// error: a half-read list would lose cases' categories.
func ReadCategories(r io.Reader) ([]Category, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("分类代码表：读不到表头：%w", err)
	}
	if len(head) > 0 {
		head[0] = strings.TrimPrefix(head[0], "\uFEFF")
	}
	if len(head) < 2 || strings.TrimSpace(head[0]) != "code" || strings.TrimSpace(head[1]) != "name" {
		return nil, errors.New("分类代码表：第 1 行应为表头 code,name,group,description,keywords")
	}
	var out []Category
	seen := map[string]bool{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("分类代码表第 %d 行：%w", line, err)
		}
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
			if !utf8.ValidString(rec[i]) {
				return nil, fmt.Errorf("分类代码表第 %d 行不是 UTF-8", line)
			}
		}
		if len(rec) == 1 && rec[0] == "" {
			continue // an empty line
		}
		if len(rec) < 2 || len(rec) > 5 {
			return nil, fmt.Errorf("分类代码表第 %d 行应有 2 到 5 列", line)
		}
		c := Category{Code: rec[0], Name: rec[1]}
		if len(rec) > 2 {
			c.Group = rec[2]
		}
		if len(rec) > 3 {
			c.Description = rec[3]
		}
		if len(rec) > 4 && rec[4] != "" {
			for _, k := range strings.FieldsFunc(rec[4], func(r rune) bool { return r == ';' || r == '；' }) {
				if k = strings.TrimSpace(k); k != "" {
					c.Keywords = append(c.Keywords, k)
				}
			}
		}
		switch {
		case !codeRE.MatchString(c.Code):
			return nil, fmt.Errorf("分类代码表第 %d 行：代码 %q 只能是 1 到 32 个小写字母、数字、_ . -", line, c.Code)
		case seen[c.Code]:
			return nil, fmt.Errorf("分类代码表第 %d 行：代码 %q 重复", line, c.Code)
		case c.Name == "" || utf8.RuneCountInString(c.Name) > 30:
			return nil, fmt.Errorf("分类代码表第 %d 行：名称应为 1 到 30 个字", line)
		case utf8.RuneCountInString(c.Group) > 30 || utf8.RuneCountInString(c.Description) > 200:
			return nil, fmt.Errorf("分类代码表第 %d 行：大类最多 30 个字，说明最多 200 个字", line)
		}
		for _, r := range c.Name + c.Group + c.Description + strings.Join(c.Keywords, "") {
			if r < ' ' {
				return nil, fmt.Errorf("分类代码表第 %d 行有控制字符", line)
			}
		}
		seen[c.Code] = true
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("分类代码表是空的")
	}
	return out, nil
}
