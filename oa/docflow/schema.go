package docflow

// migrations are the schema changes of oa.db, in order. Never edit one
// that has shipped; add a new one.
var migrations = []string{
	// 1: documents, the flows they run on, tasks, the trail and the outbox.
	`
-- Published flows: immutable; a new version is a new row.
CREATE TABLE flows (
	key          TEXT NOT NULL,
	version      INTEGER NOT NULL,
	name         TEXT NOT NULL,
	kind         TEXT NOT NULL,
	def          TEXT NOT NULL,
	published    TEXT NOT NULL,
	published_by TEXT NOT NULL,
	PRIMARY KEY (key, version)
);

-- A document (公文): the columns are what lists, registers and
-- visibility filter on; data holds every field as JSON.
CREATE TABLE documents (
	id           INTEGER PRIMARY KEY,
	kind         TEXT NOT NULL,
	type         TEXT NOT NULL,
	title        TEXT NOT NULL,
	organ        TEXT NOT NULL,
	starter      TEXT NOT NULL,
	starter_dept TEXT NOT NULL,
	state        TEXT NOT NULL,
	urgency      TEXT NOT NULL,
	secrecy      TEXT NOT NULL,
	number       TEXT NOT NULL DEFAULT '',
	from_unit    TEXT NOT NULL DEFAULT '',
	year         INTEGER NOT NULL,
	created      TEXT NOT NULL,
	updated      TEXT NOT NULL,
	registered   TEXT NOT NULL DEFAULT '',
	data         TEXT NOT NULL
);
CREATE INDEX documents_organ ON documents(organ, kind, year);
CREATE INDEX documents_starter ON documents(starter, state);

-- The search index: the tokens of title, numbers, 来文单位 and 正文.
CREATE VIRTUAL TABLE documents_fts USING fts4(tokens);

-- Every save of the 正文 is a version; text is what search reads of it.
CREATE TABLE bodies (
	doc     INTEGER NOT NULL REFERENCES documents(id),
	version INTEGER NOT NULL,
	at      TEXT NOT NULL,
	by      TEXT NOT NULL,
	name    TEXT NOT NULL,
	ctype   TEXT NOT NULL,
	size    INTEGER NOT NULL,
	data    BLOB,
	text    TEXT NOT NULL,
	PRIMARY KEY (doc, version)
);
CREATE TABLE attachments (
	id    INTEGER PRIMARY KEY,
	doc   INTEGER NOT NULL REFERENCES documents(id),
	name  TEXT NOT NULL,
	ctype TEXT NOT NULL,
	size  INTEGER NOT NULL,
	data  BLOB NOT NULL,
	at    TEXT NOT NULL,
	by    TEXT NOT NULL
);
CREATE INDEX attachments_doc ON attachments(doc);

-- Numbers: gapless per key (机关代字, or a 收文 or 归档 series) and
-- year, taken only inside the transaction that registers.
CREATE TABLE sequences (
	key  TEXT NOT NULL,
	year INTEGER NOT NULL,
	last INTEGER NOT NULL,
	PRIMARY KEY (key, year)
);
-- The 发文登记簿 and 收文登记簿: one row per number given.
CREATE TABLE registers (
	kind   TEXT NOT NULL,
	key    TEXT NOT NULL,
	year   INTEGER NOT NULL,
	seq    INTEGER NOT NULL,
	number TEXT NOT NULL,
	doc    INTEGER NOT NULL REFERENCES documents(id),
	at     TEXT NOT NULL,
	by     TEXT NOT NULL,
	voided TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (key, year, seq)
);
CREATE INDEX registers_doc ON registers(doc);

CREATE TABLE instances (
	id           INTEGER PRIMARY KEY,
	doc          INTEGER NOT NULL UNIQUE REFERENCES documents(id),
	flow         TEXT NOT NULL,
	flow_version INTEGER NOT NULL,
	status       TEXT NOT NULL CHECK (status IN ('running', 'completed', 'terminated')),
	started      TEXT NOT NULL,
	ended        TEXT NOT NULL DEFAULT ''
);

-- Where the flow is: one token per branch. A token waits at a node
-- (active), at a join (parked), or is done.
CREATE TABLE tokens (
	id       INTEGER PRIMARY KEY,
	instance INTEGER NOT NULL REFERENCES instances(id),
	node     TEXT NOT NULL,
	state    TEXT NOT NULL CHECK (state IN ('active', 'parked', 'done')),
	origin   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tokens_instance ON tokens(instance, state);

-- A task is one person's part at a node; kind read is a 传阅.
-- state: open (waits for its assignee), queued (串签 or 加签 after, not
-- yet their turn), waiting (加签 before: waits for the added signer),
-- done, cancelled.
CREATE TABLE tasks (
	id         INTEGER PRIMARY KEY,
	instance   INTEGER NOT NULL REFERENCES instances(id),
	doc        INTEGER NOT NULL REFERENCES documents(id),
	token      INTEGER NOT NULL,
	node       TEXT NOT NULL,
	kind       TEXT NOT NULL CHECK (kind IN ('task', 'read')),
	assignee   TEXT NOT NULL,
	on_behalf  TEXT NOT NULL DEFAULT '',
	delegation INTEGER NOT NULL DEFAULT 0,
	state      TEXT NOT NULL CHECK (state IN ('open', 'queued', 'waiting', 'done', 'cancelled')),
	ord        INTEGER NOT NULL DEFAULT 0,
	added      INTEGER NOT NULL DEFAULT 0,
	before_of  INTEGER NOT NULL DEFAULT 0,
	after_of   INTEGER NOT NULL DEFAULT 0,
	alt_of     INTEGER NOT NULL DEFAULT 0,
	origin     INTEGER NOT NULL DEFAULT 0,
	sender     TEXT NOT NULL DEFAULT '',
	created    TEXT NOT NULL,
	opened     TEXT NOT NULL DEFAULT '',
	done       TEXT NOT NULL DEFAULT '',
	done_by    TEXT NOT NULL DEFAULT '',
	action     TEXT NOT NULL DEFAULT '',
	due        TEXT NOT NULL DEFAULT '',
	overdue    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX tasks_assignee ON tasks(assignee, state);
CREATE INDEX tasks_doc ON tasks(doc);
CREATE INDEX tasks_instance ON tasks(instance, node, state);
CREATE INDEX tasks_origin ON tasks(origin);
CREATE INDEX tasks_alt ON tasks(alt_of);
CREATE INDEX tasks_delegation ON tasks(delegation);
CREATE INDEX tasks_token ON tasks(token, state);
CREATE INDEX tasks_due ON tasks(due) WHERE state = 'open' AND due != '' AND overdue = '';
CREATE INDEX tasks_done_by ON tasks(done_by, done);

-- Opinions, in the order written, each tied to the node's opinion field.
CREATE TABLE opinions (
	id      INTEGER PRIMARY KEY,
	doc     INTEGER NOT NULL REFERENCES documents(id),
	task    INTEGER NOT NULL,
	node    TEXT NOT NULL,
	field   TEXT NOT NULL,
	login   TEXT NOT NULL,
	as_whom TEXT NOT NULL DEFAULT '',
	action  TEXT NOT NULL,
	text    TEXT NOT NULL,
	at      TEXT NOT NULL
);
CREATE INDEX opinions_doc ON opinions(doc);
CREATE TABLE phrases (
	login TEXT NOT NULL,
	text  TEXT NOT NULL,
	PRIMARY KEY (login, text)
);

-- Who may see a document besides the organ's 文书 and leaders: everyone
-- who has had a task or a 传阅 on it.
CREATE TABLE access (
	doc   INTEGER NOT NULL REFERENCES documents(id),
	login TEXT NOT NULL,
	PRIMARY KEY (doc, login)
) WITHOUT ROWID;
CREATE INDEX access_login ON access(login);

-- 委托: principal's tasks go to delegate between starts and ends (an
-- empty end: until revoked); flow '' is every flow.
CREATE TABLE delegations (
	id        INTEGER PRIMARY KEY,
	principal TEXT NOT NULL,
	delegate  TEXT NOT NULL,
	flow      TEXT NOT NULL DEFAULT '',
	starts    TEXT NOT NULL,
	ends      TEXT NOT NULL DEFAULT '',
	revoked   TEXT NOT NULL DEFAULT '',
	created   TEXT NOT NULL
);
CREATE INDEX delegations_principal ON delegations(principal);

-- The trail (留痕): append-only, each row carrying the hash of the one
-- before it.
CREATE TABLE trail (
	seq       INTEGER PRIMARY KEY,
	doc       INTEGER NOT NULL,
	at        TEXT NOT NULL,
	actor     TEXT NOT NULL,
	as_whom   TEXT NOT NULL DEFAULT '',
	action    TEXT NOT NULL,
	from_node TEXT NOT NULL DEFAULT '',
	to_node   TEXT NOT NULL DEFAULT '',
	opinion   TEXT NOT NULL DEFAULT '',
	detail    TEXT NOT NULL DEFAULT '',
	source    TEXT NOT NULL DEFAULT '',
	prev      TEXT NOT NULL,
	hash      TEXT NOT NULL
);
CREATE INDEX trail_doc ON trail(doc);
CREATE TRIGGER trail_no_update BEFORE UPDATE ON trail BEGIN SELECT RAISE(ABORT, 'the trail is append-only'); END;
CREATE TRIGGER trail_no_delete BEFORE DELETE ON trail BEGIN SELECT RAISE(ABORT, 'the trail is append-only'); END;

-- Events written with the change they announce, published from here.
-- A published event is kept for a while (published set): the embedded
-- nsqd holds messages in memory, so after a crash every event kept is
-- published again, and consumers drop the copies by event id.
CREATE TABLE outbox (
	id        INTEGER PRIMARY KEY,
	topic     TEXT NOT NULL,
	body      TEXT NOT NULL,
	published TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_published ON outbox(published);
-- oa.action events already carried out (their ids), so a repeat is a no-op.
CREATE TABLE actions_done (
	id TEXT PRIMARY KEY,
	at TEXT NOT NULL
);
`,
	// 2: citizens' cases (来信) as the portal hands them over.
	`
CREATE TABLE cases (
	doc          INTEGER PRIMARY KEY REFERENCES documents(id),
	case_id      INTEGER NOT NULL,
	number       TEXT NOT NULL,
	kind         TEXT NOT NULL DEFAULT '',
	category     TEXT NOT NULL DEFAULT '',
	channel      TEXT NOT NULL DEFAULT '',
	writer       TEXT NOT NULL DEFAULT '',
	mobile       TEXT NOT NULL DEFAULT '',
	address      TEXT NOT NULL DEFAULT '',
	confidential INTEGER NOT NULL DEFAULT 0,
	anonymous    INTEGER NOT NULL DEFAULT 0,
	received     TEXT NOT NULL,
	round        TEXT NOT NULL,
	rating       INTEGER NOT NULL DEFAULT 0,
	title        TEXT NOT NULL DEFAULT '',
	text         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX cases_case ON cases(case_id);
`,
	// 3: a case's 延期 asked for by its handler: the days, and the
	// document whose deadline it moves.
	`
ALTER TABLE cases ADD COLUMN extend_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN extend_of INTEGER NOT NULL DEFAULT 0;
`,
	// 4: the 待办 list in its order from an index: each task carries its
	// document's urgency as a rank (0 特急, 1 加急, 2 平件), set when the
	// task is made and kept by a trigger when the document's urgency
	// changes, so a page of a person's 待办 reads only the rows it shows.
	`
ALTER TABLE tasks ADD COLUMN urg INTEGER NOT NULL DEFAULT 2;
UPDATE tasks SET urg = (SELECT CASE d.urgency WHEN '特急' THEN 0 WHEN '加急' THEN 1 ELSE 2 END FROM documents d WHERE d.id = tasks.doc)
	WHERE doc IN (SELECT id FROM documents WHERE urgency IN ('特急', '加急'));
CREATE INDEX tasks_todo ON tasks(assignee, kind, urg, due = '', due, id) WHERE state = 'open';
CREATE TRIGGER tasks_urg AFTER UPDATE OF urgency ON documents WHEN NEW.urgency IS NOT OLD.urgency BEGIN
	UPDATE tasks SET urg = CASE NEW.urgency WHEN '特急' THEN 0 WHEN '加急' THEN 1 ELSE 2 END WHERE doc = NEW.id;
END;
`,
	// 5: every query of a person's tasks asks for open ones, which
	// tasks_todo holds: tasks_assignee only cost each task change a page.
	`
DROP INDEX tasks_assignee;
`,
}
