package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// DefaultDomain is the local mail domain until SetDomains is called.
const DefaultDomain = "nanhu.local"

const domainsKey = "domains"

// SetDomains records the local mail domains, the first being the primary
// one. The server calls it at start, so that the command line, which opens
// the same file, gives new users and lists the same domains.
func (d *Directory) SetDomains(ctx context.Context, domains []string) error {
	var list []string
	for _, s := range domains {
		dom, err := NormalizeDomain(s)
		if err != nil {
			return err
		}
		if !slices.Contains(list, dom) {
			list = append(list, dom)
		}
	}
	if len(list) == 0 {
		return errorf(ErrInvalid, "at least one local domain is needed")
	}
	err := d.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx,
			`INSERT INTO settings (key, value) VALUES (?, ?)
			 ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
			domainsKey, strings.Join(list, " "))
		return err
	})
	if err != nil {
		return fmt.Errorf("org: set domains: %w", err)
	}
	return nil
}

// Domains returns the local mail domains, primary first; ["nanhu.local"]
// when none were set.
func (d *Directory) Domains(ctx context.Context) ([]string, error) {
	doms, err := domains(ctx, d.ro)
	if err != nil {
		return nil, fmt.Errorf("org: read domains: %w", err)
	}
	return doms, nil
}

func domains(ctx context.Context, q querier) ([]string, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, domainsKey).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) || err == nil && strings.TrimSpace(v) == "" {
		return []string{DefaultDomain}, nil
	}
	if err != nil {
		return nil, err
	}
	return strings.Fields(v), nil
}

// IsLocalDomain reports whether domain is one of the local mail domains
// (case-insensitive).
func (d *Directory) IsLocalDomain(ctx context.Context, domain string) (bool, error) {
	dom, err := NormalizeDomain(domain)
	if err != nil {
		return false, nil
	}
	doms, err := d.Domains(ctx)
	if err != nil {
		return false, err
	}
	return slices.Contains(doms, dom), nil
}

// PrimaryAddress completes a bare local part with the primary domain and
// normalises a full address: "bgs" becomes "bgs@nanhu.local".
func (d *Directory) PrimaryAddress(ctx context.Context, s string) (string, error) {
	if strings.Contains(s, "@") {
		return NormalizeAddress(s)
	}
	doms, err := d.Domains(ctx)
	if err != nil {
		return "", err
	}
	return NormalizeAddress(strings.TrimSpace(s) + "@" + doms[0])
}
