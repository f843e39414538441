package accounts

import (
	"context"
	"errors"
	"testing"
)

type dir struct{ withLists bool }

func (dir) Authenticate(context.Context, string, string) (string, error) {
	return "", ErrBadCredentials
}
func (dir) Resolve(context.Context, string) ([]string, error) { return nil, ErrUnknownRecipient }
func (dir) IsLocalDomain(_ context.Context, d string) bool    { return d == "nanhu.local" }
func (dir) Quota(context.Context, string) (int64, error)      { return 0, nil }
func (dir) SenderAddresses(_ context.Context, login string) ([]string, error) {
	if login == "broken" {
		return nil, errors.New("directory down")
	}
	return []string{login + "@nanhu.local", login + ".alias@nanhu.local"}, nil
}
func (dir) SharedMailboxes(_ context.Context, login string) ([]Shared, error) {
	if login == "wufang" {
		return []Shared{{Owner: "#bgs", Name: "区政府办公室", Address: "bangongshi@nanhu.local"}}, nil
	}
	return nil, nil
}

type listDir struct{ dir }

func (listDir) DisplayName(_ context.Context, login string) (string, error) { return login, nil }
func (listDir) ListMembers(_ context.Context, address string) ([]string, error) {
	if address == "bgs@nanhu.local" {
		return []string{"liuyang", "wufang"}, nil
	}
	return nil, ErrUnknownRecipient
}

func TestSendAs(t *testing.T) {
	all := SendAs{SharedMembers: true, ListMembers: true, Grants: map[string][]string{"xinfang@nanhu.local": {"LuoGang"}}}
	tests := []struct {
		name    string
		policy  SendAs
		d       Directory
		login   string
		address string
		want    Kind
		err     bool
	}{
		{"own address", SendAs{}, dir{}, "lina", "LINA@nanhu.local", Own, false},
		{"own extra address", SendAs{}, dir{}, "lina", "lina.alias@nanhu.local", Own, false},
		{"another's address", all, listDir{}, "lina", "zhangwei@nanhu.local", NotAllowed, false},
		{"shared mailbox of a member", all, dir{}, "wufang", "bangongshi@nanhu.local", SharedMailbox, false},
		{"shared mailbox when members may not", SendAs{ListMembers: true}, listDir{}, "wufang", "bangongshi@nanhu.local", NotAllowed, false},
		{"shared mailbox of another department", all, dir{}, "lina", "bangongshi@nanhu.local", NotAllowed, false},
		{"list member", all, listDir{}, "liuyang", "bgs@nanhu.local", List, false},
		{"list member when members may not", SendAs{SharedMembers: true}, listDir{}, "liuyang", "bgs@nanhu.local", NotAllowed, false},
		{"list without a directory that knows lists", all, dir{}, "liuyang", "bgs@nanhu.local", NotAllowed, false},
		{"not on the list", all, listDir{}, "lina", "bgs@nanhu.local", NotAllowed, false},
		{"granted", all, dir{}, "luogang", "xinfang@nanhu.local", Granted, false},
		{"granted to another", all, dir{}, "lina", "xinfang@nanhu.local", NotAllowed, false},
		{"directory failure", all, dir{}, "broken", "broken@nanhu.local", NotAllowed, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.policy.May(context.Background(), tt.d, tt.login, tt.address)
			if got != tt.want || (err != nil) != tt.err {
				t.Errorf("May(%s, %s) = %v, %v; want %v (error %v)", tt.login, tt.address, got, err, tt.want, tt.err)
			}
		})
	}
}
