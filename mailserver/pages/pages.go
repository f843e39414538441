// Package pages is the mail server's pages: a person's mail client
// settings (servers, ports, security, user name), and the files with which
// clients set themselves up (Thunderbird's autoconfig, Outlook's
// Autodiscover, Apple's configuration profile), which package clientconfig
// writes.
package pages

import (
	"embed"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"nanhu/internal/web"
	"nanhu/mailserver/clientconfig"
)

//go:embed templates
var templates embed.FS

// Options are what the pages need.
type Options struct {
	Kit      *web.Kit
	Settings clientconfig.Settings
	// Domains are the local mail domains, the primary first.
	Domains []string
	// SelfSigned: the certificate is the self-signed one made on first
	// start; clients will ask to trust it.
	SelfSigned bool
	Logger     *slog.Logger
}

// Pages serves the mail pages.
type Pages struct {
	opts     Options
	kit      *web.Kit
	settings *web.Page
	log      *slog.Logger
}

// New parses the templates.
func New(o Options) *Pages {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Pages{opts: o, kit: o.Kit, log: o.Logger, settings: o.Kit.MustPage(templates, "templates/settings.html")}
}

// Routes registers the settings page and the clients' files on mux. The
// files need no sign-in: a client asks before it has a password, and they
// hold nothing but the public servers and ports.
func (p *Pages) Routes(mux *http.ServeMux) {
	rt := p.kit.Router(mux)
	rt.Page("GET /mail/settings", web.SignedIn, p.settingsPage)
	rt.API("GET /.well-known/autoconfig/mail/config-v1.1.xml", web.Public, p.thunderbird)
	rt.API("GET /mail/config-v1.1.xml", web.Public, p.thunderbird)
	for _, path := range []string{"/autodiscover/autodiscover.xml", "/Autodiscover/Autodiscover.xml"} {
		rt.API("POST "+path, web.Public, p.autodiscover)
	}
	rt.Page("GET /mail/apple.mobileconfig", web.SignedIn, p.mobileconfig)
	p.kit.AddNav(web.NavItem{Label: "邮件设置", Path: "/mail/settings", Rule: web.SignedIn, Order: 20})
}

type settingsView struct {
	S          clientconfig.Settings
	Incoming   []clientconfig.Server
	Outgoing   []clientconfig.Server
	Login      string
	Address    string
	SelfSigned bool
	ReachedAs  string // the host the browser used, when not the server's name
}

func (p *Pages) settingsPage(w http.ResponseWriter, r *http.Request) error {
	s := p.opts.Settings
	login := web.LoginOf(r)
	v := settingsView{S: s, Incoming: s.Incoming(), Outgoing: s.Outgoing(), Login: login,
		Address: login + "@" + p.opts.Domains[0], SelfSigned: p.opts.SelfSigned}
	host := r.Host
	if i := strings.LastIndex(host, ":"); i > 0 && !strings.HasSuffix(host, "]") {
		host = host[:i]
	}
	if host != "" && host != s.Hostname {
		v.ReachedAs = host
	}
	return p.kit.Render(w, r, p.settings, web.View{Title: "邮件客户端设置", Data: v})
}

func (p *Pages) thunderbird(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, err := w.Write(p.opts.Settings.Thunderbird())
	return err
}

func (p *Pages) autodiscover(w http.ResponseWriter, r *http.Request) error {
	addr, err := clientconfig.ParseAutodiscover(http.MaxBytesReader(w, r.Body, 64<<10))
	if errors.Is(err, clientconfig.ErrBadRequest) {
		p.log.Info("autodiscover refused", "err", err, "remote", r.RemoteAddr)
		return &web.Error{Status: http.StatusBadRequest, Message: "无法识别的 Autodiscover 请求：" + err.Error()}
	}
	if err != nil {
		return err
	}
	if !p.local(addr) {
		return web.NotFound("本服务器不为 " + addr + " 提供邮件服务。")
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	_, err = w.Write(p.opts.Settings.Autodiscover(addr))
	return err
}

func (p *Pages) local(addr string) bool {
	_, dom, ok := strings.Cut(strings.ToLower(addr), "@")
	if !ok {
		return false
	}
	for _, d := range p.opts.Domains {
		if dom == d {
			return true
		}
	}
	return false
}

func (p *Pages) mobileconfig(w http.ResponseWriter, r *http.Request) error {
	addr := web.LoginOf(r) + "@" + p.opts.Domains[0]
	b, err := p.opts.Settings.MobileConfig(addr)
	if err != nil {
		return &web.Error{Status: http.StatusServiceUnavailable, Message: "本服务器没有开启 IMAP 或邮件提交端口，无法生成配置文件。", Cause: err}
	}
	w.Header().Set("Content-Type", "application/x-apple-aspen-config")
	w.Header().Set("Content-Disposition", `attachment; filename="nanhu-mail.mobileconfig"`)
	_, err = w.Write(b)
	return err
}
