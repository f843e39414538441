package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// NotifyPrefs say how a user wants to hear of to-dos while away from the
// workbench. Notification routing (oa/notify) reads them; a user who never
// set any has DefaultNotifyPrefs.
type NotifyPrefs struct {
	// SMS: to-dos reach the user's mobile by SMS.
	SMS bool
	// Mail: to-dos are also put into the user's INBOX as a mail.
	Mail bool
	// Quiet is the user's own quiet hours; nil keeps the system's.
	Quiet *QuietHours
}

// QuietHours is a daily span of local time in which only 特急 to-dos are
// sent by SMS; the rest wait for its end. Start after End spans midnight
// (22:00–07:00); Start equal to End means no quiet hours at all.
type QuietHours struct {
	Start, End time.Duration // since local midnight, whole minutes below 24h
}

// DefaultNotifyPrefs are the preferences of a user who set none: SMS, no
// mail, the system's quiet hours.
func DefaultNotifyPrefs() NotifyPrefs { return NotifyPrefs{SMS: true} }

// None reports whether q is "no quiet hours at all".
func (q QuietHours) None() bool { return q.Start == q.End }

// String writes q as ParseQuietHours reads it: "22:00-07:00", or "none".
func (q QuietHours) String() string {
	if q.None() {
		return "none"
	}
	hm := func(d time.Duration) string {
		return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return hm(q.Start) + "-" + hm(q.End)
}

// ParseQuietHours reads quiet hours written as "22:00-07:00" (a span of
// local time; one that ends before it starts spans midnight), "none" (no
// quiet hours: every to-do goes out at once) or "default" (nil: the
// system's quiet hours).
func ParseQuietHours(s string) (*QuietHours, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "default", "system", "":
		return nil, nil
	case "none", "off":
		return &QuietHours{}, nil
	}
	from, to, ok := strings.Cut(strings.ReplaceAll(s, "–", "-"), "-")
	if !ok {
		return nil, errorf(ErrInvalid, "quiet hours %q: write them as 22:00-07:00, none or default", s)
	}
	var q QuietHours
	for i, part := range []string{from, to} {
		t, err := time.Parse("15:04", strings.TrimSpace(part))
		if err != nil {
			return nil, errorf(ErrInvalid, "quiet hours %q: %q is not a time of day like 07:00", s, strings.TrimSpace(part))
		}
		d := time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute
		if i == 0 {
			q.Start = d
		} else {
			q.End = d
		}
	}
	return &q, nil
}

func (q QuietHours) check() error {
	for _, v := range []time.Duration{q.Start, q.End} {
		if v < 0 || v >= 24*time.Hour || v%time.Minute != 0 {
			return errorf(ErrInvalid, "quiet hours must be whole minutes between 00:00 and 23:59, not %v", v)
		}
	}
	return nil
}

// NotifyPrefs returns a user's notification preferences, or the defaults
// when the user set none. An unknown login gives ErrNotFound.
func (d *Directory) NotifyPrefs(ctx context.Context, login string) (NotifyPrefs, error) {
	l, err := NormalizeLogin(login)
	if err != nil {
		return NotifyPrefs{}, errorf(ErrNotFound, "there is no user %q", login)
	}
	// One statement: the user's row, and their preferences if any.
	p := DefaultNotifyPrefs()
	var sms, mail, start, end sql.NullInt64
	err = d.ro.QueryRowContext(ctx, `SELECT n.sms, n.mail, n.quiet_start, n.quiet_end
		FROM users u LEFT JOIN notify_prefs n ON n.login = u.login WHERE u.login = ?`, l).Scan(&sms, &mail, &start, &end)
	if errors.Is(err, sql.ErrNoRows) {
		return NotifyPrefs{}, errorf(ErrNotFound, "there is no user %q", l)
	}
	if err != nil {
		return NotifyPrefs{}, fmt.Errorf("org: read notification preferences of %s: %w", l, err)
	}
	if sms.Valid {
		p.SMS, p.Mail = sms.Int64 != 0, mail.Int64 != 0
	}
	if start.Valid && end.Valid {
		p.Quiet = &QuietHours{Start: time.Duration(start.Int64) * time.Minute, End: time.Duration(end.Int64) * time.Minute}
	}
	return p, nil
}

// SetNotifyPrefs stores a user's notification preferences, replacing what
// was there.
func (d *Directory) SetNotifyPrefs(ctx context.Context, login string, p NotifyPrefs) error {
	l, err := NormalizeLogin(login)
	if err != nil {
		return err
	}
	var start, end sql.NullInt64
	if p.Quiet != nil {
		if err := p.Quiet.check(); err != nil {
			return err
		}
		start = sql.NullInt64{Int64: int64(p.Quiet.Start / time.Minute), Valid: true}
		end = sql.NullInt64{Int64: int64(p.Quiet.End / time.Minute), Valid: true}
	}
	err = d.write(ctx, func(tx *sql.Tx) error {
		if ok, err := userExists(ctx, tx, l); err != nil {
			return err
		} else if !ok {
			return errorf(ErrNotFound, "there is no user %q", l)
		}
		_, err := tx.ExecContext(ctx,
			`INSERT INTO notify_prefs (login, sms, mail, quiet_start, quiet_end) VALUES (?, ?, ?, ?, ?)
			 ON CONFLICT (login) DO UPDATE SET sms = excluded.sms, mail = excluded.mail,
			   quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end`,
			l, p.SMS, p.Mail, start, end)
		return err
	})
	if err != nil {
		return wrapOp(err, "set notification preferences of %s", l)
	}
	d.log.Info("notification preferences set", "login", l, "sms", p.SMS, "mail", p.Mail, "quiet", p.Quiet != nil)
	return nil
}

// UsersByMobile returns the users whose registered mobile is mobile (E.164;
// spaces and hyphens are ignored), sorted by login: usually one, none for
// a number nobody registered. Disabled users are included, with Disabled
// set.
func (d *Directory) UsersByMobile(ctx context.Context, mobile string) ([]User, error) {
	m, err := NormalizeMobile(mobile)
	if err != nil {
		return nil, nil // not a number anyone can have registered
	}
	var users []User
	err = d.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT login FROM users WHERE mobile = ? AND mobile != '' ORDER BY login`, m)
		if err != nil {
			return err
		}
		var logins []string
		for rows.Next() {
			var l string
			if err := rows.Scan(&l); err != nil {
				rows.Close()
				return err
			}
			logins = append(logins, l)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, l := range logins {
			u, err := loadUsers(ctx, tx, l)
			if err != nil {
				return err
			}
			users = append(users, u...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("org: find users by mobile: %w", err)
	}
	return users, nil
}

// LeaderOf returns the login of the leader a user answers to, the one a
// 催办 goes to: the leader of the user's first department; when that
// department has no leader, or the user leads it, the leader of its parent,
// and so on up the tree. It returns "" when there is none (a user in no
// department, or the head of a top-level organ).
func (d *Directory) LeaderOf(ctx context.Context, login string) (string, error) {
	l, err := NormalizeLogin(login)
	if err != nil {
		return "", errorf(ErrNotFound, "there is no user %q", login)
	}
	var leader string
	err = d.read(ctx, func(tx *sql.Tx) error {
		if ok, err := userExists(ctx, tx, l); err != nil {
			return err
		} else if !ok {
			return errorf(ErrNotFound, "there is no user %q", l)
		}
		var dept string
		err := tx.QueryRowContext(ctx, `SELECT dept FROM memberships WHERE login = ? ORDER BY rowid LIMIT 1`, l).Scan(&dept)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		// The tree has no cycles by construction; the bound guards a file
		// edited by hand.
		for range 64 {
			var parent, lead sql.NullString
			err := tx.QueryRowContext(ctx, `SELECT parent, leader FROM departments WHERE code = ?`, dept).Scan(&parent, &lead)
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			if err != nil {
				return err
			}
			if lead.Valid && lead.String != "" && lead.String != l {
				leader = lead.String
				return nil
			}
			if !parent.Valid || parent.String == "" {
				return nil
			}
			dept = parent.String
		}
		return nil
	})
	if err != nil {
		return "", wrapOp(err, "find the leader of %s", l)
	}
	return leader, nil
}

// PrefsChange is a change of notification preferences: what is nil stays
// as it is.
type PrefsChange struct {
	SMS  *bool `json:"sms"`
	Mail *bool `json:"mail"`
	// Quiet is "22:00-07:00", "none", or "default" (the system's).
	Quiet *string `json:"quiet"`
}

// Empty reports whether the change changes nothing.
func (c PrefsChange) Empty() bool { return c.SMS == nil && c.Mail == nil && c.Quiet == nil }

// Apply changes p; a bad value is an ErrInvalid error.
func (c PrefsChange) Apply(p *NotifyPrefs) error {
	if c.SMS != nil {
		p.SMS = *c.SMS
	}
	if c.Mail != nil {
		p.Mail = *c.Mail
	}
	if c.Quiet != nil {
		q, err := ParseQuietHours(*c.Quiet)
		if err != nil {
			return err
		}
		p.Quiet = q
	}
	return nil
}

// ChangeNotifyPrefs reads, changes and stores login's preferences, and
// returns them as they now are.
func (d *Directory) ChangeNotifyPrefs(ctx context.Context, login string, c PrefsChange) (NotifyPrefs, error) {
	p, err := d.NotifyPrefs(ctx, login)
	if err != nil {
		return p, err
	}
	if err := c.Apply(&p); err != nil {
		return p, err
	}
	if c.Empty() {
		return p, nil
	}
	return p, d.SetNotifyPrefs(ctx, login, p)
}
