package org

import (
	"context"
	"database/sql"
	"fmt"
)

// DemoPassword is the password of every demo person except admin.
const DemoPassword = "nanhu2004"

// DemoAdminPassword is the password SeedDemo gives the admin account when
// it creates it.
const DemoAdminPassword = "admin2004"

// DemoPerson is one account of the demo organisation.
type DemoPerson struct {
	Login, Name, Password, Mobile string
	Dept, Title                   string
	Roles                         []string
}

// demoDepartments is the Xiucheng District (秀洲区) organisation, parents
// first.
var demoDepartments = []Department{
	{Code: "qw", Name: "中共秀洲区委", Kind: KindOrgan},
	{Code: "qzf", Name: "秀洲区人民政府", Kind: KindOrgan},
	{Code: "qrd", Name: "秀洲区人大常委会", Kind: KindOrgan},
	{Code: "qzx", Name: "政协秀洲区委员会", Kind: KindOrgan},

	{Code: "bgs", Name: "区政府办公室", Parent: "qzf"},
	{Code: "msk", Name: "秘书科", Parent: "bgs", Kind: KindSection},
	{Code: "wsk", Name: "文书科", Parent: "bgs", Kind: KindSection},
	{Code: "xxk", Name: "信息科", Parent: "bgs", Kind: KindSection},
	{Code: "czj", Name: "区财政局", Parent: "qzf"},
	{Code: "fgj", Name: "区发展和改革局", Parent: "qzf"},
	{Code: "jyj", Name: "区教育局", Parent: "qzf"},
	{Code: "wsj", Name: "区卫生局", Parent: "qzf"},
	{Code: "gaj", Name: "区公安分局", Parent: "qzf"},
	{Code: "cgj", Name: "区城市管理局", Parent: "qzf"},
	{Code: "nyj", Name: "区农业局", Parent: "qzf"},
	{Code: "hbj", Name: "区环境保护局", Parent: "qzf"},
	{Code: "xfj", Name: "区信访局", Parent: "qzf"},

	{Code: "xcz", Name: "新塍镇", Kind: KindTownship},
	{Code: "wjj", Name: "王江泾镇", Kind: KindTownship},
	{Code: "ycg", Name: "油车港镇", Kind: KindTownship},
	{Code: "hhz", Name: "洪合镇", Kind: KindTownship},
	{Code: "wdz", Name: "王店镇", Kind: KindTownship},
	{Code: "xcjd", Name: "新城街道", Kind: KindStreet},
	{Code: "jbjd", Name: "嘉北街道", Kind: KindStreet},
	{Code: "thjd", Name: "塘汇街道", Kind: KindStreet},
}

// DemoPeople are the accounts SeedDemo creates. The names and mobile
// numbers are made up.
var DemoPeople = []DemoPerson{
	{"admin", "系统管理员", DemoAdminPassword, "", "xxk", "网络管理员", []string{"admin", "staff"}},
	{"wangjianguo", "王建国", DemoPassword, "+8613800000101", "qw", "区委书记", []string{"leader"}},
	{"zhangwei", "张伟", DemoPassword, "+8613800000102", "qzf", "区长", []string{"leader"}},
	{"lina", "李娜", DemoPassword, "+8613800000103", "qzf", "副区长", []string{"leader"}},
	{"chenzhiqiang", "陈志强", DemoPassword, "+8613800000104", "qrd", "主任", []string{"leader"}},
	{"zhoumin", "周敏", DemoPassword, "+8613800000105", "qzx", "主席", []string{"leader"}},
	{"liuyang", "刘洋", DemoPassword, "+8613900000201", "bgs", "主任", []string{"leader"}},
	{"yangjing", "杨静", DemoPassword, "+8613900000202", "msk", "科长", []string{"leader", "staff"}},
	{"huanglei", "黄磊", DemoPassword, "+8613900000203", "msk", "科员", []string{"staff"}},
	{"zhaoli", "赵丽", DemoPassword, "+8613900000204", "wsk", "文书", []string{"clerk"}},
	{"wufang", "吴芳", DemoPassword, "+8613900000205", "wsk", "收发员", []string{"clerk"}},
	{"suntao", "孙涛", DemoPassword, "+8613900000301", "czj", "局长", []string{"leader"}},
	{"hubin", "胡斌", DemoPassword, "+8613900000302", "fgj", "局长", []string{"leader"}},
	{"zhuhong", "朱红", DemoPassword, "+8613900000303", "jyj", "局长", []string{"leader"}},
	{"gaofeng", "高峰", DemoPassword, "+8613900000304", "wsj", "局长", []string{"leader"}},
	{"linjun", "林军", DemoPassword, "+8613900000305", "gaj", "局长", []string{"leader"}},
	{"heping", "何平", DemoPassword, "+8613900000306", "cgj", "科员", []string{"editor", "staff"}},
	{"guoming", "郭明", DemoPassword, "+8613900000307", "nyj", "局长", []string{"leader"}},
	{"mali", "马丽", DemoPassword, "+8613900000308", "hbj", "科员", []string{"staff"}},
	{"luogang", "罗刚", DemoPassword, "+8613900000309", "xfj", "局长", []string{"leader"}},
	{"liangxiaoyan", "梁晓燕", DemoPassword, "+8613900000310", "xfj", "收发员", []string{"clerk", "cases"}},
	{"songbo", "宋波", DemoPassword, "+8613800000401", "xcz", "镇长", []string{"leader"}},
	{"xieyong", "谢勇", DemoPassword, "+8613800000402", "wjj", "文书", []string{"clerk"}},
	{"zhengjie", "郑洁", DemoPassword, "+8613800000403", "xcjd", "主任", []string{"leader"}},
	// The portal's editor and reviewer of the district's own pages (the
	// 信息科 runs the site).
	{"chenxiao", "陈晓", DemoPassword, "+8613900000206", "xxk", "网站编辑", []string{"editor", "staff"}},
	{"wangli", "王丽", DemoPassword, "+8613900000207", "xxk", "网站审核", []string{"reviewer", "staff"}},
}

// demoShared are the departments' shared mailboxes (公共邮箱).
var demoShared = []struct{ local, dept string }{
	{"bangongshi", "bgs"}, // 区政府办公室
	{"xinfangju", "xfj"},  // 区信访局
}

// demoLeaders maps department codes to their leaders' logins.
var demoLeaders = map[string]string{
	"qw": "wangjianguo", "qzf": "zhangwei", "qrd": "chenzhiqiang", "qzx": "zhoumin",
	"bgs": "liuyang", "msk": "yangjing", "czj": "suntao", "fgj": "hubin",
	"jyj": "zhuhong", "wsj": "gaofeng", "gaj": "linjun", "nyj": "guoming",
	"xfj": "luogang", "xcz": "songbo", "xcjd": "zhengjie",
}

// demoOrgans are the issuing organs' 机关代字, 发文机关标志 and 印章.
var demoOrgans = []struct{ code, daizi, banner, seal string }{
	{"qw", "秀委发", "中共秀洲区委员会文件", "中共秀洲区委员会（电子印章 330411-QW-01）"},
	{"qzf", "秀政发", "秀洲区人民政府文件", "秀洲区人民政府（电子印章 330411-QZF-01）"},
	{"qrd", "秀人大常发", "秀洲区人大常委会文件", "秀洲区人大常委会（电子印章 330411-RD-01）"},
	{"qzx", "秀政协发", "政协秀洲区委员会文件", "政协秀洲区委员会（电子印章 330411-ZX-01）"},
	{"bgs", "秀政办发", "秀洲区人民政府办公室文件", "秀洲区人民政府办公室（电子印章 330411-BGS-01）"},
	{"czj", "秀财发", "秀洲区财政局文件", "秀洲区财政局（电子印章 330411-CZ-01）"},
	{"fgj", "秀发改发", "秀洲区发展和改革局文件", "秀洲区发展和改革局（电子印章 330411-FG-01）"},
	{"jyj", "秀教发", "秀洲区教育局文件", "秀洲区教育局（电子印章 330411-JY-01）"},
	{"xfj", "秀信访发", "秀洲区信访局文件", "秀洲区信访局（电子印章 330411-XF-01）"},
	{"xcz", "新政发", "新塍镇人民政府文件", "新塍镇人民政府（电子印章 330411-XC-01）"},
}

// demoInCharge are the 分管领导: 李娜 (副区长) has finance, development,
// education and health in charge; the 区长 the rest of the government.
var demoInCharge = map[string]string{
	"czj": "lina", "fgj": "lina", "jyj": "lina", "wsj": "lina",
	"bgs": "zhangwei", "gaj": "zhangwei", "cgj": "zhangwei", "nyj": "zhangwei", "hbj": "zhangwei", "xfj": "zhangwei",
}

// demoGrants are the OA roles of the demo, so that the 发文, 收文 and 签报
// flows can be walked with demo people.
var demoGrants = []Grant{
	{"yangjing", RoleReviewer, "qzf"}, {"yangjing", RoleReviewer, "bgs"},
	{"zhangwei", RoleSigner, "qzf"}, {"lina", RoleSigner, "qzf"}, {"liuyang", RoleSigner, "bgs"},
	{"zhaoli", RoleClerk, "qzf"}, {"zhaoli", RoleClerk, "bgs"},
	{"wufang", RoleReceiver, "qzf"}, {"wufang", RoleReceiver, "bgs"},
	{"liuyang", RoleOffice, "qzf"}, {"liuyang", RoleOffice, "bgs"},
	{"huanglei", RoleHandler, "qzf"}, {"huanglei", RoleHandler, "bgs"},
	{"wufang", RoleArchivist, "qzf"}, {"wufang", RoleArchivist, "bgs"},
	{"suntao", RoleSigner, "czj"}, {"hubin", RoleSigner, "fgj"}, {"zhuhong", RoleSigner, "jyj"},
	{"luogang", RoleSigner, "xfj"}, {"liangxiaoyan", RoleClerk, "xfj"}, {"liangxiaoyan", RoleReceiver, "xfj"}, {"liangxiaoyan", RoleCases, "xfj"},
	{"songbo", RoleSigner, "xcz"}, {"xieyong", RoleClerk, "xcz"}, {"xieyong", RoleReceiver, "xcz"},
}

// SeedDemo fills the directory with the Xiucheng District organisation:
// departments, DemoPeople, department leaders, a list <code>@<primary
// domain> per department, and the aliases postmaster@, abuse@ (→ admin) and
// xinfang@ (→ the 信访局 list). It is idempotent: whatever already exists
// is left as it is, so an admin created earlier by EnsureAdmin keeps its
// password. Call it after SetDomains, so the lists get the right domain.
func (d *Directory) SeedDemo(ctx context.Context) error {
	doms, err := d.Domains(ctx)
	if err != nil {
		return err
	}
	primary := doms[0]

	// Hash only for the people who are missing; hashing is the slow part
	// and must stay outside the write transaction.
	hashes := map[string]string{}
	for _, p := range DemoPeople {
		if _, err := d.User(ctx, p.Login); err == nil {
			continue
		}
		h, err := d.hashPassword(ctx, p.Password)
		if err != nil {
			return fmt.Errorf("org: seed demo: %w", err)
		}
		hashes[p.Login] = h
	}

	added := 0
	err = d.write(ctx, func(tx *sql.Tx) error {
		for _, dep := range demoDepartments {
			if ok, err := deptExists(ctx, tx, dep.Code); err != nil || ok {
				if err != nil {
					return err
				}
				continue
			}
			dep, err := dep.normalize()
			if err != nil {
				return err
			}
			if err := insertDepartment(ctx, tx, dep); err != nil {
				return err
			}
		}
		for _, p := range DemoPeople {
			h, ok := hashes[p.Login]
			if !ok {
				continue
			}
			if ok, err := userExists(ctx, tx, p.Login); err != nil || ok {
				if err != nil {
					return err
				}
				continue
			}
			nu, err := NewUser{Login: p.Login, Name: p.Name, Password: p.Password, Mobile: p.Mobile,
				Depts: []string{p.Dept}, Title: p.Title, Roles: p.Roles}.normalize()
			if err != nil {
				return err
			}
			if err := insertUser(ctx, tx, newUser{nu, h}); err != nil {
				return err
			}
			added++
		}
		for dept, login := range demoLeaders {
			if _, err := tx.ExecContext(ctx,
				`UPDATE departments SET leader = ? WHERE code = ? AND leader IS NULL`, login, dept); err != nil {
				return err
			}
		}
		for _, o := range demoOrgans {
			if _, err := tx.ExecContext(ctx, `UPDATE departments SET daizi = ?, banner = ?, seal = ? WHERE code = ? AND daizi = ''
				AND NOT EXISTS (SELECT 1 FROM departments WHERE daizi = ?)`, o.daizi, o.banner, o.seal, o.code, o.daizi); err != nil {
				return err
			}
		}
		for dept, login := range demoInCharge {
			if _, err := tx.ExecContext(ctx,
				`UPDATE departments SET in_charge = ? WHERE code = ? AND in_charge IS NULL`, login, dept); err != nil {
				return err
			}
		}
		for _, g := range demoGrants {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO oa_roles (login, role, organ)
				SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM users WHERE login = ?)`, g.Login, g.Role, g.Organ, g.Login); err != nil {
				return err
			}
		}
		for _, dep := range demoDepartments {
			addr := dep.Code + "@" + primary
			if err := seedIfFree(ctx, tx, addr, doms, func() error {
				return insertList(ctx, tx, addr, dep.Code, nil)
			}); err != nil {
				return err
			}
		}
		for _, sh := range demoShared {
			addr := sh.local + "@" + primary
			var has int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM shared_mailboxes WHERE dept = ?`, sh.dept).Scan(&has); err != nil {
				return err
			} else if has > 0 {
				continue // the administrator gave it one already
			}
			if err := seedIfFree(ctx, tx, addr, doms, func() error {
				return insertShared(ctx, tx, addr, sh.dept)
			}); err != nil {
				return err
			}
		}
		aliases := []struct{ alias, target string }{
			{"postmaster", AdminLogin},
			{"abuse", AdminLogin},
			{"xinfang", "xfj@" + primary},
		}
		for _, a := range aliases {
			addr := a.alias + "@" + primary
			if err := seedIfFree(ctx, tx, addr, doms, func() error {
				t, err := normalizeTarget(ctx, tx, a.target, doms)
				if err != nil {
					return err
				}
				_, err = tx.ExecContext(ctx, `INSERT INTO aliases (address, target) VALUES (?, ?)`, addr, t)
				return err
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return wrapOp(err, "seed demo organisation")
	}
	d.log.Info("demo organisation seeded", "domain", primary, "users_added", added)
	return nil
}

// seedIfFree runs insert when addr is not yet taken by anything.
func seedIfFree(ctx context.Context, tx *sql.Tx, addr string, doms []string, insert func() error) error {
	kind, _, err := lookupAddress(ctx, tx, addr, doms)
	if err != nil || kind != "" {
		return err
	}
	return insert()
}
