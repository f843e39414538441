// Package accounts is what the mail server needs of the organisation's
// accounts: one Directory interface for SMTP and IMAP, and one set of
// errors that every implementation returns (wrapped, with its own sentence)
// and every listener tests for with errors.Is.
//
// The mail server never imports the organisation (package oa); the binary
// adapts the organisation's directory to this interface.
package accounts

import (
	"context"
	"errors"
)

// Errors a Directory returns, wrapped in its own message.
var (
	// ErrBadCredentials: a wrong user name or password, or no such user.
	ErrBadCredentials = errors.New("invalid user name or password")
	// ErrDisabled: the account exists and is disabled.
	ErrDisabled = errors.New("account disabled")
	// ErrUnknownRecipient: no local account, alias or list has the address.
	ErrUnknownRecipient = errors.New("no such local recipient")
)

// Directory is the organisation's accounts as the mail server sees them.
// Any error other than the ones above is a temporary failure of the
// directory (the listeners answer "try again later").
type Directory interface {
	// Authenticate checks a login name or mail address with its password
	// and returns the account's login, or ErrBadCredentials or ErrDisabled.
	Authenticate(ctx context.Context, username, password string) (login string, err error)
	// Resolve turns a local address (a person's address, an alias or a
	// distribution list) into the logins of its recipients, or returns
	// ErrUnknownRecipient.
	Resolve(ctx context.Context, address string) (logins []string, err error)
	// SenderAddresses lists the addresses login may send from.
	SenderAddresses(ctx context.Context, login string) ([]string, error)
	// IsLocalDomain reports whether mail for domain is delivered here.
	IsLocalDomain(ctx context.Context, domain string) bool
	// Quota is the number of bytes login's mailboxes may hold; 0 means no
	// limit.
	Quota(ctx context.Context, login string) (int64, error)
	// SharedMailboxes lists the department shared mailboxes (公共邮箱)
	// login may use, each with the store owner that holds it.
	SharedMailboxes(ctx context.Context, login string) ([]Shared, error)
}

// Shared is a department shared mailbox that a user may open.
type Shared struct {
	Owner   string // the mail store's owner, e.g. "#bgs"
	Name    string // shown under the shared namespace, e.g. 区政府办公室
	Address string // its mail address, e.g. bangongshi@nanhu.local; "" when unknown
}
