// Package mailqueue delivers the notify.mail events of the queue into
// local users' INBOXes: OA's notifications by mail, for the officials whose
// preference asks for them. Each becomes an ordinary UTF-8 message whose
// Message-ID is derived from the event's idempotency key, so an event the
// queue delivers again (after a crash) is stored once.
package mailqueue

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"strings"
	"time"

	"nanhu/mailserver/store"
	"nanhu/queue"
	"nanhu/queue/contract"
)

// Channel is the notify.mail channel of the mail server.
const Channel = "mailserver"

// Directory is what the consumer asks of the organisation.
type Directory interface {
	// SenderAddresses lists login's addresses, the primary first.
	SenderAddresses(ctx context.Context, login string) ([]string, error)
}

// Mailstore is where the mail goes.
type Mailstore interface {
	Deliver(ctx context.Context, d store.Delivery) ([]store.Delivered, error)
	HasMessageID(ctx context.Context, owner, mailbox, messageID string) (bool, error)
}

// Outbound sends mail to other domains.
type Outbound interface {
	Enqueue(ctx context.Context, from string, rcpts []string, raw []byte) (int64, error)
}

// Options configure the consumer.
type Options struct {
	Domain string // the local domain of the From address
	// Out sends the notifications addressed outside (ToAddress); nil
	// refuses them.
	Out    Outbound
	Logger *slog.Logger
	Now    func() time.Time
}

// ErrUnknownUser is returned (and dead-letters the event) for a login the
// directory does not know.
var ErrUnknownUser = errors.New("no such user")

// Consume delivers every notify.mail event.
func Consume(q *queue.Queue, dir Directory, st Mailstore, o Options) (*queue.Consumer, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return queue.Consume(q, Channel, func(ctx context.Context, ev contract.NotifyMail) error {
		return Deliver(ctx, dir, st, o, ev)
	})
}

// Deliver puts one notification into the user's INBOX, once.
func Deliver(ctx context.Context, dir Directory, st Mailstore, o Options, ev contract.NotifyMail) error {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if ev.ToAddress != "" {
		return send(ctx, o, ev)
	}
	addrs, err := dir.SenderAddresses(ctx, ev.ToLogin)
	if err != nil || len(addrs) == 0 {
		return queue.Permanent(fmt.Errorf("notify.mail for %q: %w (%v)", ev.ToLogin, ErrUnknownUser, err))
	}
	msgID := messageID(o, ev, "notify")
	if has, err := st.HasMessageID(ctx, ev.ToLogin, "INBOX", msgID); err != nil {
		return err
	} else if has {
		return nil // delivered before the crash that made the queue repeat it
	}
	now := o.Now()
	raw := message(o, ev, addrs[0], msgID, now)
	if _, err := st.Deliver(ctx, store.Delivery{Recipients: []store.Recipient{{Owner: ev.ToLogin}}, Raw: raw, InternalDate: now}); err != nil {
		return err
	}
	o.Logger.Info("notification mail delivered", "to", ev.ToLogin, "event", ev.ID, "reason", ev.Reason)
	return nil
}

// messageID is the Message-ID of the mail an event makes: the same for
// every copy of the event, derived from its idempotency key.
func messageID(o Options, ev contract.NotifyMail, kind string) string {
	key := ev.IdempotencyKey
	if key == "" {
		key = ev.ID
	}
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:12]) + "." + kind + "@" + o.Domain
}

// message is the notification as an Internet message to addr.
func message(o Options, ev contract.NotifyMail, addr, msgID string, now time.Time) []byte {
	from := ev.From
	if from == "" {
		from = "南湖办公系统"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s <noreply@%s>\r\n", mime.BEncoding.Encode("UTF-8", from), o.Domain)
	fmt.Fprintf(&b, "To: <%s>\r\n", addr)
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.BEncoding.Encode("UTF-8", ev.Subject))
	fmt.Fprintf(&b, "Date: %s\r\n", now.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s>\r\n", msgID)
	b.WriteString("Auto-Submitted: auto-generated\r\n")
	if ev.TodoID != "" {
		fmt.Fprintf(&b, "X-Nanhu-Todo: %s\r\n", strings.Map(func(r rune) rune {
			if r < 0x21 || r > 0x7e {
				return '_'
			}
			return r
		}, ev.TodoID))
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	body := base64.StdEncoding.EncodeToString([]byte(strings.ReplaceAll(strings.ReplaceAll(ev.Body, "\r\n", "\n"), "\n", "\r\n") + "\r\n"))
	for len(body) > 76 {
		b.WriteString(body[:76] + "\r\n")
		body = body[76:]
	}
	b.WriteString(body + "\r\n")
	return []byte(b.String())
}

// send puts a notification for an outside address into the outbound
// queue, from the null sender (RFC 3834: no bounce of an automatic mail
// comes back to loop).
func send(ctx context.Context, o Options, ev contract.NotifyMail) error {
	if o.Out == nil {
		return queue.Permanent(fmt.Errorf("notify.mail to %s: this server sends no mail to other domains", ev.ToAddress))
	}
	now := o.Now()
	if _, err := o.Out.Enqueue(ctx, "", []string{ev.ToAddress}, message(o, ev, ev.ToAddress, messageID(o, ev, "notice"), now)); err != nil {
		return err
	}
	o.Logger.Info("notification mail sent out", "to", ev.ToAddress, "event", ev.ID, "reason", ev.Reason)
	return nil
}
