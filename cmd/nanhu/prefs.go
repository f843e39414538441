package main

// Per-user notification preferences (channels and quiet hours), which
// routing (oa/notify) reads from the directory: `nanhu user notify` for
// administrators, and GET/PUT /api/v1/notifications/prefs for every user
// (their own; administrators may name another with ?login=).

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"

	"nanhu/oa/org"
)

// prefsView is the preferences as the API and the CLI show them.
type prefsView struct {
	Login string `json:"login"`
	SMS   bool   `json:"sms"`
	Mail  bool   `json:"mail"`
	// Quiet is "22:00-07:00", "none", or "default" (the system's).
	Quiet string `json:"quiet"`
}

func viewOf(login string, p org.NotifyPrefs) prefsView {
	q := "default"
	if p.Quiet != nil {
		q = p.Quiet.String()
	}
	return prefsView{Login: login, SMS: p.SMS, Mail: p.Mail, Quiet: q}
}

// prefsChange is a change of preferences: what is left out stays.
type prefsChange struct {
	SMS   *bool   `json:"sms"`
	Mail  *bool   `json:"mail"`
	Quiet *string `json:"quiet"`
}

// apply changes p; a bad value is an org.ErrInvalid error.
func (c prefsChange) apply(p *org.NotifyPrefs) error {
	if c.SMS != nil {
		p.SMS = *c.SMS
	}
	if c.Mail != nil {
		p.Mail = *c.Mail
	}
	if c.Quiet != nil {
		q, err := org.ParseQuietHours(*c.Quiet)
		if err != nil {
			return err
		}
		p.Quiet = q
	}
	return nil
}

// changePrefs reads, changes and stores login's preferences.
func changePrefs(ctx context.Context, d *org.Directory, login string, c prefsChange) (org.NotifyPrefs, error) {
	p, err := d.NotifyPrefs(ctx, login)
	if err != nil {
		return p, err
	}
	if err := c.apply(&p); err != nil {
		return p, err
	}
	if c.SMS == nil && c.Mail == nil && c.Quiet == nil {
		return p, nil
	}
	return p, d.SetNotifyPrefs(ctx, login, p)
}

// onOff reads a flag value such as on/off, yes/no, true/false, 开/关.
func onOff(name, v string) (*bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "":
		return nil, nil
	case "on", "yes", "true", "1", "开":
		t := true
		return &t, nil
	case "off", "no", "false", "0", "关":
		f := false
		return &f, nil
	}
	return nil, fmt.Errorf("--%s takes on or off, not %q", name, v)
}

// notifyVerb is `nanhu user notify LOGIN [--sms on|off] [--mail on|off]
// [--quiet 22:00-07:00|none|default]`: without flags it shows the
// preferences, with them it changes them and shows the result.
func notifyVerb() dirVerb {
	return dirVerb{
		usage: "LOGIN [--sms on|off] [--mail on|off] [--quiet 22:00-07:00|none|default]",
		npos:  1,
		flags: func(fs *flag.FlagSet) func(context.Context, *org.Directory, []string, dirIO) error {
			sms := fs.String("sms", "", "to-dos by SMS to the registered mobile: `on|off`")
			mail := fs.String("mail", "", "to-dos also as a mail into the INBOX: `on|off`")
			quiet := fs.String("quiet", "", "own quiet hours `22:00-07:00`, none, or default (the system's)")
			set := func(name string) bool {
				found := false
				fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
				return found
			}
			return func(ctx context.Context, d *org.Directory, pos []string, sio dirIO) error {
				var c prefsChange
				var err error
				if c.SMS, err = onOff("sms", *sms); err != nil {
					return err
				}
				if c.Mail, err = onOff("mail", *mail); err != nil {
					return err
				}
				if set("quiet") {
					c.Quiet = quiet
				}
				p, err := changePrefs(ctx, d, pos[0], c)
				if err != nil {
					return err
				}
				v := viewOf(strings.ToLower(pos[0]), p)
				word := map[bool]string{true: "on", false: "off"}
				writeTable(sio.out, [][]string{{"LOGIN", "SMS", "MAIL", "QUIET HOURS"}, {v.Login, word[v.SMS], word[v.Mail], v.Quiet}})
				return nil
			}
		},
	}
}

// prefsHandler serves GET and PUT /api/v1/notifications/prefs behind
// httpAuth.require: a user reads and changes their own preferences; an
// administrator may add ?login= to reach anyone's.
func prefsHandler(d *org.Directory) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		login := userOf(r)
		if other := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("login"))); other != "" && other != login {
			me, err := d.User(ctx, login)
			if err != nil {
				httpError(w, http.StatusServiceUnavailable, "目录暂时不可用，请稍后再试")
				return
			}
			if !me.HasRole("admin") {
				httpError(w, http.StatusForbidden, "只能查看和修改自己的提醒设置（only your own preferences）")
				return
			}
			login = other
		}
		var (
			p   org.NotifyPrefs
			err error
		)
		switch r.Method {
		case http.MethodGet:
			p, err = d.NotifyPrefs(ctx, login)
		case http.MethodPut:
			var c prefsChange
			dec := json.NewDecoder(io.LimitReader(r.Body, 4096))
			dec.DisallowUnknownFields()
			if derr := dec.Decode(&c); derr != nil {
				httpError(w, http.StatusBadRequest, "请求格式错误："+derr.Error()+`（send {"sms":true,"mail":false,"quiet":"22:00-07:00"}）`)
				return
			}
			p, err = changePrefs(ctx, d, login, c)
		default:
			w.Header().Set("Allow", "GET, PUT")
			httpError(w, http.StatusMethodNotAllowed, "只支持 GET 和 PUT")
			return
		}
		switch {
		case errors.Is(err, org.ErrNotFound):
			httpError(w, http.StatusNotFound, err.Error())
			return
		case errors.Is(err, org.ErrInvalid):
			httpError(w, http.StatusBadRequest, err.Error())
			return
		case err != nil:
			httpError(w, http.StatusServiceUnavailable, "目录暂时不可用，请稍后再试")
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(viewOf(login, p))
	})
}
