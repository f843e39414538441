package smsgateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"nanhu/smsgateway/at"
	"nanhu/smsgateway/pdu"
	"nanhu/smsgateway/store"
)

// Request is an SMS to send.
type Request struct {
	// To is the recipient in E.164 form: "+8613800000000".
	To string
	// Text is the message; long texts go as several parts (67 Chinese or
	// 153 GSM characters each).
	Text string
	// IdempotencyKey, when set, makes a repeated request return the
	// message the first one made instead of sending another.
	IdempotencyKey string
	// RequestStatusReport asks the network for a delivery report; nil
	// means Options.StatusReports.
	RequestStatusReport *bool
	// Validity is how long the network, and the gateway's queue, keep
	// trying; 0 means Options.DefaultValidity.
	Validity time.Duration
	// RequestedBy is who asked (the API's user), kept for the record.
	RequestedBy string
}

// ErrInvalid is wrapped by the errors Send returns for a request that
// could never be sent as it is: a bad number, an empty or too long text.
var ErrInvalid = errors.New("invalid SMS request")

// ErrKeyReused: the idempotency key was given before for a message with
// another recipient or text.
var ErrKeyReused = store.ErrKeyReused

// ErrNotFound: no message (or inbound message) with that id.
var ErrNotFound = store.ErrNotFound

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

const maxKeyLen = 200

// minValidity is the shortest validity period accepted.
const minValidity = 5 * time.Minute

// check validates r and returns the parts its text takes.
func (g *Gateway) check(r *Request) (int, error) {
	if !e164.MatchString(r.To) {
		return 0, invalid("%q is not a phone number in international (E.164) form, such as +8613800000000", r.To)
	}
	if r.Text == "" {
		return 0, invalid("the text is empty")
	}
	if !utf8.ValidString(r.Text) {
		return 0, invalid("the text is not valid UTF-8")
	}
	if strings.ContainsRune(r.Text, 0) {
		return 0, invalid("the text contains a NUL character")
	}
	if len(r.IdempotencyKey) > maxKeyLen {
		return 0, invalid("the idempotency key is longer than %d bytes", maxKeyLen)
	}
	if r.Validity == 0 {
		r.Validity = g.opts.DefaultValidity
	}
	if r.Validity < minValidity || r.Validity > maxValidity {
		return 0, invalid("the validity must be between %v and %v", minValidity, maxValidity)
	}
	parts, enc := pdu.Split(r.Text, false)
	if len(parts) > g.opts.MaxParts {
		per := "67 characters each (the text has Chinese or other non-GSM characters)"
		if enc == pdu.GSM7 {
			per = "153 GSM characters each"
		}
		return 0, invalid("the text is too long: it needs %d SMS parts, at most %d are allowed (%s)", len(parts), g.opts.MaxParts, per)
	}
	return len(parts), nil
}

// Send stores an SMS for sending and returns it queued. When Send returns
// nil the message is on disk: it will be sent even if the process dies
// right after. A request with an idempotency key seen before returns the
// message the key names, in whatever state it is now.
func (g *Gateway) Send(ctx context.Context, r Request) (Message, error) {
	m, _, err := g.send(ctx, r)
	return m, err
}

func (g *Gateway) send(ctx context.Context, r Request) (Message, bool, error) {
	parts, err := g.check(&r)
	if err != nil {
		return Message{}, false, err
	}
	srr := g.opts.StatusReports
	if r.RequestStatusReport != nil {
		srr = *r.RequestStatusReport
	}
	m, existed, err := g.st.Insert(ctx, store.NewMessage{
		To: r.To, Text: r.Text, IdempotencyKey: r.IdempotencyKey, StatusReport: srr,
		Validity: r.Validity, Parts: parts, ConcatRef: 1 + rand.IntN(255), RequestedBy: r.RequestedBy,
	})
	if err != nil {
		return Message{}, false, err
	}
	if !existed {
		g.log.Info("SMS queued", "id", m.ID, "to", m.To, "parts", parts)
		g.kick()
	}
	return m, existed, nil
}

// Get returns a message with its parts.
func (g *Gateway) Get(ctx context.Context, id int64) (Message, error) {
	return g.st.Get(ctx, id)
}

// List returns messages, newest first.
func (g *Gateway) List(ctx context.Context, f Filter) ([]Message, error) {
	return g.st.List(ctx, f)
}

// backoff is the wait before attempt n+1 of a message after a retryable
// failure of attempt n: none after the first (another modem takes it),
// then RetryMin doubling up to RetryMax.
func (g *Gateway) backoff(attempts int) time.Duration {
	if attempts <= 1 {
		return 0
	}
	d := g.opts.RetryMin
	for i := 2; i < attempts && d < g.opts.RetryMax; i++ {
		d *= 2
	}
	return min(d, g.opts.RetryMax)
}

// deliver sends msg through m's line c, part after part, and records each
// result. It runs on a goroutine of its own; ctx is Run's: when it ends
// between two parts, the message goes back to the queue.
func (m *modem) deliver(ctx context.Context, c *at.Conn, msg Message) {
	g := m.g
	defer g.wg.Done()
	defer m.release()
	log := m.log.With("id", msg.ID, "to", msg.To)
	n, send, err := m.sender(msg, log) // PDU or text mode
	if err == nil && n != len(msg.Parts) {
		err = fmt.Errorf("the text now encodes as %d parts, %d were stored", n, len(msg.Parts))
	}
	if err != nil {
		g.fail(msg, "cannot encode the SMS: "+err.Error())
		return
	}
	// A send in hand is finished even when Run is told to stop: the
	// network may take it any moment, and abandoning it would make a
	// duplicate certain. The AT driver bounds the wait.
	sendCtx := context.WithoutCancel(ctx)
	for i := range n {
		if err := m.waitSlot(ctx); err != nil || ctx.Err() != nil {
			g.requeue(msg, "", 0)
			return
		}
		m.line.Lock()
		start := time.Now()
		lines, err := send(sendCtx, c, i)
		if err != nil {
			m.line.Unlock()
			m.sendError(c, msg, i+1, err, log)
			return
		}
		g.met.partSeconds.WithLabelValues(m.cfg.Name).Observe(time.Since(start).Seconds())
		mr, ok := parseCMGS(lines)
		if !ok {
			log.Warn("modem accepted a part without a message reference; its status report cannot be matched", "lines", lines)
			mr = -1
		}
		updated, err := g.st.PartSent(sendCtx, msg.ID, i+1, m.cfg.Name, mr)
		m.line.Unlock()
		m.mu.Lock()
		m.st.PartsSent++
		m.mu.Unlock()
		g.met.partsSent.WithLabelValues(m.cfg.Name).Inc()
		if err != nil {
			// The network has the part but sms.db does not know: the
			// message stays "sending" and goes out again after a restart.
			log.Error("part sent but not recorded", "part", i+1, "err", err)
			return
		}
		if updated.State == Sent {
			log.Info("SMS sent", "parts", n, "refs", refs(updated))
			g.met.queueToSent.Observe(updated.SentAt.Sub(updated.CreatedAt).Seconds())
			g.notes.kick()
		}
	}
}

func refs(m Message) []int {
	var out []int
	for _, p := range m.Parts {
		if p.Ref != nil {
			out = append(out, *p.Ref)
		}
	}
	return out
}

// sendError settles a message whose part seq failed: a retryable error
// (a closed port, a timeout, a +CMS error of the modem or the network's
// passing trouble) takes the modem out and queues the message again, whole,
// for another modem; any other fails the message.
func (m *modem) sendError(c *at.Conn, msg Message, seq int, err error, log *slog.Logger) {
	g := m.g
	m.mu.Lock()
	m.st.SendErrors++
	m.mu.Unlock()
	text := fmt.Sprintf("part %d via %s: %v", seq, m.cfg.Name, err)
	if at.Retryable(err) {
		g.met.sendErrors.WithLabelValues(m.cfg.Name, "retryable").Inc()
		m.failed(c, err)
		next := g.backoff(msg.Attempts)
		log.Warn("send failed; queued again", "part", seq, "err", err, "retry_in", next)
		g.requeue(msg, text, next)
		return
	}
	g.met.sendErrors.WithLabelValues(m.cfg.Name, "permanent").Inc()
	log.Warn("send failed for good", "part", seq, "err", err)
	g.fail(msg, text)
}

// release frees m for the next message.
func (m *modem) release() {
	m.mu.Lock()
	m.st.Busy = false
	m.st.LastUsed = m.g.opts.Now()
	m.mu.Unlock()
	m.g.kick()
}

// requeue puts msg back in the queue, due after wait.
func (g *Gateway) requeue(msg Message, why string, wait time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := g.st.Retry(ctx, msg.ID, why, g.opts.Now().Add(wait)); err != nil {
		// It stays "sending" and is queued again at the next start.
		g.log.Error("cannot queue an SMS again", "id", msg.ID, "err", err)
	}
	g.kick()
}

// fail fails msg for good.
func (g *Gateway) fail(msg Message, why string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := g.st.Fail(ctx, msg.ID, why); err != nil {
		g.log.Error("cannot record an SMS as failed", "id", msg.ID, "err", err)
		return
	}
	g.notes.kick()
}
