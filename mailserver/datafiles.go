package mailserver

import "nanhu/internal/datadir"

// DataFiles is what the mail server keeps in the data folder.
var DataFiles = datadir.Registry{
	{Path: "mail.db", Part: "mailserver", About: "every mailbox and message, flags, UIDs, the search index", Title: "邮件：所有邮箱与邮件、标记、UID、检索索引", Policy: datadir.Database},
	{Path: "outbound.db", Part: "mailserver", About: "mail waiting for remote servers, and delivery reports owed", Title: "外发队列：等待投递到外部服务器的邮件与退信通知", Policy: datadir.Database},
	{Path: "dkim/", Part: "mailserver", About: "the DKIM signing key (its public half is what `nanhu dns` prints)", Title: "DKIM 签名密钥", Policy: datadir.Copy},
}
