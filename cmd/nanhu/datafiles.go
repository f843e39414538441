package main

import (
	"slices"

	"nanhu/internal/certs"
	"nanhu/internal/datadir"
	"nanhu/internal/web/session"
	"nanhu/mailserver"
	"nanhu/oa"
	"nanhu/portal"
	"nanhu/queue"
	"nanhu/smsgateway"
)

// dataFiles is the registry of everything any part keeps in a data folder:
// what `nanhu backup` copies and what it leaves, and the README's list.
func dataFiles() datadir.Registry {
	return slices.Concat(datadir.Own, certs.DataFiles, mailserver.DataFiles, oa.DataFiles, portal.DataFiles, smsgateway.DataFiles, queue.DataFiles, session.DataFiles)
}
