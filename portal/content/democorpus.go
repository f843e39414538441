package content

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// DemoItem is one article of the demo portal.
type DemoItem struct {
	Key     string // unique, e.g. "main/zcwj/3"; interpretations refer to policies by it
	Section string // a Section.Code of demoSections
	Column  string // a column slug of that section (demoColumnsOf)
	// Fields are the article: Policy for KindPolicy columns, Guide for
	// KindGuide columns. Bodies hold <p>, <h3>, lists and tables only.
	Fields Fields
	Age    time.Duration // how long ago it was first published (its publication date is now-Age)
	Edited time.Duration // 0, or how long ago a later edit was published (< Age)
	// Explains are, for KindInterpret columns, the Keys of the policy
	// items it interprets (1, sometimes 2). They come earlier in the
	// slice and are older than the interpretation.
	Explains []string
}

// DemoCorpus is the demo portal's articles, about 300, the same on every
// call but for the policy documents' 成文日期 (Policy.Written), which
// precede their publication dates by a few days and so depend on the
// day. The 文号 and 索引号 carry the year of that date; they change only
// when a document's 成文日期 crosses a new year.
//
// Everything is generated from the word lists below with a fixed seed:
// no text comes from a real website.
func DemoCorpus() []DemoItem { return demoCorpus(time.Now()) }

// demoCorpus is DemoCorpus with the dates written as of now.
func demoCorpus(now time.Time) []DemoItem {
	g := &gen{r: rand.New(rand.NewPCG(2004, 6)), count: map[string]int{}, used: map[string]bool{}, topicOf: map[string]topic{}}
	for _, sec := range demoSections {
		for _, col := range demoColumnsOf(sec) {
			g.column(sec, col)
		}
	}
	g.validities()
	g.stamp(now)
	return g.items
}

const (
	day    = 24 * time.Hour
	maxAge = 725 * day // the oldest item: the corpus spans two years
)

// topic is a subject the demo articles write about.
type topic struct {
	name  string   // 垃圾分类
	dept  string   // the department section that writes about it; "" the district's own
	field string   // the 主题分类 of its policy documents
	town  bool     // the townships and streets write about it too
	only  string   // the one district column it is kept for, "" for none
	words []string // what its articles are about: noun phrases
	line  string   // a sentence of its own
}

// demoTopics are the subjects of the corpus.
var demoTopics = []topic{
	{"垃圾分类", "cgj", "城乡建设", true, "", []string{"分类投放", "垃圾收运", "再生资源回收", "垃圾分类督导"}, "{place}推行垃圾分类“定时定点”投放，配备分类督导员{n}名，村民分类准确率达{pct}。"},
	{"市容环境整治", "cgj", "城乡建设", true, "", []string{"市容秩序", "违法建筑拆除", "占道经营", "环境卫生"}, "执法人员对{place}主要道路沿线的占道经营、乱堆乱放等问题开展集中整治，清理各类杂物{n}处。"},
	{"城市管理", "cgj", "城乡建设", false, "", []string{"数字城管", "市政设施", "城市绿化", "停车管理"}, "依托数字城管平台，全区累计受理各类城市管理问题{big}件，按期处置率达{pct}。"},
	{"美丽乡村", "nyj", "农业农村", true, "", []string{"村庄环境", "农房改造", "乡村旅游", "人居环境"}, "{village}通过拆违建、治污水、种花木，村庄环境焕然一新，成为远近闻名的美丽乡村。"},
	{"粮食生产", "nyj", "农业农村", true, "", []string{"粮食播种面积", "农机作业", "高标准农田", "种粮大户"}, "今年全区粮食播种面积稳定在{big}亩以上，农机作业服务覆盖{pct}的种粮大户。"},
	{"农村电商", "nyj", "农业农村", true, "", []string{"农产品上行", "电商直播", "物流配送", "农业品牌"}, "{place}组织农户开展电商直播培训，带动{n}户村民通过网络销售农产品。"},
	{"水环境治理", "hbj", "环境保护", true, "", []string{"河道保洁", "污水零直排", "水质监测", "河长制"}, "{place}落实河长制，对辖区{n}条河道开展常态化巡查，出境断面水质稳定达到三类标准。"},
	{"大气污染防治", "hbj", "环境保护", false, "", []string{"扬尘管控", "工业废气治理", "空气质量", "挥发性有机物治理"}, "全区空气质量优良天数比例达{pct}，重点企业废气治理设施全部实现在线监控。"},
	{"固体废物管理", "hbj", "环境保护", false, "", []string{"危险废物", "一般工业固废", "规范化管理", "环境执法"}, "执法人员对{n}家企业的危险废物贮存场所开展检查，督促企业规范台账管理。"},
	{"营商环境", "fgj", "综合政务", false, "", []string{"涉企服务", "审批提速", "惠企政策", "企业服务专员"}, "相关部门联合走访企业{n}家，现场解决企业反映的问题{few}个。"},
	{"重大项目建设", "fgj", "城乡建设", false, "", []string{"项目推进", "要素保障", "有效投资", "项目开工"}, "今年全区计划实施重大项目{n}个，已开工项目占比{pct}。"},
	{"财政预算管理", "czj", "财政金融", false, "", []string{"预算编制", "预算绩效", "财政资金", "民生支出"}, "全区一般公共预算支出中民生支出占比达{pct}，财政资金重点保障教育、医疗和社会保障等领域。"},
	{"政府采购", "czj", "财政金融", false, "", []string{"采购项目", "公开招标", "采购监管", "中小企业"}, "今年以来全区完成政府采购项目{n}批次，授予中小企业的合同金额占比{pct}。"},
	{"惠企资金兑付", "czj", "财政金融", false, "", []string{"资金兑付", "产业扶持", "企业补助", "直达资金"}, "全区累计兑付各类惠企资金{big}万元，惠及企业{n}家。"},
	{"校园安全", "jyj", "教育", true, "", []string{"学校安全", "校园周边环境", "学校食品安全", "防溺水教育"}, "{place}组织民警和教师对辖区{few}所学校开展安全检查，排查整改隐患{n}处。"},
	{"学前教育", "jyj", "教育", false, "", []string{"普惠性幼儿园", "保教质量", "学位供给", "幼儿园建设"}, "全区新增普惠性幼儿园学位{big}个，普惠性幼儿园在园幼儿占比达{pct}。"},
	{"课后服务", "jyj", "教育", false, "", []string{"课后托管", "学校社团", "暑期托管", "家校共育"}, "全区{n}所中小学校全面开展课后服务，学生参与率达{pct}。"},
	{"疫苗接种", "wsj", "卫生健康", true, "", []string{"预防接种", "接种门诊", "儿童免疫规划", "流感疫苗"}, "{place}社区卫生服务中心延长接种门诊服务时间，累计接种{big}剂次。"},
	{"基层医疗服务", "wsj", "卫生健康", true, "", []string{"家庭医生签约", "基层医疗机构", "慢病管理", "医疗服务"}, "{place}家庭医生签约服务覆盖{big}名村民，重点人群签约率达{pct}。"},
	{"公共卫生", "wsj", "卫生健康", false, "", []string{"健康教育", "爱国卫生运动", "传染病防控", "医疗卫生"}, "全区开展爱国卫生运动{few}轮，清理卫生死角{big}处。"},
	{"治安防控", "gaj", "公安", true, "", []string{"平安建设", "治安巡逻", "群防群治", "社会治安"}, "民警联合网格员在{place}开展夜间巡逻{n}次，辖区警情同比下降{dpct}。"},
	{"道路交通安全", "gaj", "公安", true, "", []string{"交通秩序", "电动自行车管理", "头盔佩戴", "交通安全宣传"}, "交警部门在{place}主要路口设置劝导点，电动自行车驾乘人员头盔佩戴率达{pct}。"},
	{"反诈宣传", "gaj", "公安", true, "", []string{"电信网络诈骗", "预警劝阻", "反诈知识", "群众财产安全"}, "民警走进{place}的企业和村（社区），开展反诈宣讲{n}场，发放宣传资料{big}份。"},
	{"信访工作", "xfj", "综合政务", false, "", []string{"信访事项", "领导接访", "初信初访", "信访秩序"}, "今年以来全区受理信访事项{big}件，按期办结率达{pct}。"},
	{"矛盾纠纷化解", "xfj", "综合政务", true, "", []string{"矛盾纠纷", "人民调解", "基层治理", "源头预防"}, "{place}调解委员会共排查化解各类矛盾纠纷{n}起，调解成功率达{pct}。"},
	{"安全生产", "", "综合政务", true, "", []string{"安全隐患", "企业主体责任", "消防安全", "应急演练"}, "{place}对辖区{n}家企业开展安全生产检查，督促整改安全隐患{big}处。"},
	{"防汛防台", "", "城乡建设", true, "", []string{"防汛物资", "排涝设施", "应急值守", "人员转移"}, "{place}储备防汛物资{big}件，组建应急抢险队伍{few}支。"},
	{"数字政府", "", "综合政务", false, "", []string{"政务服务", "一网通办", "数据共享", "掌上办事"}, "全区{pct}的政务服务事项实现网上可办，企业和群众办事更加便捷。"},
	{"就业创业", "", "社会保障", true, "", []string{"就业岗位", "技能培训", "创业补贴", "重点群体就业"}, "今年以来全区新增城镇就业{big}人，开展职业技能培训{n}期。"},
	{"养老服务", "", "社会保障", true, "", []string{"居家养老", "养老机构", "老年食堂", "高龄津贴"}, "{place}建成居家养老服务照料中心{few}家，为{big}名老年人提供助餐服务。"},
	{"文化旅游", "", "综合政务", false, "lywh", []string{"运河文化", "乡村旅游", "农民画", "文化礼堂"}, "{place}依托{w}资源，打造乡村旅游精品线路，吸引游客{big}人次。"},
	{"交通出行", "", "城乡建设", false, "jtcx", []string{"公交线路", "道路施工", "交通管制", "停车设施"}, "施工期间，交警部门将在{road}沿线设置交通指示标志，引导车辆绕行。"},
}

// demoColumnTopics are the topics of the district's special columns.
var demoColumnTopics = map[string][]string{
	"lywh": {"文化旅游"},
	"jtcx": {"交通出行", "道路交通安全"},
	"nyxx": {"粮食生产", "农村电商", "美丽乡村"},
	"hnzc": {"粮食生产"},
	"sqzc": {"营商环境", "惠企资金兑付"},
	"zxft": {"营商环境", "垃圾分类", "数字政府", "养老服务", "基层医疗服务", "就业创业"},
}

// demoDepts are the departments' 发文代字, the fields of their 机构职能.
var demoDepts = map[string]struct {
	prefix string
	duties []string
}{
	"czj": {"秀财发", []string{"财政预算", "国有资产管理", "政府采购", "财政监督"}},
	"fgj": {"秀发改", []string{"国民经济和社会发展规划", "重大项目", "价格管理", "粮食和物资储备"}},
	"jyj": {"秀教", []string{"基础教育", "学前教育", "教师队伍建设", "教育督导"}},
	"wsj": {"秀卫", []string{"医疗卫生", "疾病预防控制", "妇幼健康", "卫生监督"}},
	"gaj": {"秀公", []string{"社会治安", "道路交通管理", "户政管理", "网络安全"}},
	"cgj": {"秀城管", []string{"市容环境卫生", "城市管理综合执法", "市政设施", "生活垃圾分类"}},
	"nyj": {"秀农", []string{"农业产业发展", "粮食生产", "农村经营管理", "农产品质量安全"}},
	"hbj": {"秀环", []string{"生态环境保护", "水污染防治", "大气污染防治", "环境执法"}},
	"xfj": {"秀信访", []string{"信访工作", "信访事项办理", "信访督查", "矛盾纠纷排查"}},
}

// demoCounts are how many items the district's columns get; the
// departments' and townships' columns get 3 to 5 each.
var demoCounts = map[string]int{
	"yw": 40, "gzdt": 40, "tzgg": 8, "zcwj": 10, "gfxwj": 6, "zcjd": 12, "hygz": 3, "bszn": 15, "bgxz": 3,
	"zjdc": 3, "zxft": 3, "lywh": 3, "jtcx": 3, "nyxx": 4, "hnzc": 3, "sqzc": 3, "qyfc": 8,
}

// The places and the people.
var (
	demoPlaces = []string{"新塍镇", "王江泾镇", "油车港镇", "洪合镇", "王店镇", "新城街道", "嘉北街道", "塘汇街道"}
	surnames   = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "吴", "周", "徐", "孙", "朱", "胡", "沈", "钱", "蒋", "陆", "顾", "姚", "金", "许", "范", "褚", "费"}
	givenChars = []string{"建", "国", "伟", "明", "华", "强", "军", "平", "芳", "敏", "静", "丽", "斌", "杰", "涛", "海", "燕", "红", "霞", "磊", "晓", "志", "文", "洁", "宇", "浩", "晨", "雪", "婷", "俊", "峰", "琳", "亮", "波", "艳", "勇", "辉", "佳", "欣", "怡"}
	villagePre = []string{"新", "桃", "荷", "蚕", "杨", "沈", "南", "万", "联", "民", "永", "龙", "凤", "双", "梅", "竹"}
	villageSuf = []string{"桥", "浜", "港", "塘", "庄", "兜", "埭", "圩", "荡", "湾", "溪", "田"}
	roadPre    = []string{"秀", "洪", "新", "兴", "康", "和", "中", "富", "景", "嘉", "禾", "塍"}
	roadSuf    = []string{"园", "安", "盛", "湖", "源", "丰", "平", "泰", "宁", "北"}
	roadKinds  = []string{"路", "大道", "街"}
)

// The slot words of the sentence templates.
var demoSlots = map[string][]string{
	"group":    {"区级相关部门负责人", "各镇（街道）分管负责人", "各村（社区）党组织书记", "相关企业代表", "部分区人大代表和区政协委员"},
	"venue":    {"社区", "学校", "企业", "农村文化礼堂", "农贸市场", "养老机构"},
	"holiday":  {"春节", "清明节", "五一", "端午节", "中秋节", "国庆节"},
	"plan":     {"实施方案", "三年行动计划", "工作方案", "专项行动方案", "工作要点", "提升行动方案"},
	"rule":     {"管理办法", "暂行办法", "实施细则", "考核办法", "资金管理办法", "管理规定"},
	"festival": {"蚕桑文化节", "荷花节", "民俗文化节", "油菜花节", "农民丰收节", "运河文化周"},
	"subsidy":  {"耕地地力保护补贴", "农机购置补贴", "规模种粮补贴", "农业保险保费补贴", "绿色防控补助", "早稻订单收购奖励"},
	"biz":      {"企业技术改造项目补助", "高新技术企业培育", "专精特新中小企业认定", "企业研发费用补助", "稳岗返还资金", "首台套装备奖励"},
	"tail":     {"进一步明确了下一阶段重点任务", "推动各项工作落地见效", "受到群众广泛好评", "为完成全年目标任务打下坚实基础", "强调要压实责任、久久为功", "相关做法得到上级部门肯定"},
}

// sticky are the slots an article keeps once filled: its title and body
// speak of the same village, festival or road.
var sticky = []string{"village", "vice", "venue", "holiday", "plan", "rule", "festival", "subsidy", "biz", "road", "seq"}

// story is a title template, and for news the first sentence that goes
// with it.
type story struct{ title, lead string }

// The genres of the list columns' bodies.
const (
	genreNews = iota
	genreNotice
	genreReply
	genreTalk
	genreForm
)

// listSpec is what a list column publishes.
type listSpec struct {
	genre   int
	stories []story
}

var newsStories = []story{
	{"{place}召开{topic}工作推进会", "近日，{place}召开{topic}工作推进会，{group}参加会议。"},
	{"{place}扎实推进{topic}工作", "今年以来，{place}紧紧围绕{w}这一重点，扎实推进{topic}各项工作。"},
	{"{place}{topic}工作取得新成效", "记者从{org}获悉，{place}{topic}工作取得新成效，{w}各项指标位居全区前列。"},
	{"{org}部署{topic}专项行动", "日前，{org}召开会议，部署开展{topic}专项行动，{group}参加会议。"},
	{"区领导赴{place}调研{topic}工作", "近日，副区长{vice}带队赴{place}调研{topic}工作，实地察看{w}推进情况。"},
	{"{place}举办{topic}业务培训班", "近日，{place}举办{topic}业务培训班，{n}余名基层工作人员参加培训。"},
	{"{place}多措并举抓好{topic}", "今年以来，{place}多措并举抓好{topic}工作，重点在{w}上下功夫。"},
	{"秀洲区{topic}工作现场会在{place}召开", "近日，秀洲区{topic}工作现场会在{place}召开，与会人员实地观摩了{village}的{w}工作。"},
	{"{org}开展{topic}督查检查", "近日，{org}组成督查组，深入{units}开展{topic}督查检查。"},
	{"{topic}宣传进{venue}活动在{place}启动", "近日，{topic}宣传进{venue}活动在{place}启动，活动现场吸引了{n}余名群众参与。"},
	{"{place}探索{topic}新模式", "近年来，{place}积极探索{topic}新模式，以{w}为突破口，走出了一条特色路子。"},
	{"{org}召开{topic}工作座谈会", "近日，{org}召开{topic}工作座谈会，{group}参加座谈。"},
}

var ywStories = append(slices.Clip(newsStories),
	story{"区政府召开第{seq}次常务会议", "近日，区长{mayor}主持召开区政府第{seq}次常务会议，研究{topic}等工作。"},
	story{"区长{mayor}赴{place}调研{topic}工作", "近日，区长{mayor}赴{place}调研{topic}工作，{group}陪同调研。"},
	story{"全区{topic}工作会议召开", "近日，全区{topic}工作会议召开，会议总结前一阶段工作，部署下一步任务。"},
)

// demoLists are the list columns, by slug.
var demoLists = map[string]listSpec{
	"yw":   {genreNews, ywStories},
	"gzdt": {genreNews, newsStories},
	"tzgg": {genreNotice, []story{{"关于做好{topic}工作的通知", ""}, {"关于开展{topic}专项检查的通知", ""}, {"关于{topic}工作情况的通报", ""},
		{"关于进一步规范{w}工作的通知", ""}, {"{place}{topic}项目公示", ""}, {"关于公布{topic}示范点名单的公告", ""},
		{"关于举办{topic}培训的通知", ""}, {"关于{holiday}期间做好{topic}工作的通知", ""}}},
	"hygz": {genreReply, []story{{"关于{place}{w}问题的回应", ""}, {"关于群众反映{w}相关问题的答复", ""}, {"{topic}热点问题答复", ""}}},
	"bgxz": {genreForm, []story{{"{matter}申请表", ""}, {"{matter}告知承诺书", ""}}},
	"zjdc": {genreNotice, []story{{"关于征集{topic}意见建议的公告", ""}, {"{topic}工作群众满意度问卷调查", ""},
		{"关于《秀洲区{topic}{plan}（征求意见稿）》公开征求意见的公告", ""}}},
	"zxft": {genreTalk, []story{{"{org}负责人谈{topic}", ""}, {"{topic}工作在线访谈", ""}, {"畅谈{topic}新举措", ""}}},
	"lywh": {genreNews, []story{
		{"{place}{festival}开幕", "近日，{place}{festival}正式开幕，{n}余项特色活动吸引了大批游客和市民。"},
		{"{place}推出乡村旅游精品线路", "近日，{place}推出{few}条乡村旅游精品线路，串联起{w}等特色资源。"},
		{"秀洲农民画作品展在{place}开展", "近日，秀洲农民画作品展在{place}文化中心开展，共展出作品{n}幅。"},
		{"{village}举办{festival}", "近日，{village}举办{festival}，村民和游客共同感受{w}的魅力。"}}},
	"jtcx": {genreNotice, []story{{"关于{road}道路施工期间实施交通管制的通告", ""}, {"关于调整公交{seq}路运营线路的公告", ""}, {"关于{road}停车泊位调整的公告", ""}}},
	"nyxx": {genreNews, []story{
		{"{place}早稻机插秧有序推进", "眼下正值早稻机插秧关键时节，{place}组织农机手抢抓农时，确保粮食生产不误农时。"},
		{"{place}开展农业技术培训进村入户活动", "近日，{place}组织农技人员深入{village}，开展农业技术培训进村入户活动。"},
		{"{village}种粮大户喜获丰收", "近日，{village}种粮大户的{big}亩水稻迎来收割，亩产比上年有所提高。"},
		{"{place}举办农产品展销活动", "近日，{place}举办农产品展销活动，{n}家农业经营主体带来了特色农产品。"},
		{"{place}{topic}工作有序推进", "今年以来，{place}围绕{w}，有序推进{topic}工作。"}}},
	"hnzc": {genreNotice, []story{{"关于开展{subsidy}申报工作的通知", ""}, {"{subsidy}发放情况公示", ""}, {"关于{subsidy}政策的说明", ""}}},
	"sqzc": {genreNotice, []story{{"关于组织申报{biz}的通知", ""}, {"关于公布{biz}名单的公告", ""}, {"关于{topic}相关惠企政策的说明", ""}}},
}

// The sentences of the bodies.
var (
	newsLines = []string{
		"会议指出，{topic}工作事关群众切身利益，{units}和有关单位要进一步提高思想认识，压实工作责任。",
		"会议强调，要坚持问题导向，聚焦{w}等薄弱环节，逐项制定整改措施，确保工作取得实效。",
		"今年以来，{place}累计投入资金{big}万元，实施{w}项目{n}个，群众满意度明显提升。",
		"据统计，{whole}已有{n}个行政村完成{w}相关工作，惠及村民{big}余户。",
		"活动现场，工作人员通过发放宣传资料、现场讲解等方式，向村民和企业职工普及{w}知识。",
		"{village}党支部书记表示，村里将把{topic}作为今年的重点工作，发动党员干部带头参与。",
		"在一家企业的生产车间，企业负责人介绍了在{w}方面的做法，表示将严格落实主体责任。",
		"与会人员还就{w}工作中存在的困难和问题进行了交流讨论，并提出了意见建议。",
		"截至目前，{place}{w}工作完成率达{pct}，同比提高{few}个百分点。",
		"各学校、医疗机构和企业要落实安全责任，做好日常检查和应急准备工作。",
		"{place}将{topic}纳入年度目标责任制考核，实行月度通报、季度点评。",
		"通过网格员走访、村民议事会等形式，{place}广泛听取群众对{topic}工作的意见建议。",
		"同时，{place}注重把{topic}与农业增效、企业发展和村民增收结合起来，推动各项工作互促共进。",
		"在推进过程中，{place}注重发挥村民主体作用，形成了共建共治共享的良好局面。",
		"区级农业、环境、教育、医疗等部门密切配合，形成了齐抓共管的工作格局。",
		"群众如有意见建议，可拨打12345政务服务便民热线反映。",
		"{org}有关负责人介绍，今年将重点抓好{w}和{w}两项工作，力争取得新突破。",
		"会议要求，各地要加强工作调度，及时协调解决{w}中遇到的困难，确保安全有序推进。",
	}
	newsClosers = []string{
		"下一步，{org}将继续加强统筹协调，推动{topic}工作向纵深发展。",
		"下一步，{place}将持续巩固{w}成果，不断提升群众的获得感和满意度。",
		"据悉，该项工作已列入今年区政府民生实事项目，将于年底前全面完成。",
		"{org}表示，将建立长效工作机制，确保{topic}工作常态长效。",
	}
	noticeIntros = []string{
		"为进一步做好{topic}工作，根据上级有关要求，结合{scope}实际，现就有关事项通知如下。",
		"为切实加强{w}管理，保障人民群众合法权益，经研究，现将有关事项明确如下。",
		"根据{scope}{topic}工作安排，为确保各项任务按期完成，现将有关事项明确如下。",
	}
	noticeHeads = []string{"明确工作目标", "落实工作责任", "突出工作重点", "加强宣传引导", "强化督查考核", "做好信息报送", "注意事项"}
	noticeLines = []string{
		"各单位要围绕{w}等重点任务，细化工作举措，明确责任人和完成时限。",
		"各单位要组织力量对辖区企业、学校和居民小区开展全面排查，建立问题清单。",
		"要充分利用广播、宣传栏、微信公众号等渠道，广泛宣传{topic}相关政策和知识。",
		"对工作中发现的问题要立行立改，对一时难以整改的要制定计划、限期整改。",
		"{org}将适时组织督查，督查结果纳入年度考核并予以通报。",
		"请各单位于每月底前将{w}工作进展情况报送{org}。",
		"活动期间，请各单位严格落实安全措施，确保人员和财产安全。",
		"相关企业和村民如有疑问，可向所在镇（街道）或{org}咨询。",
	}
	replyOpens = []string{
		"近期，有群众通过12345政务服务便民热线反映{place}{w}方面存在问题，希望有关部门尽快处理。",
		"近日，有网民在区政府门户网站留言，反映{place}{w}相关问题，引起社会关注。",
	}
	replyChecks = []string{
		"对此，{org}高度重视，第一时间组织工作人员赴现场核查。经核查，群众反映的情况基本属实，主要原因是前期{w}工作衔接不够到位。",
		"接到反映后，{org}会同{place}成立工作专班，逐一核实有关情况，并与反映人进行了沟通。",
	}
	replyFixes = []string{
		"目前，{org}已会同{place}制定整改方案，安排专人跟踪落实，相关问题已整改完成{pct}。",
		"针对存在的问题，{org}已落实{w}整改措施{few}项，并将整改情况向反映人作了反馈。",
	}
	replyNexts = []string{
		"下一步，{org}将举一反三，加强日常巡查，建立长效机制，欢迎社会各界继续监督。",
		"{org}将持续关注{topic}工作中的群众诉求，做到件件有回音、事事有着落。",
	}
	talkQuestions = []string{
		"问：请您介绍一下{topic}工作的总体情况。",
		"问：在推进{topic}工作中，群众最关心哪些问题？",
		"问：在{w}方面，今年有哪些新的举措？",
		"问：下一步在{topic}方面有哪些打算？",
	}
	policyPurposes = []string{
		"为深入贯彻落实上级关于{topic}工作的决策部署，进一步提升{w}水平，结合我区实际，制定本文件。",
		"为加快推进{topic}工作，着力解决{w}中的突出问题，经区政府同意，提出以下意见。",
	}
	policyGoals = []string{
		"坚持以人民为中心的发展思想，统筹推进{topic}各项工作，力争用三年时间基本建立{w}长效机制。",
		"坚持政府主导、部门协同、社会参与，到规划期末全区{w}工作达到全市先进水平。",
	}
	policyTasks = []string{
		"加强{w}体系建设，完善配套设施，提升服务能力。",
		"推动{w}与数字化改革深度融合，提高工作效率和管理水平。",
		"各镇（街道）要结合实际制定具体实施方案，明确时间表和路线图。",
		"建立{w}工作台账，实行清单化管理、闭环式推进。",
		"鼓励企业、社会组织和村民广泛参与，形成工作合力。",
		"严格落实安全生产责任，切实保障人民群众生命财产安全。",
	}
	policyMeasures = []string{
		"各有关单位要加强组织领导，明确分管负责人和具体联系人。",
		"区财政局要做好资金保障，提高财政资金使用效益。",
		"将{topic}工作纳入年度综合考核，对工作不力的单位予以通报。",
		"加强宣传引导，营造全社会共同参与的良好氛围。",
	}
)

// matter is a 办事 matter of the guides and forms.
type matter struct{ name, domain, who, material string }

var demoMatters = []matter{
	{"个体工商户设立登记", "个体工商户登记", "在本区从事个体经营活动的自然人", "经营场所使用证明"},
	{"城乡居民基本养老保险参保登记", "城乡居民基本养老保险", "年满十六周岁的本区户籍居民", "户口簿原件及复印件"},
	{"居民身份证申领", "居民身份证管理", "本区常住户口居民", "户口簿原件"},
	{"出生医学证明办理", "母婴保健", "在本区医疗机构出生的新生儿的父母", "新生儿父母双方身份证件"},
	{"农村村民宅基地建房审批", "农村宅基地管理", "符合建房条件的本区农村村民", "村民代表会议决议"},
	{"食品经营许可", "食品经营许可", "在本区从事食品销售和餐饮服务的经营者", "食品安全管理制度"},
	{"排污许可申请", "排污许可", "本区纳入排污许可管理的企业事业单位", "污染防治设施说明"},
	{"义务教育入学登记", "义务教育", "适龄儿童少年的父母或者其他监护人", "居住证明材料"},
	{"生育登记", "人口与计划生育", "本区户籍或者在本区居住的夫妻", "结婚证"},
	{"残疾人证申领", "残疾人保障", "本区户籍的残疾人", "残疾评定材料"},
	{"农机购置补贴申请", "农业机械化促进", "购置补贴机具的本区农户和农业生产经营组织", "购机发票"},
	{"城市道路占用许可", "城市道路管理", "因施工等原因需临时占用城市道路的单位和个人", "施工方案"},
	{"户外广告设置许可", "户外广告设施管理", "在本区设置户外广告设施的单位和个人", "设置位置平面图"},
	{"最低生活保障申请", "社会救助", "家庭人均收入低于本区最低生活保障标准的居民", "家庭收入情况说明"},
	{"就业创业证申领", "就业促进", "在本区就业或者创业的劳动者", "近期免冠照片"},
	{"临时救助申请", "社会救助", "因突发事件导致基本生活暂时困难的家庭", "困难情况说明"},
}

// industry is what an enterprise of 企业风采 makes.
type industry struct{ name, products string }

var demoIndustries = []industry{
	{"纺织", "高档化纤面料和功能性家纺产品"}, {"毛衫", "羊毛衫和针织时装"}, {"光伏科技", "高效光伏组件和储能系统"},
	{"机械制造", "精密传动部件和数控机床配件"}, {"食品", "粽子、糕点等传统食品"}, {"新材料", "高性能复合材料和功能薄膜"},
	{"电子科技", "汽车电子元器件和智能传感器"}, {"智能装备", "工业机器人和自动化生产线"}, {"家具", "实木家具和定制家居"},
}

var (
	brandNames = []string{"恒丰", "华裕", "锦程", "永泰", "瑞达", "宏盛", "兴禾", "博远", "联众", "嘉诚", "天成", "金穗", "新源", "益康", "汇通", "德润"}
	firmPlaces = []string{"嘉兴", "嘉兴", "新塍", "王江泾", "洪合", "王店", "油车港"}
	honors     = []string{"省级高新技术企业", "省级专精特新中小企业", "市级绿色工厂", "市级企业技术中心", "省级数字化车间", "区级纳税大户"}
	viceDuties = []string{
		"负责农业农村、水利、乡村振兴方面工作。",
		"负责教育、卫生健康、文化旅游、体育方面工作。",
		"负责自然资源、住房城乡建设、城市管理、交通运输方面工作。",
		"负责生态环境、市场监管、应急管理方面工作。",
		"负责人力社保、民政、退役军人事务方面工作。",
	}
)

// gen is the corpus being generated.
type gen struct {
	r       *rand.Rand
	items   []DemoItem
	count   map[string]int   // items so far of a "section/column"
	used    map[string]bool  // titles taken, "scope|title"
	docs    []docInfo        // the policy documents, to date
	topicOf map[string]topic // a policy item's topic, by key
	mayor   string
	vices   []string
}

// docInfo is what a policy document's dated fields are made of.
type docInfo struct {
	item   int    // its index in items
	prefix string // the 发文字号's 代字: 秀政发
	org    string // the 索引号's organisation code
	lag    int    // days its 成文日期 precedes its publication
}

// art is the article being written: where, by whom, about what.
type art struct {
	sec    Section
	col    demoColumn
	t      topic
	m      matter
	place  string
	org    string
	lastW  string
	fixed  map[string]string // the sticky slots' values
	policy string            // for 解读: the policy document's title
}

// intn is a number in [lo, hi].
func (g *gen) intn(lo, hi int) int { return lo + g.r.IntN(hi-lo+1) }

// pick is one of list.
func pick[T any](g *gen, list []T) T { return list[g.r.IntN(len(list))] }

// dur is a duration in [lo, hi), whole minutes.
func (g *gen) dur(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(g.r.Int64N(int64(hi-lo))).Truncate(time.Minute)
}

// name is a person's name.
func (g *gen) name() string {
	n := pick(g, surnames) + pick(g, givenChars)
	if g.r.IntN(10) < 6 {
		n += pick(g, givenChars)
	}
	return n
}

func (g *gen) village() string { return pick(g, villagePre) + pick(g, villageSuf) + "村" }
func (g *gen) road() string    { return pick(g, roadPre) + pick(g, roadSuf) + pick(g, roadKinds) }
func (g *gen) phone() string   { return fmt.Sprintf("0573-8%07d", g.intn(2000000, 9999999)) }
func (g *gen) pct() string     { return fmt.Sprintf("%d.%d%%", g.intn(80, 98), g.intn(0, 9)) }

// fill expands the {slots} of a template for article a.
func (g *gen) fill(a *art, tmpl string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			b.WriteString(tmpl)
			return b.String()
		}
		j := strings.IndexByte(tmpl[i:], '}')
		b.WriteString(tmpl[:i])
		b.WriteString(g.slot(a, tmpl[i+1:i+j]))
		tmpl = tmpl[i+j+1:]
	}
}

// slot is a value of the slot name: the article's own for its place,
// topic and organisation, the same again for a sticky slot, else new.
func (g *gen) slot(a *art, name string) string {
	if v, ok := a.fixed[name]; ok {
		return v
	}
	var v string
	switch name {
	case "place":
		return a.place
	case "topic":
		return a.t.name
	case "org":
		return a.org
	case "matter":
		return a.m.name
	case "policy":
		return a.policy
	case "mayor":
		return g.mayor
	case "scope":
		if a.sec.Kind == SectionTownship || a.sec.Kind == SectionStreet {
			return "本" + unitOf(a.sec)
		}
		return "我区"
	case "units":
		if a.sec.Kind == SectionTownship || a.sec.Kind == SectionStreet {
			return "各村（社区）"
		}
		return "各镇（街道）"
	case "whole":
		if a.sec.Kind == SectionTownship || a.sec.Kind == SectionStreet {
			return "全" + unitOf(a.sec)
		}
		return "全区"
	case "w":
		v = pick(g, a.t.words)
		for v == a.lastW {
			v = pick(g, a.t.words)
		}
		a.lastW = v
		return v
	case "n":
		return strconv.Itoa(g.intn(12, 60))
	case "few":
		return strconv.Itoa(g.intn(2, 9))
	case "big":
		return strconv.Itoa(g.intn(12, 500) * 10)
	case "seq":
		v = strconv.Itoa(g.intn(10, 99))
	case "pct":
		return g.pct()
	case "dpct":
		return fmt.Sprintf("%d.%d%%", g.intn(3, 25), g.intn(0, 9))
	case "village":
		v = g.village()
	case "road":
		v = g.road()
	case "vice":
		v = pick(g, g.vices)
	case "name":
		return g.name()
	case "phone":
		return g.phone()
	default:
		list, ok := demoSlots[name]
		if !ok {
			panic("democorpus: no slot " + name)
		}
		v = pick(g, list)
	}
	if slices.Contains(sticky, name) {
		if a.fixed == nil {
			a.fixed = map[string]string{}
		}
		a.fixed[name] = v
	}
	return v
}

// deck deals sentence templates for an article in a random order, none
// twice.
type deck struct {
	g     *gen
	a     *art
	lines []string
	order []int
}

// deck is a shuffled deck of lines for article a.
func (g *gen) deck(a *art, lines []string) *deck { return &deck{g, a, lines, g.r.Perm(len(lines))} }

// deal is the next n sentences, filled.
func (d *deck) deal(n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(d.g.fill(d.a, d.lines[d.order[0]]))
		d.order = d.order[1:]
	}
	return b.String()
}

// sentences are n sentences of lines, none twice.
func (g *gen) sentences(a *art, lines []string, n int) string { return g.deck(a, lines).deal(n) }

// paragraph is a <p> of text.
func paragraph(s string) string { return "<p>" + s + "</p>" }

// heading is an <h3>.
func heading(s string) string { return "<h3>" + s + "</h3>" }

// table is a <table> of a head row and rows.
func table(head []string, rows [][]string) string {
	var b strings.Builder
	b.WriteString("<table><thead><tr>")
	for _, h := range head {
		b.WriteString("<th>" + h + "</th>")
	}
	b.WriteString("</tr></thead><tbody>")
	for _, r := range rows {
		b.WriteString("<tr>")
		for _, c := range r {
			b.WriteString("<td>" + c + "</td>")
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</tbody></table>")
	return b.String()
}

// numbered is "一、" for 1: the Chinese numeral of n (1..99) and "、".
func numbered(n int) string { return cnNum(n) + "、" }

// cnNum is n (1..99) in Chinese numerals.
func cnNum(n int) string {
	d := []string{"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"}
	s := ""
	if n >= 20 {
		s = d[n/10]
	}
	if n >= 10 {
		s += "十"
	}
	if n%10 != 0 || n < 10 {
		s += d[n%10]
	}
	return s
}

// quoted is a title in 《》, with its own 《》 turned into 〈〉.
func quoted(title string) string {
	return "《" + strings.NewReplacer("《", "〈", "》", "〉").Replace(title) + "》"
}

// orgOf is who publishes in a section.
func orgOf(sec Section) string {
	switch sec.Kind {
	case SectionTownship:
		return sec.Name + "人民政府"
	case SectionStreet:
		return sec.Name + "办事处"
	case SectionDepartment:
		return sec.Name
	}
	return "区政府办公室"
}

// unitOf is what a township or street calls itself: 镇 or 街道.
func unitOf(sec Section) string {
	if sec.Kind == SectionStreet {
		return "街道"
	}
	return "镇"
}

// deptName is the name of department section code.
func deptName(code string) string {
	for _, s := range demoSections {
		if s.Code == code {
			return s.Name
		}
	}
	return "区政府办公室"
}

// fullName is a department's full name: 区财政局 → 秀洲区财政局.
func fullName(name string) string { return "秀洲区" + strings.TrimPrefix(name, "区") }

// orgCode is a section's organisation code of its 索引号: 9 digits.
func orgCode(sec string) string {
	h := fnv.New32a()
	h.Write([]byte("nanhu-org:" + sec))
	return fmt.Sprintf("%09d", h.Sum32()%1_000_000_000)
}

// topics are the topics a column of a section writes about.
func (g *gen) topics(sec Section, col demoColumn) []topic {
	var names []string
	if sec.Code == mainSection {
		names = demoColumnTopics[col.slug]
	}
	var ts []topic
	for _, t := range demoTopics {
		switch {
		case names != nil:
			if slices.Contains(names, t.name) {
				ts = append(ts, t)
			}
		case sec.Kind == SectionDepartment:
			if t.dept == sec.Code {
				ts = append(ts, t)
			}
		case sec.Kind == SectionDistrict:
			if t.only == "" {
				ts = append(ts, t)
			}
		default:
			if t.town {
				ts = append(ts, t)
			}
		}
	}
	return ts
}

// art starts an article of a column: its topic, place and organisation.
func (g *gen) art(sec Section, col demoColumn) *art {
	a := &art{sec: sec, col: col}
	g.retopic(a)
	return a
}

// retopic chooses a's topic, place, matter and organisation anew.
func (g *gen) retopic(a *art) {
	a.t = pick(g, g.topics(a.sec, a.col))
	a.m = pick(g, demoMatters)
	a.place, a.org = pick(g, demoPlaces), orgOf(a.sec)
	switch a.sec.Kind {
	case SectionTownship, SectionStreet:
		a.place = a.sec.Name
	case SectionDistrict:
		a.org = deptName(a.t.dept)
	}
}

// title is a title from the stories, new in its scope and at most 60
// characters; it returns the story too.
func (g *gen) title(scope string, a *art, stories []story) (string, story) {
	for try := 1; ; try++ {
		a.fixed = nil
		st := pick(g, stories)
		t := g.fill(a, st.title)
		if utf8.RuneCountInString(t) <= 60 && !g.used[scope+"|"+t] {
			g.used[scope+"|"+t] = true
			return t, st
		}
		if try%10 == 0 {
			g.retopic(a)
		}
	}
}

// keywords are the topic, a word of it and sometimes the place.
func (g *gen) keywords(a *art) string {
	w := pick(g, a.t.words)
	for w == a.t.name {
		w = pick(g, a.t.words)
	}
	kw := []string{a.t.name, w}
	if g.r.IntN(2) == 0 && a.place != "" {
		kw = append(kw, a.place)
	}
	return strings.Join(kw, "，")
}

// ages are n ages of a column's items, newest first: the newest in
// [lo, hi), the others anywhere from lo back to two years.
func (g *gen) ages(n int, lo, hi time.Duration) []time.Duration {
	as := make([]time.Duration, n)
	for i := range as {
		if i == 0 {
			as[i] = g.dur(lo, hi)
		} else {
			as[i] = g.dur(lo, maxAge)
		}
	}
	slices.Sort(as)
	return as
}

// window is where a column's newest item falls, so that it passes the
// inspection's update rules on the day the demo is seeded.
func window(sec Section, col demoColumn) (lo, hi time.Duration) {
	switch {
	case sec.Code == mainSection && col.slug == "yw":
		return time.Hour, 30 * time.Hour
	case col.update == UpdateNews:
		return 2 * time.Hour, 5 * day
	case col.update == UpdateNotice:
		return day, 80 * day
	}
	return day, 240 * day
}

// edited is, with chance p, when a later edit of an item of age was
// published; else 0.
func (g *gen) edited(age time.Duration, p float64) time.Duration {
	if age < 2*day || g.r.Float64() >= p {
		return 0
	}
	return g.dur(age/20, age*9/10)
}

// add appends an item of a's column, with a byline where f has none.
func (g *gen) add(a *art, f Fields, age, edited time.Duration) string {
	col := a.sec.Code + "/" + a.col.slug
	g.count[col]++
	if f.Source == "" {
		f.Source = a.org
	}
	if f.Author == "" {
		f.Author = g.name()
	}
	if f.Keywords == "" {
		f.Keywords = g.keywords(a)
	}
	key := fmt.Sprintf("%s/%d", col, g.count[col])
	g.items = append(g.items, DemoItem{Key: key, Section: a.sec.Code, Column: a.col.slug, Fields: f, Age: age, Edited: edited})
	return key
}

// column generates a column's items.
func (g *gen) column(sec Section, col demoColumn) {
	n := 3
	switch {
	case sec.Code == mainSection:
		n = demoCounts[col.slug]
	case col.slug == "gzdt":
		n = g.intn(3, 5)
	}
	switch col.kind {
	case KindPage:
		g.page(sec, col)
	case KindLeaders:
		g.leaders(sec, col)
	case KindList:
		g.list(sec, col, n)
	case KindPolicy:
		g.policies(sec, col, n)
	case KindInterpret:
		g.interpretations(sec, col, n)
	case KindGuide:
		g.guides(sec, col, n)
	case KindEnterprise:
		g.enterprises(sec, col, n)
	}
}

// list generates the items of a list column: news, notices, replies,
// interviews, forms.
func (g *gen) list(sec Section, col demoColumn, n int) {
	spec := demoLists[col.slug]
	lo, hi := window(sec, col)
	for _, age := range g.ages(n, lo, hi) {
		a := g.art(sec, col)
		title, st := g.title(sec.Code+"/"+col.slug, a, spec.stories)
		f := Fields{Title: title}
		var ps []string
		switch spec.genre {
		case genreNews:
			ps = append(ps, paragraph(g.fill(a, st.lead)+g.fill(a, a.t.line)))
			lines := g.deck(a, newsLines)
			for range g.intn(2, 5) {
				ps = append(ps, paragraph(lines.deal(2)))
			}
			ps = append(ps, paragraph(g.fill(a, pick(g, newsClosers))))
			f.Summary = title + "，" + g.fill(a, "{tail}") + "。"
			if sec.Code == mainSection && g.r.IntN(3) == 0 {
				f.Source = "区融媒体中心"
			}
		case genreNotice:
			ps = append(ps, paragraph(salutation(sec)), paragraph(g.fill(a, pick(g, noticeIntros))))
			heads, lines := g.r.Perm(len(noticeHeads)), g.deck(a, noticeLines)
			for k := range g.intn(2, 4) {
				ps = append(ps, paragraph(numbered(k+1)+noticeHeads[heads[k]]+"。"+lines.deal(2)))
			}
			ps = append(ps, paragraph(g.fill(a, "联系人：{name}，联系电话：{phone}。")), paragraph(a.org))
			f.Summary = g.fill(a, "{org}就{topic}有关事项公开发布相关信息，请相关单位和个人知悉。")
			if kind := string([]rune(title)[utf8.RuneCountInString(title)-2:]); slices.Contains([]string{"通知", "公告", "通告", "通报", "公示"}, kind) {
				f.Summary = g.fill(a, "本"+kind+"就{topic}有关事项作出安排，请相关单位和个人知悉。")
			}
		case genreReply:
			ps = append(ps, paragraph(g.fill(a, pick(g, replyOpens))), paragraph(g.fill(a, pick(g, replyChecks))),
				paragraph(g.fill(a, pick(g, replyFixes))), paragraph(g.fill(a, pick(g, replyNexts))))
			f.Summary = g.fill(a, "针对群众关注的{w}问题，{org}作出回应并公布了整改措施。")
		case genreTalk:
			ps = append(ps, paragraph(g.fill(a, "访谈嘉宾：{org}负责人{name}。本期访谈围绕{topic}工作，回应网民关心的热点问题。")))
			questions, answers := g.deck(a, talkQuestions), g.deck(a, newsLines)
			for range 3 {
				ps = append(ps, paragraph(questions.deal(1)), paragraph("答："+answers.deal(2)))
			}
			f.Summary = g.fill(a, "{org}负责人做客在线访谈，介绍{topic}工作情况并回答网民关心的问题。")
		case genreForm:
			ps = append(ps, paragraph(g.fill(a, "本表格适用于申请办理{matter}的个人和单位，申请人可下载后打印填写。")),
				paragraph("填写时请使用黑色签字笔，做到字迹清楚、内容真实，涉及签名处须由申请人本人签名。"),
				paragraph(g.fill(a, "填写完成后，请携带本表及相关材料到秀洲区行政服务中心综合受理窗口提交，咨询电话{phone}。")))
			f.Summary = g.fill(a, "本表格供申请办理{matter}时填写使用。")
			f.Keywords = "表格下载，" + a.m.name
		}
		f.Body = strings.Join(ps, "")
		g.add(a, f, age, g.edited(age, 0.03))
	}
}

// salutation is who a notice is addressed to.
func salutation(sec Section) string {
	switch sec.Kind {
	case SectionDistrict:
		return "各镇人民政府、街道办事处，区级各部门、各有关单位："
	case SectionDepartment:
		return "各镇（街道），各有关单位："
	}
	return "各村（社区），各有关单位："
}

// policies generates the documents of a 文件资料 column; their dates,
// 文号 and 索引号 wait for stamp.
func (g *gen) policies(sec Section, col demoColumn, n int) {
	stories := []story{{"关于印发《秀洲区{topic}{plan}》的通知", ""}, {"关于进一步加强{topic}工作的意见", ""},
		{"关于加快推进{topic}工作的实施意见", ""}, {"关于做好{topic}工作的通知", ""}, {"关于深化{topic}改革的若干意见", ""}}
	if col.slug == "gfxwj" {
		stories = []story{{"关于印发《秀洲区{topic}{rule}》的通知", ""}, {"关于印发《秀洲区{topic}{plan}》的通知", ""}}
	}
	lo, hi := window(sec, col)
	for _, age := range g.ages(n, lo, hi) {
		a := g.art(sec, col)
		title, _ := g.title(sec.Code+"/policy", a, stories)
		prefix, issuer, source := "", fullName(sec.Name), sec.Name
		switch {
		case sec.Code != mainSection:
			prefix = demoDepts[sec.Code].prefix
		case g.r.IntN(5) < 3:
			prefix, issuer, source = "秀政办发", "秀洲区人民政府办公室", "区政府办公室"
		default:
			prefix, issuer, source = "秀政发", "秀洲区人民政府", "区政府办公室"
		}
		var b strings.Builder
		b.WriteString(paragraph(salutation(sec)))
		if i, j := strings.Index(title, "《"), strings.Index(title, "》"); i >= 0 && j > i {
			b.WriteString(paragraph("现将" + title[i:j+len("》")] + "印发给你们，请结合实际，认真贯彻执行。"))
		}
		b.WriteString(paragraph(g.fill(a, pick(g, policyPurposes))))
		b.WriteString(heading("一、总体要求") + paragraph(g.fill(a, pick(g, policyGoals))))
		tasks := g.deck(a, policyTasks)
		b.WriteString(heading("二、主要任务") + paragraph(tasks.deal(2)) + paragraph(tasks.deal(2)))
		b.WriteString(heading("三、保障措施") + paragraph(g.sentences(a, policyMeasures, 2)))
		b.WriteString(paragraph("本文件自印发之日起施行，由" + fullName(a.org) + "负责解释。"))
		f := Fields{Title: title, Body: b.String(), Source: source,
			Summary: g.fill(a, "本文件明确了全区{topic}工作的总体要求、主要任务和保障措施。"),
			Policy:  &Policy{Issuer: issuer, Validity: Valid, Topic: a.t.field}}
		key := g.add(a, f, age, g.edited(age, 0.03))
		g.topicOf[key] = a.t
		g.docs = append(g.docs, docInfo{item: len(g.items) - 1, prefix: prefix, org: orgCode(sec.Code), lag: g.intn(2, 10)})
	}
}

// validities are the documents' 有效性: the older half follows a pattern
// of 已修改, 已废止 and 已失效 among 有效 ones.
func (g *gen) validities() {
	docs := slices.Clone(g.docs)
	slices.SortFunc(docs, func(x, y docInfo) int { return cmp.Compare(g.items[y.item].Age, g.items[x.item].Age) })
	pattern := []string{Valid, Repealed, Amended, Valid, Expired, Valid, Amended, Repealed, Expired, Valid}
	for i, d := range docs[:len(docs)/2] {
		g.items[d.item].Fields.Policy.Validity = pattern[i%len(pattern)]
	}
}

// stamp dates the documents as of now: the 成文日期 a few days before
// publication, then the 文号 and 索引号 numbered in that order within
// the year, with gaps for the documents not on the portal.
func (g *gen) stamp(now time.Time) {
	type dated struct {
		docInfo
		at time.Time
	}
	ds := make([]dated, len(g.docs))
	for i, d := range g.docs {
		ds[i] = dated{d, now.Add(-g.items[d.item].Age).AddDate(0, 0, -d.lag)}
	}
	slices.SortStableFunc(ds, func(x, y dated) int { return x.at.Compare(y.at) })
	numbers, index := map[string]int{}, map[string]int{}
	for _, d := range ds {
		it := &g.items[d.item]
		h := fnv.New32a()
		h.Write([]byte(it.Key))
		gap, y := int(h.Sum32()), d.at.Year()
		nk, ik := fmt.Sprint(d.prefix, y), fmt.Sprint(d.org, y)
		numbers[nk] += 1 + gap%4
		index[ik] += 1 + gap%23
		p := it.Fields.Policy
		p.Written = d.at.Format(time.DateOnly)
		p.Number = fmt.Sprintf("%s〔%d〕%d号", d.prefix, y, numbers[nk])
		p.IndexNo = fmt.Sprintf("%s/%d-%05d", d.org, y, index[ik])
	}
}

// interpretations generates the 政策解读 of the section's policy
// documents: each published a few days after the document it explains.
func (g *gen) interpretations(sec Section, col demoColumn, n int) {
	var docs []int
	for i, it := range g.items {
		if it.Section == sec.Code && it.Fields.Policy != nil && it.Age >= 2*day {
			docs = append(docs, i)
		}
	}
	order := g.r.Perm(len(docs))
	for k := range min(n, len(docs)) {
		p := g.items[docs[order[k]]]
		age := p.Age - g.dur(time.Hour, min(7*day, p.Age-time.Hour))
		explains := []string{p.Key}
		a := g.art(sec, col)
		a.t, a.org, a.policy = g.topicOf[p.Key], deptName(g.topicOf[p.Key].dept), quoted(p.Fields.Title)
		var b strings.Builder
		b.WriteString(heading("一、背景依据"))
		b.WriteString(paragraph(g.fill(a, "为贯彻落实上级关于{topic}工作的部署要求，着力解决{w}等方面存在的问题，{org}牵头起草了{policy}，经区政府同意后印发实施。起草过程中广泛征求了各镇（街道）、区级有关部门和社会公众的意见。")))
		if k%4 == 2 {
			if q, ok := g.companion(docs, order, p, age); ok {
				explains = append(explains, q.Key)
				b.WriteString(paragraph(quoted(q.Fields.Title) + "与" + a.policy + "相互衔接，两份文件共同构成了相关工作的政策体系，本次一并解读。"))
			}
		}
		b.WriteString(heading("二、主要内容"))
		b.WriteString(paragraph("文件共分为总体要求、主要任务和保障措施三个部分。" + g.fill(a, pick(g, policyGoals))))
		b.WriteString(paragraph("在主要任务方面，文件提出：" + g.sentences(a, policyTasks, 3)))
		b.WriteString(heading("三、适用范围"))
		b.WriteString(paragraph(g.fill(a, "本文件适用于本区行政区域内的{topic}相关工作，各镇（街道）、区级有关部门以及企业、村民均应遵照执行。")))
		b.WriteString(heading("四、解读机关及联系方式"))
		b.WriteString(paragraph(g.fill(a, "解读机关：{org}；联系电话：{phone}。")))
		title := a.policy + "政策解读"
		g.used[sec.Code+"/"+col.slug+"|"+title] = true
		g.add(a, Fields{Title: title, Body: b.String(), Source: a.org,
			Summary: "本文从背景依据、主要内容和适用范围三个方面对" + a.policy + "进行解读。"}, age, 0)
		g.items[len(g.items)-1].Explains = explains
	}
}

// companion is a second document for an interpretation of p published
// at age: older than it, of p's 主题分类 if there is one.
func (g *gen) companion(docs, order []int, p DemoItem, age time.Duration) (DemoItem, bool) {
	var other DemoItem
	for _, o := range order {
		q := g.items[docs[o]]
		if q.Key == p.Key || q.Age < age {
			continue
		}
		if q.Fields.Policy.Topic == p.Fields.Policy.Topic {
			return q, true
		}
		if other.Key == "" {
			other = q
		}
	}
	return other, other.Key != ""
}

// guides generates the 办事指南, a matter each.
func (g *gen) guides(sec Section, col demoColumn, n int) {
	order := g.r.Perm(len(demoMatters))
	lo, hi := window(sec, col)
	for k, age := range g.ages(min(n, len(demoMatters)), lo, hi) {
		a := g.art(sec, col)
		a.m = demoMatters[order[k]]
		a.org = "区行政服务中心"
		m, phone := a.m, g.phone()
		basis := fmt.Sprintf("《%s%s%s》第%s条", pick(g, []string{"浙江省", "嘉兴市"}), m.domain, pick(g, []string{"管理条例", "管理办法", "实施办法", "若干规定"}), cnNum(g.intn(3, 40)))
		if g.r.IntN(2) == 0 {
			basis += fmt.Sprintf("；《%s%s实施细则》第%s条", "嘉兴市", m.domain, cnNum(g.intn(2, 25)))
		}
		materials := []string{"《" + m.name + "申请表》原件1份", "申请人有效身份证件原件及复印件1份", m.material + "1份"}
		if g.r.IntN(2) == 0 {
			materials = append(materials, "委托他人办理的，提交授权委托书及受托人身份证件")
		}
		fees := "不收费"
		if g.r.IntN(5) == 0 {
			fees = fmt.Sprintf("按规定收取工本费%d元", g.intn(1, 8)*5)
		}
		guide := &Guide{Matter: m.name, Basis: basis, Conditions: "申请人为" + m.who + "；申请材料齐全、真实、有效；符合法律法规规定的其他条件。",
			Materials: strings.Join(materials, "\n"),
			Place:     fmt.Sprintf("秀洲区行政服务中心%s楼%d号窗口", pick(g, []string{"一", "二", "三"}), g.intn(1, 40)),
			Hours:     "工作日 上午9:00-12:00 下午13:30-17:00",
			Fees:      fees, TimeLimit: pick(g, []string{"即办", "1个工作日", "3个工作日", "5个工作日", "7个工作日", "10个工作日", "15个工作日", "20个工作日"}),
			Phone: phone}
		body := paragraph("为方便群众和企业办事，现将"+m.name+"的办理事项告知如下。本事项由秀洲区行政服务中心受理，申请人可到窗口办理，也可通过网上政务服务平台提交申请。") +
			paragraph("申请人应当如实提交有关材料，并对材料的真实性负责。材料齐全、符合法定形式的，窗口当场受理；材料不全的，工作人员一次性告知需要补正的内容。") +
			paragraph("办理过程中如有疑问，请在工作时间拨打咨询电话"+phone+"。")
		title := m.name + "办事指南"
		g.used[sec.Code+"/"+col.slug+"|"+title] = true
		g.add(a, Fields{Title: title, Body: body, Guide: guide, Keywords: "办事指南，" + m.name,
			Summary: "本指南介绍" + m.name + "的设定依据、申请条件、办理材料和办理流程。"}, age, g.edited(age, 0.05))
	}
}

// enterprises generates the 企业风采 pages: a company each.
func (g *gen) enterprises(sec Section, col demoColumn, n int) {
	brands := g.r.Perm(len(brandNames))
	lo, hi := window(sec, col)
	for k, age := range g.ages(n, lo, hi) {
		a := g.art(sec, col)
		ind := pick(g, demoIndustries)
		firm := pick(g, firmPlaces) + brandNames[brands[k]] + ind.name + "有限公司"
		town := pick(g, demoPlaces)
		staff := g.intn(8, 120) * 10
		h1, h2 := g.r.Perm(len(honors))[0], 0
		for h2 = g.r.IntN(len(honors)); h2 == h1; h2 = g.r.IntN(len(honors)) {
		}
		phone := g.phone()
		body := paragraph(fmt.Sprintf("%s成立于%d年，位于%s%s，是一家集研发、生产、销售于一体的%s企业。", firm, g.intn(1995, 2018), town, pick(g, []string{"工业园区", "工业功能区", "小微企业园"}), ind.name)) +
			paragraph(fmt.Sprintf("公司占地面积%d亩，现有员工%d人，其中专业技术人员%d人，主要产品包括%s，产品销往全国%d个省份。", g.intn(20, 300), staff, staff/g.intn(5, 12), ind.products, g.intn(10, 30))) +
			paragraph(fmt.Sprintf("近年来，公司坚持创新驱动发展，建有企业研发中心，拥有发明专利%d项，先后获评%s、%s。", g.intn(5, 60), honors[h1], honors[h2])) +
			table([]string{"项目", "内容"}, [][]string{{"企业名称", firm}, {"所在地", "秀洲区" + town}, {"主营产品", ind.products}, {"员工人数", strconv.Itoa(staff) + "人"}, {"联系电话", phone}}) +
			paragraph("公司高度重视安全生产和环境保护，持续推进数字化改造，生产效率提升"+strconv.Itoa(g.intn(10, 35))+"%以上。") +
			paragraph("下一步，公司将继续深耕"+ind.name+"领域，为秀洲经济社会高质量发展贡献力量。")
		g.used[sec.Code+"/"+col.slug+"|"+firm] = true
		g.add(a, Fields{Title: firm, Body: body, Source: "区融媒体中心", Keywords: "企业风采，" + ind.name + "，" + town,
			Summary: firm + "是一家位于" + town + "的" + ind.name + "企业，主要产品包括" + ind.products + "。"}, age, g.edited(age, 0.05))
	}
}

// leaders generates the 负责人信息 page: the 区长 and the 副区长 and
// their duties.
func (g *gen) leaders(sec Section, col demoColumn) {
	names := map[string]bool{}
	for len(names) < 5 {
		n := g.name()
		if !names[n] {
			names[n] = true
			if g.mayor == "" {
				g.mayor = n
			} else {
				g.vices = append(g.vices, n)
			}
		}
	}
	rows := [][]string{{"区长", g.mayor, "主持区政府全面工作，负责审计方面工作。"},
		{"常务副区长", g.vices[0], "负责区政府常务工作，负责发展改革、财政、统计方面工作。"}}
	duties := g.r.Perm(len(viceDuties))
	for i, v := range g.vices[1:] {
		rows = append(rows, []string{"副区长", v, viceDuties[duties[i]]})
	}
	a := g.art(sec, col)
	body := paragraph("秀洲区人民政府领导班子成员及工作分工如下。") +
		table([]string{"职务", "姓名", "工作分工"}, rows) +
		paragraph("区政府领导分工如有调整，以正式印发的文件为准。") +
		paragraph(g.fill(a, "区政府办公室地址：秀洲区{road}{n}号；联系电话：{phone}。"))
	age := g.dur(400*day, maxAge)
	g.add(a, Fields{Title: "区政府领导", Body: body, Source: "区政府办公室", Keywords: "负责人信息，区政府领导，工作分工",
		Summary: "秀洲区人民政府区长、副区长的姓名和工作分工。"}, age, g.dur(10*day, 120*day))
}

// page generates a standing page: 概况 or 机构职能.
func (g *gen) page(sec Section, col demoColumn) {
	a := g.art(sec, col)
	var f Fields
	switch {
	case sec.Kind == SectionDistrict && col.slug == "gk":
		f = g.districtPage()
	case sec.Kind == SectionDistrict && col.slug == "csgk":
		f = g.cityPage()
	case col.slug == "jgzn":
		f = g.dutiesPage(a)
	default:
		f = g.townPage(a)
	}
	age := g.dur(400*day, maxAge)
	g.add(a, f, age, g.edited(age, 0.4))
}

// districtPage is the district's 概况.
func (g *gen) districtPage() Fields {
	var towns, streets []string
	for _, s := range demoSections {
		switch s.Kind {
		case SectionTownship:
			towns = append(towns, s.Name)
		case SectionStreet:
			streets = append(streets, s.Name)
		}
	}
	gdp, a1 := g.intn(700, 900), g.intn(3, 6)
	a2 := g.intn(50, 60)
	ts := g.topics(demoSections[0], demoColumn{})
	order := g.r.Perm(len(ts))
	body := paragraph("秀洲区是嘉兴市的市辖区，位于嘉兴市西北部，地处杭嘉湖平原腹地，京杭大运河穿境而过，河网密布，物产丰饶，素有鱼米之乡、丝绸之府的美誉。") +
		paragraph(fmt.Sprintf("全区总面积%d.%d平方公里，辖%s%d个镇和%s%d个街道，共有%d个行政村、%d个城市社区，户籍人口%d.%d万人，常住人口约%d万人。",
			g.intn(540, 559), g.intn(0, 9), strings.Join(towns, "、"), len(towns), strings.Join(streets, "、"), len(streets), g.intn(70, 90), g.intn(30, 50), g.intn(38, 45), g.intn(0, 9), g.intn(65, 80))) +
		paragraph(fmt.Sprintf("上年全区实现地区生产总值%d亿元，同比增长%d.%d%%，三次产业比重分别为%d%%、%d%%和%d%%，一般公共预算收入%d亿元。",
			gdp, g.intn(4, 8), g.intn(0, 9), a1, a2, 100-a1-a2, gdp/g.intn(9, 12))) +
		paragraph(fmt.Sprintf("全区已形成%s、%s和%s等主导产业，拥有规模以上工业企业%d家，高新技术企业%d家。", demoIndustries[0].name, demoIndustries[2].name, demoIndustries[7].name, g.intn(600, 900), g.intn(200, 400))) +
		paragraph("近年来，全区深入推进"+ts[order[0]].name+"、"+ts[order[1]].name+"和"+ts[order[2]].name+"等重点工作，城乡面貌持续改善，人民群众的获得感、幸福感、安全感不断增强。")
	return Fields{Title: "秀洲区概况", Body: body, Source: "区政府办公室", Keywords: "概况信息，秀洲区，区情",
		Summary: "秀洲区的区位、面积、人口、行政区划和经济社会发展概况。"}
}

// cityPage is the district's 城市概况.
func (g *gen) cityPage() Fields {
	body := paragraph(fmt.Sprintf("秀洲地处长江三角洲杭嘉湖平原，境内地势平坦，河网密布，属亚热带季风气候，四季分明，年平均气温%d.%d℃，年降水量约%d毫米。", g.intn(15, 17), g.intn(0, 9), g.intn(1100, 1300))) +
		paragraph(fmt.Sprintf("全区交通便捷，境内有%d条高速公路和%d条铁路通过，距上海、杭州、苏州均在%d公里左右，是长三角区域的重要节点。", g.intn(3, 5), g.intn(2, 3), g.intn(80, 100))) +
		paragraph(fmt.Sprintf("城区建成区面积%d.%d平方公里，人均公园绿地面积%d.%d平方米，垃圾分类、污水处理等市政设施实现城乡全覆盖。", g.intn(30, 60), g.intn(0, 9), g.intn(12, 16), g.intn(0, 9))) +
		paragraph("秀洲历史文化底蕴深厚，运河文化、蚕桑文化和农民画闻名遐迩，各镇（街道）的农村文化礼堂成为村民共享的精神家园。")
	return Fields{Title: "秀洲城市概况", Body: body, Source: "区政府办公室", Keywords: "城市概况，交通，文化",
		Summary: "秀洲的自然地理、交通区位、城市建设和历史文化。"}
}

// dutiesPage is a 机构职能 page: the district government's or a
// department's 主要职责.
func (g *gen) dutiesPage(a *art) Fields {
	name, intro := "秀洲区人民政府", "秀洲区人民政府是区级国家行政机关，在区委领导下依法履行政府职能，对区人民代表大会和上级人民政府负责并报告工作。"
	duties := []string{
		"执行区人民代表大会及其常务委员会的决议和上级国家行政机关的决定、命令，规定行政措施，发布决定和命令。",
		"领导所属各工作部门和各镇人民政府、街道办事处的工作。",
		"编制和执行国民经济和社会发展计划、财政预算，管理本区经济、教育、科学、文化、卫生、体育事业和城乡建设等行政工作。",
		"管理本区农业农村、生态环境、民政、公安、司法行政和安全生产等工作。",
		"保护社会主义的全民所有的财产和劳动群众集体所有的财产，保障公民的人身权利、民主权利和其他权利。",
		"推进政务公开和数字政府建设，优化营商环境，提升政务服务水平。",
		"办理上级国家行政机关交办的其他事项。",
	}
	offices := "区政府设办公室和若干工作部门，具体机构设置按有关规定执行。"
	if a.sec.Kind == SectionDepartment {
		d := demoDepts[a.sec.Code].duties
		name = fullName(a.sec.Name)
		intro = name + "是区政府工作部门，负责全区" + d[0] + "等方面工作。"
		duties = []string{
			"贯彻执行国家和省、市关于" + d[0] + "的方针政策和法律法规，拟订全区" + d[0] + "发展规划和政策措施并组织实施。",
			"负责全区" + d[1] + "工作的统筹协调和监督管理。",
			"组织实施" + d[2] + "相关工作，指导各镇（街道）开展" + d[2] + "工作。",
			"承担" + d[3] + "方面的统计分析和信息发布工作。",
			"负责本部门安全生产和生态环境保护相关工作。",
			"承担本系统政务公开、依法行政和数字化改革工作。",
			"完成区委、区政府交办的其他任务。",
		}
		offices = "内设办公室及" + d[0] + "、" + d[1] + "、" + d[2] + "等业务科室。"
	}
	var ol strings.Builder
	ol.WriteString("<ol>")
	for _, d := range duties {
		ol.WriteString("<li>" + d + "</li>")
	}
	ol.WriteString("</ol>")
	body := paragraph(intro) + heading("主要职责") + ol.String() + paragraph(offices) +
		paragraph(g.fill(a, "办公地址：秀洲区{road}{n}号；联系电话：{phone}；办公时间：工作日上午8时30分至12时、下午13时30分至17时。"))
	return Fields{Title: name + "机构职能", Body: body, Source: orgOf(a.sec), Keywords: "机构职能，主要职责，" + name,
		Summary: name + "的主要职责、内设机构和联系方式。"}
}

// townPage is a township's or street's 概况.
func (g *gen) townPage(a *art) Fields {
	n := a.sec.Name
	area, villages, communities := fmt.Sprintf("%d.%d", g.intn(50, 99), g.intn(0, 9)), g.intn(8, 20), g.intn(1, 5)
	if a.sec.Kind == SectionStreet {
		area, villages, communities = fmt.Sprintf("%d.%d", g.intn(15, 45), g.intn(0, 9)), g.intn(2, 6), g.intn(6, 15)
	}
	pop := g.intn(30, 89)
	res := pop + g.intn(10, 60)
	ind := pick(g, demoIndustries)
	ts := g.topics(a.sec, a.col)
	order := g.r.Perm(len(ts))
	body := paragraph(fmt.Sprintf("%s位于秀洲区%s部，地处杭嘉湖平原腹地，境内河港交织、田园秀美，交通便捷。", n, pick(g, []string{"东", "南", "西", "北", "东北", "西北", "西南", "东南"}))) +
		paragraph(fmt.Sprintf("全%s区域面积%s平方公里，下辖%d个行政村和%d个社区，户籍人口%d.%d万人，常住人口约%d.%d万人。",
			unitOf(a.sec), area, villages, communities, pop/10, pop%10, res/10, res%10)) +
		table([]string{"区域面积", "行政村", "社区", "户籍人口"}, [][]string{{area + "平方公里", strconv.Itoa(villages) + "个", strconv.Itoa(communities) + "个", fmt.Sprintf("%d.%d万人", pop/10, pop%10)}}) +
		paragraph(fmt.Sprintf("上年全%s实现地区生产总值%d亿元，规模以上工业企业%d家，%s产业是主导产业，特色农业和乡村旅游加快发展。", unitOf(a.sec), g.intn(40, 150), g.intn(40, 200), ind.name)) +
		paragraph("近年来，"+n+"围绕"+ts[order[0]].name+"、"+ts[order[1]].name+"等重点工作，持续改善人居环境，村民生活水平稳步提高。")
	return Fields{Title: n + "概况", Body: body, Source: orgOf(a.sec), Keywords: "概况，" + n,
		Summary: n + "的区位、面积、人口、行政村和经济发展概况。"}
}
