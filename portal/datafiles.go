package portal

import "nanhu/internal/datadir"

// DataFiles is what the portal keeps in the data folder.
var DataFiles = datadir.Registry{
	{Path: "portal.db", Part: "portal", About: "the public portal: sections, columns, articles with every version and their trails, images and attachments, the published pages, the search index",
		Title: "门户网站：分站、栏目、稿件及其各版本与记录、图片和附件、已发布页面、全文检索索引", Policy: datadir.Database},
	{Path: "cases.db", Part: "portal", About: "citizens' cases: what they wrote and attached, 查询码 and 工单编号, deadlines, states, replies, ratings, the append-only trail, 依申请公开 applications and their clocks, 来信选登, the statistics' rollup, SMS verification codes (hashed), the outbox of events for OA and of the citizens' SMS and mail",
		Title: "群众来信：来信内容及附件、查询码与工单编号、期限、状态、答复、评价、只增不改的办理记录、依申请公开申请及其期限、来信选登、统计汇总、短信验证码（只存散列）、待发往办公系统的事件和给来信人的短信与邮件", Policy: datadir.Database},
	{Path: "enterprise.db", Part: "portal", About: "the enterprises' accounts on the portal: 统一社会信用代码, names, contacts, password hashes, their pages",
		Title: "门户网站企业账户：统一社会信用代码、名称、联系人、密码散列、企业页面", Policy: datadir.Database},
	{Path: "qiye-sessions.db", Part: "portal", About: "the enterprises' sign-in sessions on the portal (their tokens hashed)", Title: "企业账户登录会话（令牌只存散列）", Policy: datadir.Skip,
		Reason: "sessions last hours; after a restore the companies sign in again"},
}
