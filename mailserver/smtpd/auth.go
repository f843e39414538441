package smtpd

import (
	"errors"
	"fmt"

	"nanhu/mailserver/accounts"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// loginServer is the server side of the LOGIN SASL mechanism
// (draft-murchison-sasl-login), which Outlook and Foxmail use. go-sasl has
// only its client. The server asks "Username:" then "Password:"; a client
// may send the user name as the initial response.
type loginServer struct {
	step         int
	user         string
	authenticate func(user, password string) error
}

var errLoginSequence = errors.New("unexpected response in AUTH LOGIN")

func (s *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	switch s.step {
	case 0:
		if response == nil {
			s.step = 1
			return []byte("Username:"), false, nil
		}
		s.user, s.step = string(response), 2
		return []byte("Password:"), false, nil
	case 1:
		s.user, s.step = string(response), 2
		return []byte("Password:"), false, nil
	case 2:
		s.step = 3
		return nil, true, s.authenticate(s.user, string(response))
	default:
		return nil, true, errLoginSequence
	}
}

// AuthMechanisms lists PLAIN and LOGIN; go-smtp offers them only over TLS
// (or on a connection the server trusts, which Nanhu never configures).
func (s *session) AuthMechanisms() []string {
	if s.mode == modeMX {
		return nil
	}
	return []string{sasl.Plain, sasl.Login}
}

// Auth returns the SASL server of mech.
func (s *session) Auth(mech string) (sasl.Server, error) {
	if s.mode == modeMX {
		return nil, smtp.ErrAuthUnsupported
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, username, password string) error {
			if identity != "" && identity != username {
				return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authorization identity must be the user name"}
			}
			return s.authenticate(username, password)
		}), nil
	case sasl.Login:
		return &loginServer{authenticate: s.authenticate}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

// authenticate checks a password, applying the lockouts, and records the
// outcome in the log and the metrics.
func (s *session) authenticate(username, password string) error {
	srv := s.srv
	if wait := srv.limits.AuthLocked(s.ip, normalizeUser(username)); wait > 0 {
		srv.metrics.authFailures.WithLabelValues("smtp").Inc()
		srv.log.Warn("smtp auth refused: locked out", "remote", s.ip, "user", username, "for", wait.Round(1e9))
		return &smtp.SMTPError{Code: 454, EnhancedCode: smtp.EnhancedCode{4, 7, 0},
			Message: fmt.Sprintf("Too many failed logins; try again in %d minutes", int(wait.Minutes())+1)}
	}
	login, err := srv.dir.Authenticate(s.ctx, username, password)
	if err != nil && !errors.Is(err, accounts.ErrBadCredentials) && !errors.Is(err, accounts.ErrDisabled) {
		srv.log.Error("smtp auth: directory failure", "remote", s.ip, "user", username, "err", err)
		return &smtp.SMTPError{Code: 454, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "Temporary authentication failure, try again later"}
	}
	if err != nil {
		srv.metrics.authFailures.WithLabelValues("smtp").Inc()
		f := srv.limits.AuthFailed(s.ip, normalizeUser(username))
		srv.log.Warn("smtp auth failed", "remote", s.ip, "user", username, "err", err, "lockout", f.Locked)
		f.Wait(s.ctx)
		if errors.Is(err, accounts.ErrDisabled) {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Account disabled"}
		}
		return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Invalid user name or password"}
	}
	srv.limits.AuthSucceeded(s.ip, normalizeUser(username))
	s.login = login
	srv.log.Info("smtp auth", "remote", s.ip, "user", login, "listener", s.listener)
	return nil
}
