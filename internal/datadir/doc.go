// Package datadir is Nanhu's data folder: the one folder that holds every
// part's state. It takes the folder's lock, keeps the registry of the files
// each part keeps there (what they hold, and whether a backup copies them
// or why it need not), writes files atomically, and makes and restores
// backups from that registry.
//
// The folder is created 0700, and files in it are private to their owner:
// they hold mail, passwords and keys. One process serves a folder at a
// time (the lock, serve.lock); the admin commands open its databases beside
// a running server, which SQLite's own locking allows.
package datadir
