package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"nanhu/mailserver/imapd"
	"nanhu/mailserver/smtpd"
	"nanhu/mailserver/store"
	"nanhu/oa/org"
)

// mailDirectory adapts the organisation's directory (oa/org) to what the
// mail server asks of it (smtpd.Directory); the mail server never imports oa.
type mailDirectory struct{ org *org.Directory }

func (m mailDirectory) Authenticate(ctx context.Context, username, password string) (string, error) {
	u, err := m.org.Authenticate(ctx, username, password)
	switch {
	case errors.Is(err, org.ErrDisabled):
		return "", fmt.Errorf("%w: %v", smtpd.ErrDisabled, err)
	case errors.Is(err, org.ErrBadCredentials), errors.Is(err, org.ErrNotFound), errors.Is(err, org.ErrInvalid):
		return "", fmt.Errorf("%w: %v", smtpd.ErrBadCredentials, err)
	case err != nil:
		return "", err
	}
	return u.Login, nil
}

func (m mailDirectory) Resolve(ctx context.Context, address string) ([]string, error) {
	logins, err := m.org.Resolve(ctx, address)
	if errors.Is(err, org.ErrNotFound) || errors.Is(err, org.ErrInvalid) || errors.Is(err, org.ErrDisabled) {
		return nil, fmt.Errorf("%w: %v", smtpd.ErrUnknownRecipient, err)
	}
	return logins, err
}

func (m mailDirectory) SenderAddresses(ctx context.Context, login string) ([]string, error) {
	u, err := m.org.User(ctx, login)
	if err != nil {
		return nil, err
	}
	return u.Addresses, nil
}

func (m mailDirectory) IsLocalDomain(ctx context.Context, domain string) bool {
	ok, err := m.org.IsLocalDomain(ctx, domain)
	return err == nil && ok
}

func (m mailDirectory) Quota(ctx context.Context, login string) (int64, error) {
	u, err := m.org.User(ctx, login)
	if err != nil {
		return 0, err
	}
	return u.QuotaBytes, nil
}

// imapDirectory is the same directory as the IMAP server asks for it.
type imapDirectory struct{ mailDirectory }

func (m imapDirectory) Authenticate(ctx context.Context, username, password string) (string, error) {
	login, err := m.mailDirectory.Authenticate(ctx, username, password)
	switch {
	case errors.Is(err, smtpd.ErrBadCredentials):
		return "", fmt.Errorf("%w: %v", imapd.ErrBadCredentials, err)
	case errors.Is(err, smtpd.ErrDisabled):
		return "", fmt.Errorf("%w: %v", imapd.ErrDisabled, err)
	}
	return login, err
}

func (m imapDirectory) SharedMailboxes(ctx context.Context, login string) ([]imapd.Shared, error) {
	all, err := m.org.SharedMailboxesOf(ctx, login)
	if err != nil {
		return nil, err
	}
	out := make([]imapd.Shared, 0, len(all))
	for _, s := range all {
		out = append(out, imapd.Shared{Owner: s.Owner, Name: strings.ReplaceAll(s.Name, "/", "-")})
	}
	return out, nil
}

// localDeliverer puts the outbound queue's delivery reports into the local
// sender's INBOX.
type localDeliverer struct {
	dir   mailDirectory
	store *store.Store
}

func (l localDeliverer) DeliverLocal(ctx context.Context, to string, raw []byte) error {
	logins, err := l.dir.Resolve(ctx, to)
	if err != nil {
		return fmt.Errorf("deliver report to %s: %w", to, err)
	}
	rcpts := make([]store.Recipient, 0, len(logins))
	for _, login := range logins {
		rcpts = append(rcpts, store.Recipient{Owner: login})
	}
	if len(rcpts) == 0 {
		return fmt.Errorf("deliver report to %s: no active account", to)
	}
	_, err = l.store.Deliver(ctx, store.Delivery{Recipients: rcpts, Raw: raw})
	return err
}
