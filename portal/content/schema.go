package content

// migrations are portal.db's schema changes, in order. Never edit one
// that has shipped: append.
var migrations = []string{
	`CREATE TABLE sections (
		code  TEXT PRIMARY KEY,
		name  TEXT NOT NULL,
		kind  TEXT NOT NULL,
		dept  TEXT NOT NULL DEFAULT '',
		about TEXT NOT NULL DEFAULT '',
		ord   INTEGER NOT NULL DEFAULT 0
	);
	CREATE TABLE columns (
		id          INTEGER PRIMARY KEY,
		section     TEXT NOT NULL REFERENCES sections(code),
		slug        TEXT NOT NULL,
		name        TEXT NOT NULL,
		area        TEXT NOT NULL,
		kind        TEXT NOT NULL,
		ctype       TEXT NOT NULL DEFAULT '',
		update_rule TEXT NOT NULL DEFAULT '',
		description TEXT NOT NULL DEFAULT '',
		keywords    TEXT NOT NULL DEFAULT '',
		home        INTEGER NOT NULL DEFAULT 0,
		ord         INTEGER NOT NULL DEFAULT 0,
		UNIQUE (section, slug)
	);
	-- articles are the working copies that editors write.
	CREATE TABLE articles (
		id          INTEGER PRIMARY KEY,
		column_id   INTEGER NOT NULL REFERENCES columns(id),
		state       TEXT NOT NULL,
		fields      TEXT NOT NULL, -- JSON of Fields
		title       TEXT NOT NULL,
		version     INTEGER NOT NULL,
		created_by  TEXT NOT NULL,
		created_at  INTEGER NOT NULL, -- unix milliseconds
		edited_by   TEXT NOT NULL,
		edited_at   INTEGER NOT NULL,
		schedule_at INTEGER NOT NULL DEFAULT 0,
		published_at INTEGER NOT NULL DEFAULT 0,
		updated_at  INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX articles_state ON articles (state, column_id);
	-- live is what the portal shows: the approved form of each published
	-- article, copied at publication; an edit changes the working copy
	-- only, until it is approved.
	CREATE TABLE live (
		id           INTEGER PRIMARY KEY REFERENCES articles(id),
		column_id    INTEGER NOT NULL REFERENCES columns(id),
		fields       TEXT NOT NULL,
		title        TEXT NOT NULL,
		validity     TEXT NOT NULL DEFAULT '',
		number       TEXT NOT NULL DEFAULT '',
		published_at INTEGER NOT NULL,
		updated_at   INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX live_column ON live (column_id, published_at DESC);
	CREATE INDEX live_published ON live (published_at DESC);
	-- links: an interpretation (解读) explains a policy document.
	CREATE TABLE links (
		interpretation INTEGER NOT NULL REFERENCES articles(id),
		policy         INTEGER NOT NULL REFERENCES articles(id),
		PRIMARY KEY (interpretation, policy)
	);
	CREATE INDEX links_policy ON links (policy);
	CREATE TABLE versions (
		article INTEGER NOT NULL REFERENCES articles(id),
		n       INTEGER NOT NULL,
		at      INTEGER NOT NULL,
		by      TEXT NOT NULL,
		fields  TEXT NOT NULL,
		PRIMARY KEY (article, n)
	);
	-- events are each article's trail: never updated, never deleted.
	CREATE TABLE events (
		id      INTEGER PRIMARY KEY,
		article INTEGER NOT NULL REFERENCES articles(id),
		at      INTEGER NOT NULL,
		by      TEXT NOT NULL,
		action  TEXT NOT NULL,
		opinion TEXT NOT NULL DEFAULT '',
		version INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX events_article ON events (article, id);
	CREATE TRIGGER events_append_only_u BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'the trail is append-only'); END;
	CREATE TRIGGER events_append_only_d BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'the trail is append-only'); END;
	CREATE TABLE files (
		id      INTEGER PRIMARY KEY,
		article INTEGER NOT NULL REFERENCES articles(id),
		name    TEXT NOT NULL,
		ctype   TEXT NOT NULL,
		size    INTEGER NOT NULL,
		image   INTEGER NOT NULL,
		data    BLOB NOT NULL,
		text    TEXT NOT NULL DEFAULT '',
		-- shown: the portal shows it (it was there when the article was
		-- last published); removed: the editor took it out of the working
		-- copy, and it goes when the edit is published.
		shown   INTEGER NOT NULL DEFAULT 0,
		removed INTEGER NOT NULL DEFAULT 0,
		at      INTEGER NOT NULL,
		by      TEXT NOT NULL
	);
	CREATE INDEX files_article ON files (article);
	-- search is the index of what the portal shows: each column holds
	-- searchtext tokens (Chinese as overlapping bigrams, separated by
	-- spaces, which the simple tokenizer splits at), the docid is the
	-- article's id. Ranking is BM25 over matchinfo (search.go).
	CREATE VIRTUAL TABLE search USING fts4(title, body, files, tokenize=simple);
	CREATE TABLE settings (
		key   TEXT PRIMARY KEY,
		value TEXT NOT NULL
	);`,
	// owner: the enterprise account (portal/enterprise) whose own page
	// the article is, 0 for the staff's articles.
	`ALTER TABLE articles ADD COLUMN owner INTEGER NOT NULL DEFAULT 0;
	CREATE INDEX articles_owner ON articles (owner) WHERE owner != 0;`,
	// search_docs: what ranking needs of each indexed article, in rows
	// small enough that joining tens of thousands of hits stays cheap
	// (live's rows hold whole articles): its column, its date, and its
	// fields' lengths in tokens (spaces + 1, as index() counts them).
	`CREATE TABLE search_docs (
		id           INTEGER PRIMARY KEY,
		column_id    INTEGER NOT NULL,
		published_at INTEGER NOT NULL,
		len_title    INTEGER NOT NULL,
		len_body     INTEGER NOT NULL,
		len_files    INTEGER NOT NULL
	);
	INSERT INTO search_docs (id, column_id, published_at, len_title, len_body, len_files)
		SELECT l.id, l.column_id, l.published_at,
			CASE WHEN s.c0title = '' THEN 0 ELSE length(s.c0title) - length(replace(s.c0title, ' ', '')) + 1 END,
			CASE WHEN s.c1body = '' THEN 0 ELSE length(s.c1body) - length(replace(s.c1body, ' ', '')) + 1 END,
			CASE WHEN s.c2files = '' THEN 0 ELSE length(s.c2files) - length(replace(s.c2files, ' ', '')) + 1 END
		FROM live l JOIN search_content s ON s.docid = l.id;`,
	// search_log: the articles whose search entry changed, in order, for
	// the index in memory (memindex.go) to apply what changed since it
	// last looked. Triggers write it in the transaction of the change;
	// it keeps the last 20,000 (an index further behind is built again).
	`CREATE TABLE search_log (
		seq INTEGER PRIMARY KEY AUTOINCREMENT,
		id  INTEGER NOT NULL
	);
	CREATE TRIGGER search_docs_added AFTER INSERT ON search_docs BEGIN INSERT INTO search_log (id) VALUES (NEW.id); END;
	CREATE TRIGGER search_docs_changed AFTER UPDATE ON search_docs BEGIN INSERT INTO search_log (id) VALUES (NEW.id); END;
	CREATE TRIGGER search_docs_removed AFTER DELETE ON search_docs BEGIN INSERT INTO search_log (id) VALUES (OLD.id); END;
	CREATE TRIGGER search_log_kept AFTER INSERT ON search_log BEGIN DELETE FROM search_log WHERE seq <= NEW.seq - 20000; END;`,
}
