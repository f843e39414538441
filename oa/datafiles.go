package oa

import "nanhu/internal/datadir"

// DataFiles is what OA keeps in the data folder.
var DataFiles = datadir.Registry{
	{Path: "org.db", Part: "oa", About: "the organisation: people, password hashes, departments, roles, aliases, lists, shared mailboxes, notification preferences", Policy: datadir.Database},
	{Path: "notify.db", Part: "oa", About: "notification routing: to-dos seen, SMS awaiting a reply, digests, 催办, the decision log", Policy: datadir.Database},
}
