package content

import "time"

// Section kinds: the district's own pages, and the sections of its
// departments, townships and streets (县级 departments run no site of
// their own: they publish here), and the enterprises' pages.
const (
	SectionDistrict   = "district"
	SectionDepartment = "department"
	SectionTownship   = "township"
	SectionStreet     = "street"
)

// Section is a part of the one district portal: the district's own pages
// or a department's, township's or street's.
type Section struct {
	Code  string // "main", or the organisation's department code
	Name  string
	Kind  string
	Dept  string // the department whose editors and reviewers work here
	About string // a sentence for the section's page
	Order int
}

// The four function areas of the 2017 指引, and the seed's other columns.
const (
	AreaPublish   = "信息发布"
	AreaInterpret = "解读回应"
	AreaService   = "办事服务"
	AreaInteract  = "互动交流"
	AreaCity      = "城市信息"
	AreaFarm      = "三农服务"
	AreaBusiness  = "企业服务"
)

// Areas are the function areas in the order the navigation shows them.
var Areas = []string{AreaPublish, AreaInterpret, AreaService, AreaInteract, AreaCity, AreaFarm, AreaBusiness}

// Column kinds: how a column's items are shown.
const (
	KindList       = "list"       // news, notices: a dated list
	KindPolicy     = "policy"     // 文件资料: documents with 文号 and 有效性
	KindInterpret  = "interpret"  // 政策解读: each linked to its policy
	KindGuide      = "guide"      // 办事指南: the matter's elements
	KindPage       = "page"       // 概况, 机构职能: one standing page
	KindLeaders    = "leaders"    // 负责人信息
	KindInteract   = "interact"   // 领导信箱, 咨询: the inquiry channels
	KindEnterprise = "enterprise" // enterprises' own pages
	KindCatalogue  = "catalogue"  // 信息公开目录: every section's documents
)

// Update rules of the inspection (国办秘函〔2019〕19号): how long a column
// may go without a new item.
const (
	UpdateNews   = "news"   // 动态, 要闻: 2 weeks fail, warn at 10 days
	UpdateNotice = "notice" // 通知公告, 政策文件: 6 months fail, warn at 5 months
)

// Column is a 栏目 of a section.
type Column struct {
	ID          int64
	Section     string
	Slug        string // unique in its section, for data files and demo links
	Name        string
	Area        string
	Kind        string
	Type        string // the ColumnType meta tag: 政务动态, 文件资料, …
	Update      string // UpdateNews, UpdateNotice or ""
	Description string
	Keywords    string
	Home        bool // listed on the home page
	Order       int
}

// Validity of a policy document (有效性), shown on its own page.
const (
	Valid    = "有效"
	Amended  = "已修改"
	Repealed = "已废止"
	Expired  = "已失效"
)

// Validities are the values a policy document's 有效性 may take.
var Validities = []string{Valid, Amended, Repealed, Expired}

// Policy is what a document in 文件资料 carries beyond an article.
type Policy struct {
	IndexNo  string // 索引号
	Number   string // 发文字号: 秀政发〔2025〕3号
	Issuer   string // 发文机关
	Written  string // 成文日期, YYYY-MM-DD: the document's own date, not the page's
	Validity string
	Topic    string // 主题分类
}

// Guide is a 办事指南's elements (the inspection fails a guide that lacks
// the matter, its basis, its conditions and its materials).
type Guide struct {
	Matter     string // 事项名称
	Basis      string // 设定依据
	Conditions string // 申请条件
	Materials  string // 办理材料, a line each
	Place      string // 办理地点
	Hours      string // 办理时间
	Fees       string // 收费标准
	TimeLimit  string // 办理时限
	Phone      string // 咨询电话
}

// Article states: 草稿 → 送审 → (退回 →) 发布 (or 待发布 when scheduled),
// and 撤稿 from 发布. A published article that is edited goes back to
// 送审 while its published form stays on the portal until the edit is
// approved.
const (
	StateDraft     = "draft"
	StateReview    = "review"
	StateReturned  = "returned"
	StateScheduled = "scheduled"
	StatePublished = "published"
	StateWithdrawn = "withdrawn"
)

// StateNames are the states in Chinese.
var StateNames = map[string]string{
	StateDraft: "草稿", StateReview: "待审核", StateReturned: "已退回", StateScheduled: "待发布",
	StatePublished: "已发布", StateWithdrawn: "已撤稿",
}

// Fields are what an editor writes. The publish date is never among them:
// it is the moment the article is published.
type Fields struct {
	Title    string
	Summary  string
	Body     string // HTML, sanitised on save
	Source   string // 来源 (ContentSource)
	Author   string
	Keywords string
	Cover    int64 // an image file of the article, 0 for none
	Policy   *Policy
	Guide    *Guide
	// Interprets are the policy documents an interpretation explains.
	Interprets []int64
}

// Article is an article as the staff pages see it: its working copy.
type Article struct {
	ID        int64
	Column    Column
	State     string
	Fields    Fields
	Version   int
	CreatedBy string
	Created   time.Time
	Edited    time.Time
	EditedBy  string
	// Published is when it first went onto the portal; Updated when an
	// edit of it last did (zero: never).
	Published, Updated time.Time
	// ScheduleAt is when a scheduled article goes onto the portal.
	ScheduleAt time.Time
	// Live reports whether the portal shows it now.
	Live bool
	// Owner is the enterprise account whose page this is (0: none).
	Owner int64
	Files []File
}

// File is an image or attachment of an article.
type File struct {
	ID      int64
	Article int64
	Name    string
	Type    string // content type
	Size    int64
	Image   bool
	At      time.Time
	By      string
}

// Event is one step of an article's life, for its trail.
type Event struct {
	At      time.Time
	By      string
	Action  string // created, saved, submitted, returned, approved, scheduled, published, withdrawn
	Opinion string
	Version int
}

// Version is a kept version of an article's fields.
type Version struct {
	N      int
	At     time.Time
	By     string
	Fields Fields
}

// Page is an article as the portal shows it.
type Page struct {
	ID        int64
	Column    Column
	Section   Section
	Fields    Fields
	Published time.Time
	Updated   time.Time // zero: not edited since
	Files     []File
	// Interpretations of a policy document; Policies an interpretation
	// explains. Only those the portal shows.
	Interpretations, Policies []Link
}

// Link is a title and where it is.
type Link struct {
	ID    int64
	Title string
}

// Item is a line of a list: a column's items, the home page's latest.
type Item struct {
	ID        int64
	Title     string
	Column    int64
	Published time.Time
	Validity  string // policy documents
	Number    string
}

// Actor is who does something: the signed-in person's login, roles and
// departments.
type Actor struct {
	Login string
	Name  string
	Roles []string
	Depts []string
	// Enterprise is the enterprise account acting (portal/enterprise),
	// 0 for staff. An enterprise writes its own page and nothing else,
	// and never reviews.
	Enterprise int64
}
