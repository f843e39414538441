package cases

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"nanhu/internal/sqlitedb"
	"nanhu/internal/workcal"
	"nanhu/queue/contract"
	"nanhu/queue/outbox"
)

var migrations = []string{
	`CREATE TABLE cases (
		id           INTEGER PRIMARY KEY,
		number       TEXT NOT NULL UNIQUE,
		code         TEXT NOT NULL UNIQUE,
		channel      TEXT NOT NULL,
		kind         TEXT NOT NULL,
		category     TEXT NOT NULL DEFAULT '',
		name         TEXT NOT NULL DEFAULT '',
		mobile       TEXT NOT NULL DEFAULT '',
		mail         TEXT NOT NULL DEFAULT '',
		address      TEXT NOT NULL DEFAULT '',
		area         TEXT NOT NULL DEFAULT '',
		confidential INTEGER NOT NULL DEFAULT 0,
		anonymous    INTEGER NOT NULL DEFAULT 0,
		consent      INTEGER NOT NULL DEFAULT 0,
		title        TEXT NOT NULL,
		text         TEXT NOT NULL,
		state        TEXT NOT NULL,
		received     INTEGER NOT NULL,
		due          INTEGER NOT NULL,
		duplicate_of INTEGER NOT NULL DEFAULT 0,
		reply        TEXT NOT NULL DEFAULT '',
		replied      INTEGER NOT NULL DEFAULT 0,
		reason       TEXT NOT NULL DEFAULT '',
		key          TEXT UNIQUE -- the submission's idempotency key, NULL for none
	);
	CREATE INDEX cases_mobile ON cases (mobile, received) WHERE mobile != '';
	CREATE INDEX cases_received ON cases (received);
	-- numbers: the last 工单编号 of each year, taken in the transaction
	-- that opens a case, so that numbers have no gaps.
	CREATE TABLE numbers (
		year INTEGER PRIMARY KEY,
		last INTEGER NOT NULL
	);
	-- trail: append-only; nothing updates or deletes a line.
	CREATE TABLE trail (
		id      INTEGER PRIMARY KEY,
		case_id INTEGER NOT NULL REFERENCES cases(id),
		at      INTEGER NOT NULL,
		by      TEXT NOT NULL,
		action  TEXT NOT NULL,
		note    TEXT NOT NULL DEFAULT '',
		public  INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX trail_case ON trail (case_id, id);
	CREATE TRIGGER trail_append_only_u BEFORE UPDATE ON trail BEGIN SELECT RAISE(ABORT, 'the trail is append-only'); END;
	CREATE TRIGGER trail_append_only_d BEFORE DELETE ON trail BEGIN SELECT RAISE(ABORT, 'the trail is append-only'); END;`,
	// verifications: the 6-digit codes sent by SMS to confirm a web
	// writer's mobile, kept as salted hashes.
	`CREATE TABLE verifications (
		id       INTEGER PRIMARY KEY,
		mobile   TEXT NOT NULL,
		ip       TEXT NOT NULL,
		salt     BLOB NOT NULL,
		hash     BLOB NOT NULL,
		created  INTEGER NOT NULL,
		expires  INTEGER NOT NULL,
		attempts INTEGER NOT NULL DEFAULT 0,
		used     INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX verifications_mobile ON verifications (mobile, created);
	CREATE INDEX verifications_ip ON verifications (ip, created);`,
	// handled: the messages (an SMS's id, a mail's) already added to a
	// case, so that a redelivered one adds nothing.
	`CREATE TABLE handled (
		key TEXT PRIMARY KEY,
		at  INTEGER NOT NULL
	);`,
	// api_keys: the Open311 clients' keys, kept as SHA-256 hashes.
	`CREATE TABLE api_keys (
		id         INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		hash       BLOB NOT NULL UNIQUE,
		created    INTEGER NOT NULL,
		created_by TEXT NOT NULL,
		revoked    INTEGER NOT NULL DEFAULT 0,
		last_used  INTEGER NOT NULL DEFAULT 0
	);
	ALTER TABLE cases ADD COLUMN lat REAL;
	ALTER TABLE cases ADD COLUMN long REAL;
	ALTER TABLE cases ADD COLUMN api_key INTEGER NOT NULL DEFAULT 0;`,
	// The handling's side: the events for OA and the citizens' SMS, in
	// the transaction of the change (queue/outbox); the 主办 department
	// OA named; the rating.
	outbox.Schema + `
	ALTER TABLE cases ADD COLUMN dept TEXT NOT NULL DEFAULT '';
	ALTER TABLE cases ADD COLUMN closed INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE cases ADD COLUMN rating INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE cases ADD COLUMN rated INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE cases ADD COLUMN rework INTEGER NOT NULL DEFAULT 0;`,
	// The statistics (网上监督) read the cases themselves: the month a
	// case came in (YYYYMM, Asia/Shanghai), and once answered the working
	// days it took and whether that was on time, beside a covering index.
	`ALTER TABLE cases ADD COLUMN month INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE cases ADD COLUMN answer_days INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE cases ADD COLUMN on_time INTEGER NOT NULL DEFAULT 0;
	UPDATE cases SET month = CAST(strftime('%Y%m', received / 1000, 'unixepoch', '+8 hours') AS INTEGER);
	CREATE INDEX cases_stats ON cases (received, month, dept, replied, on_time, answer_days, rating, state);
	CREATE INDEX cases_category ON cases (received, category);`,
	// 来信选登: a consented case and its reply published after review,
	// with the personal data taken out (the reviewed text is what the
	// public reads); and duplicates merged into an earlier case.
	`CREATE TABLE published (
		case_id   INTEGER PRIMARY KEY REFERENCES cases(id),
		title     TEXT NOT NULL,
		text      TEXT NOT NULL,
		reply     TEXT NOT NULL,
		by        TEXT NOT NULL,
		at        INTEGER NOT NULL,
		withdrawn INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX published_at ON published (withdrawn, at);
	ALTER TABLE cases ADD COLUMN merged_into INTEGER NOT NULL DEFAULT 0;`,
	// 依申请公开: the application beside its case, the steps of its
	// clock (补正, 征求意见, 延期) and its result in the annual report's
	// categories.
	`CREATE TABLE applications (
		case_id     INTEGER PRIMARY KEY REFERENCES cases(id),
		applicant   TEXT NOT NULL,
		org_name    TEXT NOT NULL DEFAULT '',
		uscc        TEXT NOT NULL DEFAULT '',
		org_kind    TEXT NOT NULL DEFAULT '',
		id_number   TEXT NOT NULL DEFAULT '',
		description TEXT NOT NULL,
		delivery    TEXT NOT NULL,
		carrier     TEXT NOT NULL,
		stopped     TEXT NOT NULL DEFAULT '',
		extended    INTEGER NOT NULL DEFAULT 0,
		result      TEXT NOT NULL DEFAULT '',
		reason      TEXT NOT NULL DEFAULT '',
		result_at   INTEGER NOT NULL DEFAULT 0
	);
	CREATE TABLE clock_events (
		id      INTEGER PRIMARY KEY,
		case_id INTEGER NOT NULL REFERENCES cases(id),
		kind    TEXT NOT NULL,
		at      INTEGER NOT NULL,
		days    INTEGER NOT NULL DEFAULT 0,
		by      TEXT NOT NULL
	);
	CREATE INDEX clock_events_case ON clock_events (case_id, id);`,
	// Finding a writer's earlier cases by mail, as by mobile.
	`CREATE INDEX cases_mail ON cases (mail, received) WHERE mail != '';`,
	// The statistics' rollup: per month, department and category, the
	// sums of the cases' own columns, kept by triggers in the
	// transaction of every change to a case, so that they are always the
	// cases' figures (a merged duplicate counts once, as its case).
	`CREATE TABLE case_rollup (
		month    INTEGER NOT NULL,
		dept     TEXT NOT NULL,
		category TEXT NOT NULL,
		received INTEGER NOT NULL DEFAULT 0,
		answered INTEGER NOT NULL DEFAULT 0,
		on_time  INTEGER NOT NULL DEFAULT 0,
		days     INTEGER NOT NULL DEFAULT 0,
		r1 INTEGER NOT NULL DEFAULT 0, r2 INTEGER NOT NULL DEFAULT 0, r3 INTEGER NOT NULL DEFAULT 0,
		r4 INTEGER NOT NULL DEFAULT 0, r5 INTEGER NOT NULL DEFAULT 0,
		unrated  INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (month, dept, category)
	) WITHOUT ROWID;
	CREATE INDEX case_rollup_dept ON case_rollup (dept, month);
	INSERT INTO case_rollup SELECT month, dept, category, count(*), sum(replied > 0), sum(replied > 0 AND on_time), sum(CASE WHEN replied > 0 THEN answer_days ELSE 0 END),
		sum(rating = 1), sum(rating = 2), sum(rating = 3), sum(rating = 4), sum(rating = 5), sum(rating = 0 AND replied > 0)
		FROM cases WHERE merged_into = 0 GROUP BY month, dept, category;
	CREATE TRIGGER case_rollup_insert AFTER INSERT ON cases WHEN NEW.merged_into = 0 BEGIN
		INSERT INTO case_rollup VALUES (NEW.month, NEW.dept, NEW.category, 1, NEW.replied > 0, NEW.replied > 0 AND NEW.on_time,
			CASE WHEN NEW.replied > 0 THEN NEW.answer_days ELSE 0 END, NEW.rating = 1, NEW.rating = 2, NEW.rating = 3, NEW.rating = 4, NEW.rating = 5,
			NEW.rating = 0 AND NEW.replied > 0)
		ON CONFLICT (month, dept, category) DO UPDATE SET received = received + excluded.received, answered = answered + excluded.answered,
			on_time = on_time + excluded.on_time, days = days + excluded.days, r1 = r1 + excluded.r1, r2 = r2 + excluded.r2, r3 = r3 + excluded.r3,
			r4 = r4 + excluded.r4, r5 = r5 + excluded.r5, unrated = unrated + excluded.unrated;
	END;
	CREATE TRIGGER case_rollup_update AFTER UPDATE OF month, dept, category, replied, on_time, answer_days, rating, merged_into ON cases BEGIN
		UPDATE case_rollup SET received = received - 1, answered = answered - (OLD.replied > 0), on_time = on_time - (OLD.replied > 0 AND OLD.on_time),
			days = days - CASE WHEN OLD.replied > 0 THEN OLD.answer_days ELSE 0 END, r1 = r1 - (OLD.rating = 1), r2 = r2 - (OLD.rating = 2),
			r3 = r3 - (OLD.rating = 3), r4 = r4 - (OLD.rating = 4), r5 = r5 - (OLD.rating = 5), unrated = unrated - (OLD.rating = 0 AND OLD.replied > 0)
			WHERE OLD.merged_into = 0 AND month = OLD.month AND dept = OLD.dept AND category = OLD.category;
		INSERT INTO case_rollup SELECT NEW.month, NEW.dept, NEW.category, 1, NEW.replied > 0, NEW.replied > 0 AND NEW.on_time,
			CASE WHEN NEW.replied > 0 THEN NEW.answer_days ELSE 0 END, NEW.rating = 1, NEW.rating = 2, NEW.rating = 3, NEW.rating = 4, NEW.rating = 5,
			NEW.rating = 0 AND NEW.replied > 0 WHERE NEW.merged_into = 0
		ON CONFLICT (month, dept, category) DO UPDATE SET received = received + excluded.received, answered = answered + excluded.answered,
			on_time = on_time + excluded.on_time, days = days + excluded.days, r1 = r1 + excluded.r1, r2 = r2 + excluded.r2, r3 = r3 + excluded.r3,
			r4 = r4 + excluded.r4, r5 = r5 + excluded.r5, unrated = unrated + excluded.unrated;
	END;
	CREATE INDEX cases_unrated ON cases (replied, month, dept) WHERE rating = 0 AND replied > 0 AND merged_into = 0;`,
	// The files a writer attached: pictures of the matter, documents.
	`CREATE TABLE case_files (
		id      INTEGER PRIMARY KEY,
		case_id INTEGER NOT NULL REFERENCES cases(id),
		name    TEXT NOT NULL,
		ctype   TEXT NOT NULL,
		size    INTEGER NOT NULL,
		data    BLOB NOT NULL
	);
	CREATE INDEX case_files_case ON case_files (case_id, id);`,
}

// Options configure a Store. Start from DefaultOptions.
type Options struct {
	Path string // cases.db
	// Calendar counts deadlines in working days (weekdays alone when nil).
	Calendar *workcal.Calendar
	// Limits are the working days of each type (DefaultLimits where a
	// type is missing); CategoryLimits, where set, those of a category,
	// which come before its type's.
	Limits         map[Kind]int
	CategoryLimits map[string]int
	// Categories is the code list (Categories when empty), e.g. read with
	// ReadCategories from the district's own file.
	Categories []Category
	// TitleMin, TitleMax and TextMax bound a submission (characters).
	TitleMin, TitleMax, TextMax int
	// MaxFiles and MaxFileBytes bound a case's attachments (3 of 5 MB).
	MaxFiles     int
	MaxFileBytes int64
	// DuplicateWindow is how far back a case of the same writer with
	// nearly the same text counts as a duplicate.
	DuplicateWindow time.Duration
	// RateDays is the working days after the reply in which the citizen
	// may rate it or ask for it to be handled again (20).
	RateDays int
	// UnratedAs is the level a reply not rated in time counts as in the
	// statistics (2, 满意), 0 to leave it out.
	UnratedAs int
	// Sign opens the citizens' SMS: the site's name, 【中国南湖】.
	Sign   string
	Now    func() time.Time
	Logger *slog.Logger
}

// DefaultOptions are the defaults: titles of 10–25 characters, texts up
// to 600, duplicates looked for over 30 days.
func DefaultOptions(path string) Options {
	return Options{Path: path, TitleMin: 10, TitleMax: 25, TextMax: 600, MaxFiles: 3, MaxFileBytes: 5 << 20, DuplicateWindow: 30 * 24 * time.Hour, RateDays: 20, UnratedAs: 2,
		Sign: "中国南湖"}
}

// Store is the open case store.
type Store struct {
	opts Options
	db   *sqlitedb.DB
	log  *slog.Logger
	out  *outbox.Outbox
	cal  *workcal.Calendar // Options.Calendar, or Monday to Friday
	cats []Category
}

// Errors.
var ErrNotFound = errors.New("cases: no such case")

// Invalid is a submission or a step refused, with the reason to show.
type Invalid struct {
	Field string // the form field, "" for the whole
	Msg   string
}

func (e *Invalid) Error() string { return e.Msg }

func invalid(field, format string, args ...any) error {
	return &Invalid{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Open opens (creating when needed) the store. Every submission is on
// disk (fsynced) before Submit returns: a citizen who has seen a 查询码 has
// a case, whatever happens next.
func Open(ctx context.Context, opts Options) (*Store, error) {
	d := DefaultOptions(opts.Path)
	if opts.TitleMin <= 0 {
		opts.TitleMin = d.TitleMin
	}
	if opts.TitleMax <= 0 {
		opts.TitleMax = d.TitleMax
	}
	if opts.TextMax <= 0 {
		opts.TextMax = d.TextMax
	}
	if opts.DuplicateWindow <= 0 {
		opts.DuplicateWindow = d.DuplicateWindow
	}
	if opts.RateDays <= 0 {
		opts.RateDays = d.RateDays
	}
	if opts.MaxFiles <= 0 {
		opts.MaxFiles = d.MaxFiles
	}
	if opts.MaxFileBytes <= 0 {
		opts.MaxFileBytes = d.MaxFileBytes
	}
	if opts.Sign == "" {
		opts.Sign = d.Sign
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	db, err := sqlitedb.Open(ctx, sqlitedb.Options{Path: opts.Path, Synchronous: sqlitedb.Full, Migrations: migrations, Readers: 4, ForeignKeys: true, StatementCache: 64, Logger: opts.Logger})
	if err != nil {
		return nil, fmt.Errorf("cases: %w", err)
	}
	out, err := outbox.New(ctx, db.Writer(), opts.Logger, opts.Now)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("cases: %w", err)
	}
	cal := opts.Calendar
	if cal == nil {
		cal, _ = workcal.NewCalendar(nil, nil)
	}
	cats := opts.Categories
	if len(cats) == 0 {
		cats = Categories
	}
	return &Store{opts: opts, db: db, log: opts.Logger, out: out, cal: cal, cats: cats}, nil
}

// Outbox is the store's events for the queue: run it (Outbox().Run) to
// publish them.
func (s *Store) Outbox() *outbox.Outbox { return s.out }

// TextMax is the longest text a case takes, in characters.
func (s *Store) TextMax() int { return s.opts.TextMax }

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// limit is the working days a case of kind and category has.
func (s *Store) limit(k Kind, category string) int {
	if n, ok := s.opts.CategoryLimits[category]; ok && n > 0 && k != Disclosure {
		return n
	}
	if n, ok := s.opts.Limits[k]; ok && n > 0 {
		return n
	}
	return DefaultLimits[k]
}

// due is the deadline of a case of kind received at t: the end of the
// limit's last working day, in Asia/Shanghai.
func (s *Store) due(k Kind, category string, t time.Time) time.Time {
	local := t.In(workcal.Shanghai())
	var d time.Time
	if s.opts.Calendar != nil {
		d = s.opts.Calendar.Add(local, s.limit(k, category))
	} else {
		d = workcal.AddWorkingDays(local, s.limit(k, category), workcal.Weekday)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 59, 0, d.Location())
}

var (
	mobileRE = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	mailRE   = regexp.MustCompile(`^[^@\s<>"]+@[^@\s<>"]+\.[^@\s<>"]+$`)
	areaRE   = regexp.MustCompile(`^([0-9]{6}|[0-9]{12})$`)
)

// clean trims a form value and drops control characters but line breaks.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, strings.ReplaceAll(s, "\r\n", "\n"))
	return strings.TrimSpace(s)
}

// check validates and normalises a submission.
func (s *Store) check(sub *Submission) error {
	w := &sub.Writer
	sub.Title, sub.Text, sub.Category = clean(sub.Title), clean(sub.Text), clean(sub.Category)
	w.Name, w.Mobile, w.Mail, w.Address, w.Area = clean(w.Name), clean(w.Mobile), clean(w.Mail), clean(w.Address), clean(w.Area)
	w.Mobile = strings.TrimPrefix(strings.TrimPrefix(w.Mobile, "+86"), "86")
	if _, ok := ChannelNames[sub.Channel]; !ok {
		return invalid("channel", "来信渠道不对。")
	}
	if _, ok := KindNames[sub.Kind]; !ok {
		return invalid("kind", "请选择来信类型：咨询、建议、投诉、求助、举报或依申请公开。")
	}
	if sub.Anonymous && sub.Kind != Report {
		return invalid("anonymous", "只有举报可以匿名；其他来信请留下姓名和手机号，我们会为您保密。")
	}
	if sub.Anonymous {
		w.Name = ""
	}
	if sub.Kind == Disclosure && sub.Title == "" && sub.Text != "" {
		sub.Title = applicationTitle(sub.Text)
	}
	if sub.Channel == SMS || sub.Channel == Mail || sub.Channel == Open311 {
		// A text or a mail has no title of its own: its subject or its
		// first words, cut to fit.
		if sub.Title == "" {
			sub.Title = firstLine(sub.Text)
		}
		if r := []rune(sub.Title); len(r) > s.opts.TitleMax {
			sub.Title = string(r[:s.opts.TitleMax-1]) + "…"
		}
	}
	title := utf8.RuneCountInString(sub.Title)
	switch {
	case (sub.Channel == Web || sub.Channel == Phone) && (title < s.opts.TitleMin || title > s.opts.TitleMax):
		return invalid("title", "标题应为 %d 到 %d 个字，现在是 %d 个字。", s.opts.TitleMin, s.opts.TitleMax, title)
	case sub.Title == "":
		return invalid("title", "来信没有标题。")
	case sub.Text == "":
		return invalid("text", "请填写来信内容。")
	case utf8.RuneCountInString(sub.Text) > s.opts.TextMax:
		return invalid("text", "来信内容最多 %d 个字，现在是 %d 个字；一封来信请只反映一件事。", s.opts.TextMax, utf8.RuneCountInString(sub.Text))
	case w.Mobile != "" && !mobileRE.MatchString(w.Mobile):
		return invalid("mobile", "手机号应为 11 位数字，以 1 开头。")
	case w.Mail != "" && (len(w.Mail) > 254 || !mailRE.MatchString(w.Mail)):
		return invalid("mail", "电子邮箱的格式不对。")
	case w.Area != "" && !areaRE.MatchString(w.Area):
		return invalid("area", "区划代码应为 6 位或 12 位数字。")
	case utf8.RuneCountInString(w.Name) > 30:
		return invalid("name", "姓名最多 30 个字。")
	case utf8.RuneCountInString(w.Address) > 100:
		return invalid("address", "地址最多 100 个字。")
	case len(sub.Category) > 40, len(sub.Key) > 200:
		return invalid("", "来信的分类或标识过长。")
	}
	switch sub.Channel {
	case Web, Phone:
		if !sub.Anonymous && w.Name == "" {
			return invalid("name", "请填写姓名（可以要求保密）。")
		}
		if !sub.Anonymous && w.Mobile == "" {
			return invalid("mobile", "请填写手机号，用来接收验证码和查询码。")
		}
	case Open311:
		if !sub.Anonymous && w.Mobile == "" && w.Mail == "" {
			return invalid("phone", "须有来信人的手机号（phone）或电子邮箱（email）。")
		}
	case SMS:
		if w.Mobile == "" {
			return invalid("mobile", "短信来信没有发信号码。")
		}
	case Mail:
		if w.Mail == "" {
			return invalid("mail", "邮件来信没有发信地址。")
		}
	}
	if sub.Channel == Phone && sub.By == "" {
		return invalid("", "电话代录须记下代录人。")
	}
	if err := s.checkFiles(sub); err != nil {
		return err
	}
	if sub.Kind == Disclosure {
		return checkApplication(sub)
	}
	if sub.Application != nil {
		return invalid("kind", "只有依申请公开有申请表。")
	}
	return nil
}

// firstLine is the first line of text.
func firstLine(text string) string {
	line, _, _ := strings.Cut(text, "\n")
	return strings.TrimSpace(line)
}

// codeAlphabet are the characters of a 查询码: capitals and digits
// without those read alike (0/O, 1/I).
const codeAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

// CodeLen is a 查询码's length: 12 characters of 32, 60 bits.
const CodeLen = 12

// newCode is a random 查询码.
func newCode() string {
	b := make([]byte, CodeLen)
	rand.Read(b)
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)] // 256 is a multiple of 32: uniform
	}
	return string(b)
}

// NormalCode is a 查询码 as typed, made comparable: capitals, without
// spaces or dashes, full-width letters and digits folded to half-width.
func NormalCode(code string) string {
	var b strings.Builder
	for _, r := range code {
		switch {
		case r >= '０' && r <= '９', r >= 'Ａ' && r <= 'Ｚ', r >= 'ａ' && r <= 'ｚ':
			r -= 0xFEE0
		case r == ' ' || r == '-' || r == '\u3000':
			continue
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

// validCode reports whether code could be a 查询码 at all.
func validCode(code string) bool {
	if len(code) != CodeLen {
		return false
	}
	for i := range len(code) {
		if strings.IndexByte(codeAlphabet, code[i]) < 0 {
			return false
		}
	}
	return true
}

// ms and fromMS keep times as Unix milliseconds (0: none).
var ms, fromMS = sqlitedb.Millis, sqlitedb.FromMillis

// Submit opens a case and returns it with its 查询码; the case is on disk
// when Submit returns. A submission whose Key was seen returns that case.
func (s *Store) Submit(ctx context.Context, sub Submission) (Case, error) {
	if err := s.check(&sub); err != nil {
		return Case{}, err
	}
	if sub.Key != "" {
		if c, err := s.byKey(ctx, sub.Key); err == nil {
			return c, nil
		}
	}
	now := s.opts.Now()
	due := s.due(sub.Kind, sub.Category, now)
	dup, err := s.duplicate(ctx, sub, now)
	if err != nil {
		return Case{}, err
	}
	var id int64
	var number, code string
	var wrong *wrongCode
	// Grouped: submissions that arrive together share one fsync; each is
	// whole or not at all.
	err = s.db.Group(ctx, func(tx *sql.Tx) error {
		year := now.In(workcal.Shanghai()).Year()
		if sub.Channel == Web {
			if err := s.useVerification(ctx, tx, sub.Writer.Mobile, sub.Verify, now); err != nil {
				if w, ok := errors.AsType[*wrongCode](err); ok {
					wrong = w
				}
				return err
			}
		}
		var n int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO numbers (year, last) VALUES (?, 1) ON CONFLICT (year) DO UPDATE SET last = last + 1 RETURNING last`, year).Scan(&n); err != nil {
			return fmt.Errorf("cases: number: %w", err)
		}
		number = fmt.Sprintf("%d-%06d", year, n)
		var key any
		if sub.Key != "" {
			key = sub.Key
		}
		w := sub.Writer
		var lat, long any
		if sub.Place != nil {
			lat, long = sub.Place.Lat, sub.Place.Long
		}
		var err error
		for tries := 0; ; tries++ {
			code = newCode()
			err = tx.QueryRowContext(ctx, `INSERT INTO cases (number, code, channel, kind, category, name, mobile, mail, address, area, confidential, anonymous, consent,
				title, text, state, received, due, duplicate_of, key, lat, long, api_key, month) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (code) DO NOTHING RETURNING id`,
				number, code, sub.Channel, sub.Kind, sub.Category, w.Name, w.Mobile, w.Mail, w.Address, w.Area, sub.Confidential, sub.Anonymous,
				sub.Consent, sub.Title, sub.Text, Received, ms(now), ms(due), dup, key, lat, long, sub.APIKey, monthOf(now)).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) && tries < 5 {
				continue // a 查询码 drawn twice: draw again
			}
			break
		}
		if err != nil {
			return fmt.Errorf("cases: open a case: %w", err)
		}
		by := string(sub.Channel)
		if sub.By != "" {
			by = sub.By
		}
		note := ChannelNames[sub.Channel] + "来信"
		if dup != 0 {
			note += "；与此前的来信相似，待分办人查看是否合并"
		}
		if err := addEvent(ctx, tx, id, now, by, "opened", note, true); err != nil {
			return err
		}
		if a := sub.Application; a != nil {
			if _, err := tx.ExecContext(ctx, `INSERT INTO applications (case_id, applicant, org_name, uscc, org_kind, id_number, description, delivery, carrier)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, a.Type, a.OrgName, a.USCC, a.OrgKind, a.IDNumber, sub.Text, a.Delivery, a.Carrier); err != nil {
				return fmt.Errorf("cases: an application: %w", err)
			}
		}
		for _, f := range sub.Files {
			if _, err := tx.ExecContext(ctx, `INSERT INTO case_files (case_id, name, ctype, size, data) VALUES (?, ?, ?, ?, ?)`,
				id, f.Name, f.ContentType, len(f.Data), f.Data); err != nil {
				return fmt.Errorf("cases: an attachment: %w", err)
			}
		}
		opened := Case{ID: id, Number: number, Code: code, Channel: sub.Channel, Kind: sub.Kind, Category: sub.Category, Writer: sub.Writer,
			Confidential: sub.Confidential, Anonymous: sub.Anonymous, Title: sub.Title, Text: sub.Text, Received: now, Due: due}
		if err := s.announce(ctx, tx, opened, contract.CaseOpened, nil); err != nil {
			return err
		}
		// The writer gets the 查询码 by SMS (and mail) too, sent once from
		// the outbox whatever happens after the commit.
		return s.tell(ctx, tx, opened, "opened", openedText(opened))
	})
	if wrong != nil {
		return Case{}, s.countWrong(ctx, wrong) // counted after the rollback, in a transaction of its own
	}
	if err != nil {
		if sub.Key != "" && strings.Contains(err.Error(), "UNIQUE") {
			return s.byKey(ctx, sub.Key) // the same submission, opened meanwhile
		}
		return Case{}, err
	}
	s.out.Kick()
	s.log.Info("case opened", "number", number, "channel", sub.Channel, "kind", sub.Kind, "duplicate_of", dup)
	return s.Get(ctx, id)
}

func addEvent(ctx context.Context, tx *sql.Tx, id int64, at time.Time, by, action, note string, public bool) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO trail (case_id, at, by, action, note, public) VALUES (?, ?, ?, ?, ?, ?)`, id, ms(at), by, action, note, public)
	return err
}

const caseCols = `id, number, code, channel, kind, category, name, mobile, mail, address, area, confidential, anonymous, consent,
	title, text, state, received, due, duplicate_of, reply, replied, reason, lat, long, api_key, dept, closed, rating, rated, rework, merged_into`

func scanCase(row interface{ Scan(...any) error }) (Case, error) {
	var c Case
	var rec, due, replied, closed, rated int64
	var lat, long sql.NullFloat64
	err := row.Scan(&c.ID, &c.Number, &c.Code, &c.Channel, &c.Kind, &c.Category, &c.Writer.Name, &c.Writer.Mobile, &c.Writer.Mail, &c.Writer.Address,
		&c.Writer.Area, &c.Confidential, &c.Anonymous, &c.Consent, &c.Title, &c.Text, &c.State, &rec, &due, &c.DuplicateOf, &c.Reply, &replied, &c.Reason,
		&lat, &long, &c.APIKey, &c.Dept, &closed, &c.Rating, &rated, &c.Rework, &c.MergedInto)
	c.Closed, c.Rated = fromMS(closed), fromMS(rated)
	if lat.Valid && long.Valid {
		c.Place = &Place{Lat: lat.Float64, Long: long.Float64}
	}
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNotFound
	}
	c.Received, c.Due, c.Replied = fromMS(rec), fromMS(due), fromMS(replied)
	return c, err
}

// Get is a case by id, as the staff see it.
func (s *Store) Get(ctx context.Context, id int64) (Case, error) {
	return scanCase(s.db.Reader().QueryRowContext(ctx, `SELECT `+caseCols+` FROM cases WHERE id = ?`, id))
}

func (s *Store) byKey(ctx context.Context, key string) (Case, error) {
	return scanCase(s.db.Writer().QueryRowContext(ctx, `SELECT `+caseCols+` FROM cases WHERE key = ?`, key))
}

// ByCode is a case by its 查询码, as typed: ErrNotFound when there is
// none, the same whether the code is malformed or unknown.
func (s *Store) ByCode(ctx context.Context, code string) (Case, error) {
	code = NormalCode(code)
	if !validCode(code) {
		return Case{}, ErrNotFound
	}
	return scanCase(s.db.Reader().QueryRowContext(ctx, `SELECT `+caseCols+` FROM cases WHERE code = ?`, code))
}

// Lookup is what the public lookup page shows of the case with code.
func (s *Store) Lookup(ctx context.Context, code string) (View, error) {
	c, err := s.ByCode(ctx, code)
	if err != nil {
		return View{}, err
	}
	v := View{Code: c.Code, Kind: c.Kind, Title: c.Title, Text: c.Text, State: PublicState(c.State), Received: c.Received, Due: c.Due, Reason: c.Reason}
	if c.State == Replied || c.State == Closed {
		v.Reply, v.Replied = c.Reply, c.Replied
		v.Rating = c.Rating
		if by := s.rateBy(c); c.Rating == 0 && !s.opts.Now().After(by) {
			v.RateBy = by
		}
	}
	trail, err := s.Trail(ctx, c.ID)
	if err != nil {
		return View{}, err
	}
	for _, e := range trail {
		if e.Public {
			v.Trail = append(v.Trail, e)
		}
	}
	return v, nil
}

// Trail is a case's trail, the oldest line first.
func (s *Store) Trail(ctx context.Context, id int64) ([]Event, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT at, by, action, note, public FROM trail WHERE case_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at int64
		if err := rows.Scan(&at, &e.By, &e.Action, &e.Note, &e.Public); err != nil {
			return nil, err
		}
		e.At = fromMS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
