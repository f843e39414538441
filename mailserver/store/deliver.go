package store

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"nanhu/internal/searchtext"
	"nanhu/mailserver/mailtext"
)

// Recipient names the mailbox a delivery goes to.
type Recipient struct {
	Owner   string // a login
	Mailbox string // "" means INBOX
}

// Delivery is one message for one or more mailboxes.
type Delivery struct {
	Recipients   []Recipient
	Raw          []byte        // the message exactly as it will be stored
	Doc          *mailtext.Doc // its decoded text; nil means extract it here
	Flags        []string      // initial flags, e.g. \Seen for Sent copies
	InternalDate time.Time     // zero means now
}

// Delivered tells where one copy of a delivered message went.
type Delivered struct {
	Recipient
	MailboxID int64
	UID       uint32
}

type deliverReq struct {
	d      Delivery
	result chan deliverResult
}

type deliverResult struct {
	out []Delivered
	err error
}

// Deliver stores d durably: when it returns nil the message is committed to
// disk in every recipient's mailbox (see the package comment). Mailboxes
// named INBOX are created, with the rest of the standard set, on first use;
// other mailboxes must exist.
func (s *Store) Deliver(ctx context.Context, d Delivery) ([]Delivered, error) {
	if len(d.Recipients) == 0 {
		return nil, fmt.Errorf("deliver: no recipients")
	}
	if d.Doc == nil {
		doc := mailtext.Extract(d.Raw)
		d.Doc = &doc
	}
	if d.InternalDate.IsZero() {
		d.InternalDate = s.opts.Now()
	}
	req := &deliverReq{d: d, result: make(chan deliverResult, 1)}
	select {
	case s.reqs <- req:
	case <-s.done:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case r := <-req.result:
		return r.out, r.err
	case <-ctx.Done():
		// The message may still be committed; the caller answers 4xx and
		// the client's retry can make a duplicate, as with every MTA.
		return nil, ctx.Err()
	}
}

// DeliveredCount is the number of message copies put into mailboxes since
// Open.
func (s *Store) DeliveredCount() uint64 { return atomic.LoadUint64(&s.delivered) }

func (s *Store) writer() {
	defer s.wg.Done()
	batch := make([]*deliverReq, 0, s.opts.MaxBatch)
	for {
		select {
		case r := <-s.reqs:
			batch = append(batch[:0], r)
		gather:
			for len(batch) < s.opts.MaxBatch {
				select {
				case r := <-s.reqs:
					batch = append(batch, r)
				default:
					break gather
				}
			}
			s.commitBatch(batch)
		case <-s.done:
			// Finish what was handed in before Close.
			for {
				select {
				case r := <-s.reqs:
					s.commitBatch([]*deliverReq{r})
				default:
					return
				}
			}
		}
	}
}

// commitBatch stores every request of batch in one transaction. A request
// that fails is rolled back to its savepoint and reported alone; the others
// still commit.
func (s *Store) commitBatch(batch []*deliverReq) {
	ctx := context.Background()
	results := make([]deliverResult, len(batch))
	fail := func(err error) {
		for i, r := range batch {
			if results[i].err == nil {
				results[i].err = err
			}
			r.result <- deliverResult{err: results[i].err}
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		fail(fmt.Errorf("begin delivery: %w", err))
		return
	}
	var touched []int64
	created := map[boxKey]int64{}
	for i, r := range batch {
		if _, err := tx.ExecContext(ctx, "SAVEPOINT d"); err != nil {
			tx.Rollback()
			fail(fmt.Errorf("savepoint: %w", err))
			return
		}
		before := len(created)
		out, err := s.insert(ctx, tx, r.d, created)
		if err != nil {
			s.log.Error("delivery failed", "err", err)
			if len(created) != before {
				// Mailboxes made by this request are rolled back too.
				for k := range created {
					delete(created, k)
				}
				results[i].err = err
				tx.Rollback()
				s.retryAlone(batch, results, i)
				return
			}
			if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO d"); rerr != nil {
				tx.Rollback()
				fail(fmt.Errorf("roll back delivery: %w", rerr))
				return
			}
			results[i].err = err
		} else {
			results[i].out = out
			for _, o := range out {
				touched = append(touched, o.MailboxID)
			}
		}
		if _, err := tx.ExecContext(ctx, "RELEASE d"); err != nil {
			tx.Rollback()
			fail(fmt.Errorf("release savepoint: %w", err))
			return
		}
	}
	if err := tx.Commit(); err != nil {
		// The cached ids of mailboxes made in this transaction are void.
		s.mu.Lock()
		for k := range created {
			delete(s.boxCache, k)
		}
		s.mu.Unlock()
		fail(fmt.Errorf("commit delivery: %w", err))
		return
	}
	s.mu.Lock()
	for k, id := range created {
		s.boxCache[k] = id
	}
	s.mu.Unlock()
	// The watching sessions hear of the mail before any sender is told it
	// is stored: a client's NOOP after the 250 then shows it.
	s.notify(touched...)
	var n uint64
	for i, r := range batch {
		n += uint64(len(results[i].out))
		r.result <- results[i]
	}
	atomic.AddUint64(&s.delivered, n)
}

// HeaderLen is the length of raw's header section including the blank line
// that ends it (the whole message when there is no body).
func HeaderLen(raw []byte) int {
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
		if j := bytes.Index(raw[:i+2], []byte("\n\n")); j >= 0 {
			return j + 2
		}
		return i + 4
	}
	if j := bytes.Index(raw, []byte("\n\n")); j >= 0 {
		return j + 2
	}
	return len(raw)
}

// retryAlone handles the rare case where a failed request had created
// mailboxes inside a shared transaction: the whole transaction was rolled
// back, so every request of the batch is committed again on its own.
func (s *Store) retryAlone(batch []*deliverReq, results []deliverResult, failed int) {
	for i, r := range batch {
		if i == failed {
			r.result <- results[i]
			continue
		}
		s.commitBatch([]*deliverReq{r})
	}
}

func (s *Store) insert(ctx context.Context, tx *sql.Tx, d Delivery, created map[boxKey]int64) ([]Delivered, error) {
	now := s.opts.Now().Unix()
	seen := map[Recipient]bool{}
	var rcpts []Recipient
	for _, r := range d.Recipients {
		if r.Mailbox == "" {
			r.Mailbox = "INBOX"
		}
		if !seen[r] {
			seen[r] = true
			rcpts = append(rcpts, r)
		}
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO contents (raw, size, refs, message_id, created, header_len) VALUES (?, ?, ?, ?, ?, ?)`,
		d.Raw, len(d.Raw), len(rcpts), d.Doc.MessageID, now, HeaderLen(d.Raw))
	if err != nil {
		return nil, fmt.Errorf("store message bytes: %w", err)
	}
	contentID, _ := res.LastInsertId()
	if err := indexContent(ctx, tx, contentID, d.Doc); err != nil {
		return nil, err
	}
	flags := strings.Join(d.Flags, " ")
	out := make([]Delivered, 0, len(rcpts))
	for _, r := range rcpts {
		boxID, err := s.mailboxForDelivery(ctx, tx, r, created)
		if err != nil {
			return nil, err
		}
		var uid, modseq int64
		err = tx.QueryRowContext(ctx, `UPDATE mailboxes SET uidnext = uidnext + 1, highestmodseq = highestmodseq + 1
			WHERE id = ? RETURNING uidnext - 1, highestmodseq`, boxID).Scan(&uid, &modseq)
		if err != nil {
			return nil, fmt.Errorf("allocate UID in %s/%s: %w", r.Owner, r.Mailbox, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO messages (mailbox_id, uid, content_id, flags, internal_date, size, modseq)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, boxID, uid, contentID, flags, d.InternalDate.Unix(), len(d.Raw), modseq); err != nil {
			return nil, fmt.Errorf("add message to %s/%s: %w", r.Owner, r.Mailbox, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO usage (owner, bytes, messages) VALUES (?, ?, 1)
			ON CONFLICT (owner) DO UPDATE SET bytes = bytes + excluded.bytes, messages = messages + 1`, r.Owner, len(d.Raw)); err != nil {
			return nil, fmt.Errorf("account usage of %s: %w", r.Owner, err)
		}
		out = append(out, Delivered{Recipient: r, MailboxID: boxID, UID: uint32(uid)})
	}
	return out, nil
}

func indexContent(ctx context.Context, tx *sql.Tx, contentID int64, doc *mailtext.Doc) error {
	files := strings.Join(doc.Filenames, "\n")
	var date int64
	if !doc.Date.IsZero() {
		date = doc.Date.Unix()
	}
	f := searchtext.Fold
	if _, err := tx.ExecContext(ctx, `INSERT INTO search_text (content_id, subject, from_, to_, cc, bcc, body, filenames, date, headers)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, contentID, f(doc.Subject), f(doc.From), f(doc.To), f(doc.Cc), f(doc.Bcc), f(doc.Body), f(files), date, f(doc.Headers)); err != nil {
		return fmt.Errorf("store search text: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO search_index (docid, subject, from_, to_, cc, bcc, body, filenames)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, contentID,
		searchtext.Tokens(doc.Subject), searchtext.Tokens(doc.From), searchtext.Tokens(doc.To), searchtext.Tokens(doc.Cc),
		searchtext.Tokens(doc.Bcc), searchtext.Tokens(doc.Body), searchtext.Tokens(files)); err != nil {
		return fmt.Errorf("index message: %w", err)
	}
	return nil
}

// mailboxForDelivery finds the mailbox r names, creating the owner's
// standard mailboxes when r is an INBOX that does not exist yet.
func (s *Store) mailboxForDelivery(ctx context.Context, tx *sql.Tx, r Recipient, created map[boxKey]int64) (int64, error) {
	key := boxKey{r.Owner, r.Mailbox}
	s.mu.Lock()
	id, ok := s.boxCache[key]
	s.mu.Unlock()
	if ok {
		return id, nil
	}
	if id, ok := created[key]; ok {
		return id, nil
	}
	err := tx.QueryRowContext(ctx, `SELECT id FROM mailboxes WHERE owner = ? AND name = ?`, r.Owner, r.Mailbox).Scan(&id)
	if err == sql.ErrNoRows {
		if !strings.EqualFold(r.Mailbox, "INBOX") {
			return 0, fmt.Errorf("deliver to %s/%s: %w", r.Owner, r.Mailbox, ErrNoMailbox)
		}
		if err := createStandard(ctx, tx, r.Owner, s.opts.Now(), created); err != nil {
			return 0, err
		}
		return created[key], nil
	}
	if err != nil {
		return 0, fmt.Errorf("find mailbox %s/%s: %w", r.Owner, r.Mailbox, err)
	}
	s.mu.Lock()
	s.boxCache[key] = id
	s.mu.Unlock()
	return id, nil
}

// Standard is the set of mailboxes every account has, with their IMAP
// SPECIAL-USE attributes (RFC 6154).
var Standard = []struct{ Name, SpecialUse string }{
	{"INBOX", ""},
	{"Sent", `\Sent`},
	{"Drafts", `\Drafts`},
	{"Trash", `\Trash`},
	{"Junk", `\Junk`},
	{"Archive", `\Archive`},
}

func createStandard(ctx context.Context, tx *sql.Tx, owner string, now time.Time, created map[boxKey]int64) error {
	set := Standard
	if strings.HasPrefix(owner, "#") {
		// A shared mailbox (a department's) has an INBOX; the members
		// file into folders they make.
		set = Standard[:1]
	}
	for _, m := range set {
		id, err := createMailbox(ctx, tx, owner, m.Name, m.SpecialUse, now)
		if err == nil {
			created[boxKey{owner, m.Name}] = id
			continue
		}
		if err != ErrExists {
			return err
		}
	}
	return nil
}

// createMailbox inserts a mailbox with a fresh UIDVALIDITY. UIDVALIDITY
// values come from one counter that never goes back, so a mailbox that is
// deleted and made again never reuses one (RFC 9051 §2.3.1.1).
func createMailbox(ctx context.Context, tx *sql.Tx, owner, name, specialUse string, now time.Time) (int64, error) {
	var exists int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM mailboxes WHERE owner = ? AND name = ?`, owner, name).Scan(&exists); err != nil {
		return 0, fmt.Errorf("check mailbox %s/%s: %w", owner, name, err)
	}
	if exists > 0 {
		return 0, ErrExists
	}
	var uidvalidity int64
	err := tx.QueryRowContext(ctx, `INSERT INTO uidvalidity_seq (id, next) VALUES (1, max(?, 1) + 1)
		ON CONFLICT (id) DO UPDATE SET next = max(next, ?) + 1 RETURNING next - 1`, now.Unix(), now.Unix()).Scan(&uidvalidity)
	if err != nil {
		return 0, fmt.Errorf("allocate UIDVALIDITY: %w", err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO mailboxes (owner, name, special_use, uidvalidity, created) VALUES (?, ?, ?, ?, ?)`,
		owner, name, specialUse, uidvalidity&0xffffffff, now.Unix())
	if err != nil {
		return 0, fmt.Errorf("create mailbox %s/%s: %w", owner, name, err)
	}
	return res.LastInsertId()
}
