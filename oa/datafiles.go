package oa

import "nanhu/internal/datadir"

// DataFiles is what OA keeps in the data folder.
var DataFiles = datadir.Registry{
	{Path: "org.db", Part: "oa", About: "the organisation: people, password hashes, departments, roles, aliases, lists, shared mailboxes, notification preferences", Title: "组织机构：人员、密码散列、部门、角色、别名、邮件组、公共邮箱、提醒设置、API 令牌", Policy: datadir.Database},
	{Path: "oa.db", Part: "oa", About: "official documents (公文): fields, 正文 versions, attachments, numbers and registers, flows, tasks, opinions, delegations, the hash-chained trail, events not yet published", Title: "公文：要素、正文各版本、附件、编号与登记簿、流程、待办、意见、委托、留痕、待发布的事件", Policy: datadir.Database},
	{Path: "notify.db", Part: "oa", About: "notification routing: to-dos seen, SMS awaiting a reply, digests, 催办, the decision log", Title: "待办提醒：已处理的待办、等待回复的短信、汇总、催办、决策日志", Policy: datadir.Database},
}
