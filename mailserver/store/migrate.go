package store

// migrations are the numbered schema changes, applied in order at Open and
// recorded in PRAGMA user_version. Never edit one that has shipped; add a
// new one.
var migrations = []string{
	// 1: mailboxes, contents, messages, search.
	`CREATE TABLE mailboxes (
		id          INTEGER PRIMARY KEY,
		owner       TEXT NOT NULL,              -- a login, or "@dept:CODE" for a department's shared mailbox
		name        TEXT NOT NULL,              -- UTF-8, "/" separates levels
		special_use TEXT NOT NULL DEFAULT '',   -- \Sent, \Drafts, ...
		uidvalidity INTEGER NOT NULL,
		uidnext     INTEGER NOT NULL DEFAULT 1,
		highestmodseq INTEGER NOT NULL DEFAULT 1,
		subscribed  INTEGER NOT NULL DEFAULT 1,
		created     INTEGER NOT NULL,
		UNIQUE (owner, name)
	);
	CREATE TABLE uidvalidity_seq (id INTEGER PRIMARY KEY CHECK (id = 1), next INTEGER NOT NULL);
	CREATE TABLE contents (
		id      INTEGER PRIMARY KEY,
		raw     BLOB NOT NULL,
		size    INTEGER NOT NULL,
		refs    INTEGER NOT NULL,
		message_id TEXT NOT NULL DEFAULT '',
		created INTEGER NOT NULL
	);
	CREATE TABLE messages (
		mailbox_id    INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
		uid           INTEGER NOT NULL,
		content_id    INTEGER NOT NULL REFERENCES contents(id),
		flags         TEXT NOT NULL DEFAULT '',  -- space-separated system flags and keywords
		internal_date INTEGER NOT NULL,          -- unix seconds
		size          INTEGER NOT NULL,
		modseq        INTEGER NOT NULL,
		PRIMARY KEY (mailbox_id, uid)
	) WITHOUT ROWID;
	CREATE INDEX messages_content ON messages(content_id);
	CREATE TABLE usage (owner TEXT PRIMARY KEY, bytes INTEGER NOT NULL, messages INTEGER NOT NULL) WITHOUT ROWID;
	CREATE TABLE search_text (
		content_id INTEGER PRIMARY KEY REFERENCES contents(id) ON DELETE CASCADE,
		subject TEXT NOT NULL, from_ TEXT NOT NULL, to_ TEXT NOT NULL, cc TEXT NOT NULL, bcc TEXT NOT NULL,
		body TEXT NOT NULL, filenames TEXT NOT NULL, date INTEGER NOT NULL
	);
	CREATE VIRTUAL TABLE search_index USING fts4(subject, from_, to_, cc, bcc, body, filenames, tokenize=simple);`,
	// 2: what IMAP needs: expunged UIDs with their mod-sequence (so every
	// session learns of expunges made by others), and the length of each
	// message's header (so FETCH ENVELOPE reads only the header).
	`CREATE TABLE expunged (
		mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
		uid        INTEGER NOT NULL,
		modseq     INTEGER NOT NULL,
		PRIMARY KEY (mailbox_id, uid)
	) WITHOUT ROWID;
	CREATE INDEX expunged_modseq ON expunged(mailbox_id, modseq);
	CREATE INDEX messages_modseq ON messages(mailbox_id, modseq);
	ALTER TABLE contents ADD COLUMN header_len INTEGER NOT NULL DEFAULT 0;`,
	// 3: the other header fields' decoded text, so that SEARCH TEXT is
	// answered from search_text alone. From this version on search_text
	// holds folded text (searchtext.Fold).
	`ALTER TABLE search_text ADD COLUMN headers TEXT NOT NULL DEFAULT '';`,
	// 4: the messages received per hour, for the status page's chart.
	`CREATE INDEX contents_created ON contents(created);`,
	// 5: IMAP4rev1's \Recent: the highest UID of each mailbox that a
	// session has already been told of. Messages there at the upgrade
	// are not recent.
	`ALTER TABLE mailboxes ADD COLUMN recent_uid INTEGER NOT NULL DEFAULT 0;
	UPDATE mailboxes SET recent_uid = uidnext - 1;`,
}
