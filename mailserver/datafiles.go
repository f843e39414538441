package mailserver

import "nanhu/internal/datadir"

// DataFiles is what the mail server keeps in the data folder.
var DataFiles = datadir.Registry{
	{Path: "mail.db", Part: "mailserver", About: "every mailbox and message, flags, UIDs, the search index", Policy: datadir.Database},
	{Path: "outbound.db", Part: "mailserver", About: "mail waiting for remote servers, and delivery reports owed", Policy: datadir.Database},
	{Path: "dkim/", Part: "mailserver", About: "the DKIM signing key (its public half is what `nanhu dns` prints)", Policy: datadir.Copy},
}
