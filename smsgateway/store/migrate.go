package store

// migrations are the numbered schema changes, applied in order at Open and
// recorded in PRAGMA user_version. Never edit one that has shipped; append.
var migrations = []string{
	// 1: outbound messages and parts, inbound parts and messages, reports.
	`CREATE TABLE message (
		id              INTEGER PRIMARY KEY,
		idem_key        TEXT,                    -- NULL when the caller gave none
		recipient       TEXT    NOT NULL,        -- E.164, "+8613800000000"
		text            TEXT    NOT NULL,
		state           TEXT    NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'delivered', 'failed')),
		status_report   INTEGER NOT NULL,        -- TP-SRR asked for
		validity_s      INTEGER NOT NULL,        -- TP-VP and how long we keep trying
		parts           INTEGER NOT NULL,
		concat_ref      INTEGER NOT NULL,        -- 8-bit concatenation reference
		modem           TEXT    NOT NULL DEFAULT '',
		attempts        INTEGER NOT NULL DEFAULT 0,
		error           TEXT    NOT NULL DEFAULT '',
		requested_by    TEXT    NOT NULL DEFAULT '',
		created_at      INTEGER NOT NULL,
		updated_at      INTEGER NOT NULL,
		next_attempt_at INTEGER NOT NULL,
		expires_at      INTEGER NOT NULL,
		sent_at         INTEGER,
		done_at         INTEGER
	);
	CREATE UNIQUE INDEX message_idem ON message(idem_key) WHERE idem_key IS NOT NULL;
	CREATE INDEX message_due ON message(state, next_attempt_at);
	CREATE TABLE part (
		message_id INTEGER NOT NULL REFERENCES message(id) ON DELETE CASCADE,
		seq        INTEGER NOT NULL,             -- 1-based
		state      TEXT    NOT NULL CHECK (state IN ('queued', 'sent', 'delivered', 'failed')),
		modem      TEXT    NOT NULL DEFAULT '',
		mr         INTEGER,                      -- TP-MR from +CMGS
		sent_at    INTEGER,
		done_at    INTEGER,
		status     INTEGER,                      -- TP-ST of the last status report
		error      TEXT    NOT NULL DEFAULT '',
		PRIMARY KEY (message_id, seq)
	) WITHOUT ROWID;
	CREATE INDEX part_ref ON part(modem, mr);
	CREATE TABLE inbound (
		id          INTEGER PRIMARY KEY,
		modem       TEXT    NOT NULL,
		sender      TEXT    NOT NULL,
		text        TEXT    NOT NULL,
		parts       INTEGER NOT NULL,            -- parts joined
		total       INTEGER NOT NULL,            -- parts announced
		received_at INTEGER NOT NULL,            -- the first part's TP-SCTS
		stored_at   INTEGER NOT NULL
	);
	CREATE TABLE inbound_part (
		id          INTEGER PRIMARY KEY,
		modem       TEXT    NOT NULL,
		pdu         TEXT    NOT NULL,            -- as read, SMSC field first
		sender      TEXT    NOT NULL,
		ref         INTEGER NOT NULL,            -- concatenation reference, 0 for a single SMS
		total       INTEGER NOT NULL,
		seq         INTEGER NOT NULL,
		received_at INTEGER NOT NULL,
		stored_at   INTEGER NOT NULL,
		error       TEXT    NOT NULL DEFAULT '', -- why it could not be decoded
		message_id  INTEGER REFERENCES inbound(id),
		UNIQUE (modem, pdu)
	);
	CREATE INDEX inbound_part_open ON inbound_part(modem, sender, ref, total) WHERE message_id IS NULL;
	CREATE TABLE report (
		id           INTEGER PRIMARY KEY,
		modem        TEXT    NOT NULL,
		pdu          TEXT    NOT NULL,
		mr           INTEGER NOT NULL,
		recipient    TEXT    NOT NULL,
		status       INTEGER NOT NULL,
		discharge_at INTEGER NOT NULL,
		stored_at    INTEGER NOT NULL,
		message_id   INTEGER,                    -- the part it matched, NULL when none
		seq          INTEGER,
		UNIQUE (modem, pdu)
	);`,
	// 2: the outbox of the hooks: a row per state change and per received
	// message, written in the transaction that made it, removed once the
	// hook has been called.
	`CREATE TABLE event (
		id   INTEGER PRIMARY KEY,
		kind TEXT    NOT NULL CHECK (kind IN ('status', 'inbound')),
		ref  INTEGER NOT NULL             -- message.id or inbound.id
	);`,
	// 3: SMS sent and received per hour, for the status page's chart.
	`CREATE INDEX message_created ON message(created_at);
	CREATE INDEX inbound_stored ON inbound(stored_at);`,
}
