package cases

// Category is a class of matter a case is about: the portal's code list
// (after the 12345 classification of GB/T 39666, trimmed to a district's
// needs), and Open311's services.
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

// CategoryOf is the category with code.
func CategoryOf(code string) (Category, bool) {
	for _, c := range Categories {
		if c.Code == code {
			return c, true
		}
	}
	return Category{}, false
}
