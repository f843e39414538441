package org

// migrations are the schema changes of org.db, in order. Migration i brings
// the file from user_version i to i+1. Never edit one that has shipped; add
// a new one.
var migrations = []string{
	// 1: the first schema.
	`
CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
CREATE TABLE users (
	login         TEXT PRIMARY KEY,
	name          TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	mobile        TEXT NOT NULL DEFAULT '',
	disabled      INTEGER NOT NULL DEFAULT 0,
	quota_bytes   INTEGER NOT NULL,
	created       TEXT NOT NULL
);
CREATE TABLE user_roles (
	login TEXT NOT NULL REFERENCES users(login) ON DELETE CASCADE,
	role  TEXT NOT NULL,
	PRIMARY KEY (login, role)
);
-- Extra addresses of a user; login@each-local-domain is implicit.
CREATE TABLE user_addresses (
	address TEXT PRIMARY KEY,
	login   TEXT NOT NULL REFERENCES users(login) ON DELETE CASCADE
);
CREATE TABLE departments (
	code   TEXT PRIMARY KEY,
	name   TEXT NOT NULL,
	parent TEXT REFERENCES departments(code),
	kind   TEXT NOT NULL CHECK (kind IN ('organ', 'department', 'section', 'township', 'street')),
	leader TEXT REFERENCES users(login)
);
CREATE INDEX departments_parent ON departments(parent);
CREATE TABLE memberships (
	login TEXT NOT NULL REFERENCES users(login) ON DELETE CASCADE,
	dept  TEXT NOT NULL REFERENCES departments(code),
	title TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (login, dept)
);
CREATE INDEX memberships_dept ON memberships(dept);
CREATE TABLE aliases (
	address TEXT PRIMARY KEY,
	target  TEXT NOT NULL
);
CREATE TABLE lists (
	address TEXT PRIMARY KEY,
	dept    TEXT REFERENCES departments(code)
);
CREATE TABLE list_members (
	list  TEXT NOT NULL REFERENCES lists(address) ON DELETE CASCADE,
	login TEXT NOT NULL REFERENCES users(login) ON DELETE CASCADE,
	PRIMARY KEY (list, login)
);
`,
	// 2: department shared mailboxes (公共邮箱): mail to the address goes
	// into one mailbox that the department's members share.
	`
CREATE TABLE shared_mailboxes (
	address TEXT PRIMARY KEY,
	dept    TEXT NOT NULL UNIQUE REFERENCES departments(code)
);
`,
	// 3: how each user wants to hear of to-dos while away from the
	// workbench (oa/notify); a user without a row has the defaults. The
	// index finds the owner of the mobile an SMS reply came from.
	`
CREATE TABLE notify_prefs (
	login       TEXT PRIMARY KEY REFERENCES users(login) ON DELETE CASCADE,
	sms         INTEGER NOT NULL DEFAULT 1,
	mail        INTEGER NOT NULL DEFAULT 0,
	-- The user's own quiet hours in minutes after local midnight; NULL
	-- keeps the system's.
	quiet_start INTEGER,
	quiet_end   INTEGER
);
CREATE INDEX users_mobile ON users(mobile) WHERE mobile != '';
`,
	// 4: what ends sign-in sessions, and API tokens for tools. auth_epoch
	// counts the changes after which every session of the account must end
	// (a new password, the account disabled); a session remembers the
	// value it began with. A token is kept as its SHA-256 only.
	`
ALTER TABLE users ADD COLUMN auth_epoch INTEGER NOT NULL DEFAULT 0;
CREATE TABLE api_tokens (
	id        TEXT PRIMARY KEY,
	login     TEXT NOT NULL REFERENCES users(login) ON DELETE CASCADE,
	name      TEXT NOT NULL,
	hash      BLOB NOT NULL UNIQUE,
	created   TEXT NOT NULL,
	last_used TEXT NOT NULL DEFAULT ''
);
CREATE INDEX api_tokens_login ON api_tokens(login);
`,
	// 5: the organisation as OA needs it. An organ that issues documents
	// has its 机关代字 (秀政发), its 发文机关标志 and its 印章 record; a
	// department has the 副区长 who has it in charge (分管领导). OA roles
	// (文书, 签发人…) are held for an organ: who may sign for which.
	`
ALTER TABLE departments ADD COLUMN daizi TEXT NOT NULL DEFAULT '';
ALTER TABLE departments ADD COLUMN banner TEXT NOT NULL DEFAULT '';
ALTER TABLE departments ADD COLUMN seal TEXT NOT NULL DEFAULT '';
ALTER TABLE departments ADD COLUMN in_charge TEXT REFERENCES users(login);
CREATE UNIQUE INDEX departments_daizi ON departments(daizi) WHERE daizi != '';
CREATE TABLE oa_roles (
	login TEXT NOT NULL REFERENCES users(login) ON DELETE CASCADE,
	role  TEXT NOT NULL,
	organ TEXT NOT NULL REFERENCES departments(code),
	PRIMARY KEY (login, role, organ)
);
CREATE INDEX oa_roles_role ON oa_roles(role, organ);
`,
	// 6: when an administrator last lifted an account's login locks (or
	// set a new password): the server drops locks that began before it.
	`
ALTER TABLE users ADD COLUMN unlocked_at TEXT NOT NULL DEFAULT '';
`,
	// 7: a user's extra addresses found by login, for reading one user.
	`
CREATE INDEX user_addresses_login ON user_addresses(login);
`,
}
