package accounts

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// SenderDirectory is what a Directory may also tell, for the From rules
// of submitted mail (SendAs). A Directory without it lets lists be sent
// as only by grant, and the Sender header names the address alone.
type SenderDirectory interface {
	// DisplayName is login's name as people know it (张伟).
	DisplayName(ctx context.Context, login string) (string, error)
	// ListMembers returns the logins on the distribution list at address,
	// or ErrUnknownRecipient when address is not a list.
	ListMembers(ctx context.Context, address string) ([]string, error)
}

// SendAs says which addresses besides their own people may put in the
// From header (and the envelope) of the mail they submit. The zero value
// allows none.
type SendAs struct {
	// SharedMembers lets everyone who may open a department's shared
	// mailbox (公共邮箱) send as it.
	SharedMembers bool
	// ListMembers lets the members of a distribution list send as it.
	ListMembers bool
	// Grants lets the logins listed send as the address, whatever it is
	// (a shared mailbox, a list, an alias). Keys are lowercase addresses.
	Grants map[string][]string
}

// Kind is how an account may use an address.
type Kind int

// The ways an account may send as an address.
const (
	NotAllowed    Kind = iota
	Own                // one of the account's own addresses
	SharedMailbox      // a shared mailbox the account may open
	List               // a distribution list the account is on
	Granted            // granted by the configuration
)

func (k Kind) String() string {
	switch k {
	case Own:
		return "own"
	case SharedMailbox:
		return "shared mailbox"
	case List:
		return "list"
	case Granted:
		return "granted"
	}
	return "not allowed"
}

// May says how login may send as address: NotAllowed, or the first of
// Own, Granted, SharedMailbox and List that applies. An error is a failure of the
// directory, to be answered "try again later".
func (p SendAs) May(ctx context.Context, dir Directory, login, address string) (Kind, error) {
	address = strings.ToLower(strings.TrimSpace(address))
	own, err := dir.SenderAddresses(ctx, login)
	if err != nil {
		return NotAllowed, fmt.Errorf("addresses of %s: %w", login, err)
	}
	for _, a := range own {
		if strings.EqualFold(a, address) {
			return Own, nil
		}
	}
	if slices.ContainsFunc(p.Grants[address], func(l string) bool { return strings.EqualFold(l, login) }) {
		return Granted, nil
	}
	if p.SharedMembers {
		shared, err := dir.SharedMailboxes(ctx, login)
		if err != nil {
			return NotAllowed, fmt.Errorf("shared mailboxes of %s: %w", login, err)
		}
		for _, s := range shared {
			if s.Address != "" && strings.EqualFold(s.Address, address) {
				return SharedMailbox, nil
			}
		}
	}
	if sd, ok := dir.(SenderDirectory); ok && p.ListMembers {
		members, err := sd.ListMembers(ctx, address)
		switch {
		case errors.Is(err, ErrUnknownRecipient):
		case err != nil:
			return NotAllowed, fmt.Errorf("members of %s: %w", address, err)
		case slices.ContainsFunc(members, func(l string) bool { return strings.EqualFold(l, login) }):
			return List, nil
		}
	}
	return NotAllowed, nil
}
