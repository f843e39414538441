package main

import (
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"nanhu/internal/ratelimit"
	"nanhu/internal/workcal"
	"nanhu/mailserver/accounts"
	"nanhu/mailserver/mailauth"
	"nanhu/mailserver/outbound"
	"nanhu/oa/org"
	"nanhu/portal/cases"
	"nanhu/smsgateway"
)

// Config is every setting of `nanhu serve`. The TOML file given with
// --config sets any of them; command-line flags override the file. The
// README lists them all.
type Config struct {
	Data     string   `toml:"data"`     // the data folder
	Domain   string   `toml:"domain"`   // the primary mail domain
	Domains  []string `toml:"domains"`  // further local mail domains
	Hostname string   `toml:"hostname"` // this server's name (greeting, Received, TLS, DKIM); default mail.<domain>
	Demo     bool     `toml:"demo"`     // seed the Xiucheng demo organisation
	LogLevel string   `toml:"log_level"`
	LogJSON  bool     `toml:"log_json"`

	Listen   ListenConfig   `toml:"listen"`
	TLS      TLSConfig      `toml:"tls"`
	SMTP     SMTPConfig     `toml:"smtp"`
	IMAP     IMAPConfig     `toml:"imap"`
	SMS      SMSConfig      `toml:"sms"`
	Queue    QueueConfig    `toml:"queue"`
	Out      OutboundConfig `toml:"outbound"`
	Notify   NotifyConfig   `toml:"notify"`
	Limits   LimitsConfig   `toml:"limits"`
	Calendar CalendarConfig `toml:"calendar"`
	Web      WebConfig      `toml:"web"`
	OA       OAConfig       `toml:"oa"`
	Portal   PortalConfig   `toml:"portal"`
	Cases    CasesConfig    `toml:"cases"`

	// warnings are what the file said that is deprecated; serve logs them.
	warnings []string
	// resolver, when set, answers the mail server's DNS questions about
	// arriving mail instead of the system's resolver (tests).
	resolver mailauth.Resolver
	// oaNow, when set, is the clock of OA's documents (tests: a
	// delegation's window ending).
	oaNow func() time.Time
}

// LimitsConfig bounds what one client address or one account may do, on
// every listener: SMTP, IMAP and the web sign-in share the counters.
type LimitsConfig struct {
	InternalNetworks     []string `toml:"internal_networks"` // exempt from the per-IP limits, besides loopback
	ConnectionsPerMinute int      `toml:"connections_per_minute"`
	ConcurrentPerIP      int      `toml:"concurrent_per_ip"`
	MessagesPerMinute    int      `toml:"messages_per_minute"`
	AuthFailuresPerIP    int      `toml:"auth_failures_per_ip"`   // from one address, any accounts: that address is locked
	AuthFailuresPerUser  int      `toml:"auth_failures_per_user"` // of one account from one address: that pair is locked
	Lockout              Duration `toml:"lockout"`                // how long an address's or a pair's lock lasts
	// Failures of one account from many addresses lock the account itself.
	AccountFailures  int      `toml:"account_failures"`
	AccountAddresses int      `toml:"account_addresses"`
	AccountWindow    Duration `toml:"account_window"`
	AccountLockout   Duration `toml:"account_lockout"`
	// FailureDelay is how long the answer to a pair's second failed login
	// waits; each further failure doubles it (up to 4 s). "-1s": none.
	FailureDelay Duration `toml:"failure_delay"`
}

// CalendarConfig is the working-day calendar: the days off and the weekend
// days worked in exchange (调休), as the State Council publishes them.
type CalendarConfig struct {
	Holidays []string `toml:"holidays"` // "2026-10-01" or "2026-10-01..2026-10-07"
	Workdays []string `toml:"workdays"` // e.g. "2026-10-10"
}

// WebConfig tunes the staff web pages.
type WebConfig struct {
	SessionIdle Duration `toml:"session_idle"` // a session unused this long ends
	SessionMax  Duration `toml:"session_max"`  // and every session ends this long after sign-in
	// TrustedOrigins may post forms although they are other origins
	// (department subdomains, a reverse proxy's name): "https://xxj.example.gov.cn".
	TrustedOrigins []string `toml:"trusted_origins"`
}

// OAConfig is the official documents (公文) and their flows.
type OAConfig struct {
	// AllowClassified keeps the 正文 and attachments of documents marked
	// 秘密 or above: only on a classified network, never on the 政务外网.
	AllowClassified bool  `toml:"allow_classified"`
	MaxUploadBytes  int64 `toml:"max_upload_bytes"` // the largest 正文 or attachment
	// CaseOrgan is the department whose 受理员 take citizens' cases.
	CaseOrgan string `toml:"case_organ"`
}

// PortalConfig is the public portal 中国南湖: its own listeners, which may
// face the internet, and what every page's footer and meta tags carry.
type PortalConfig struct {
	Listen    string `toml:"listen"`     // HTTP; behind a reverse proxy that terminates TLS, or alone
	ListenTLS string `toml:"listen_tls"` // HTTPS with the server's certificate
	// The site's identity (the 2017 指引's footer and meta tags).
	Name       string `toml:"name"`        // 网站名称 (SiteName)
	SiteDomain string `toml:"site_domain"` // SiteDomain
	IDCode     string `toml:"id_code"`     // 政府网站标识码 (SiteIDCode)
	Sponsor    string `toml:"sponsor"`     // 主办单位
	Operator   string `toml:"operator"`    // 承办单位
	Contact    string `toml:"contact"`     // 联系方式
	ICP        string `toml:"icp"`         // ICP备案号
	Police     string `toml:"police"`      // 公安机关备案号
	PoliceCode string `toml:"police_code"` // its number, for the link
	EmblemURL  string `toml:"emblem_url"`  // where the 党政机关网站标识 links
	Hotline    string `toml:"hotline"`     // 政务服务热线
	// MaxUploadBytes bounds an attachment, MaxImageBytes an image.
	MaxUploadBytes int64 `toml:"max_upload_bytes"`
	MaxImageBytes  int64 `toml:"max_image_bytes"`
	// Inspectors are told of the daily inspection's warnings, as to-dos.
	Inspectors []string `toml:"inspectors"`
	// CheckExternalLinks checks outside links too: only where the network
	// reaches the internet.
	CheckExternalLinks bool `toml:"check_external_links"`
	// CaseMail are the addresses whose mail opens citizens' cases: a
	// local part is at the primary mail domain ("xinxiang" is
	// xinxiang@<domain>). The mail server hands such mail to the queue.
	CaseMail []string `toml:"case_mail"`
}

// CasesConfig tunes citizens' cases (portal/cases): the time limits, the
// code list, the forms' limits and the rating.
type CasesConfig struct {
	// Limits are the working days of each type (consult, suggest,
	// complain, help, report, disclosure); CategoryLimits those of a
	// category, which come first.
	Limits         map[string]int `toml:"limits"`
	CategoryLimits map[string]int `toml:"category_limits"`
	// Categories is a CSV file of the code list (code,name,group,
	// description,keywords), relative to the data folder; empty: the
	// built-in list.
	Categories      string   `toml:"categories"`
	TitleMin        int      `toml:"title_min"`
	TitleMax        int      `toml:"title_max"`
	TextMax         int      `toml:"text_max"`
	DuplicateWindow Duration `toml:"duplicate_window"`
	// RateDays is the working days after the answer in which it may be
	// rated or reopened; UnratedAs the level (1 非常满意 … 5) an answer
	// not rated in time counts as, 0 to leave it out.
	RateDays  int `toml:"rate_days"`
	UnratedAs int `toml:"unrated_as"`
	// Extensions is how many 延期 a case may have approved in OA.
	Extensions int `toml:"extensions"`
}

// casesOptions are the cases' options the config sets; the code list is
// read from its file.
func (c *Config) casesOptions() (cases.Options, error) {
	o := cases.DefaultOptions("")
	cc := c.Cases
	if len(cc.Limits) > 0 {
		o.Limits = map[cases.Kind]int{}
		for k, n := range cc.Limits {
			if _, ok := cases.KindNames[cases.Kind(k)]; !ok || n < 1 || n > 60 {
				return o, fmt.Errorf("[cases] limits: %q = %d: the types are consult, suggest, complain, help, report, disclosure, with 1 to 60 working days", k, n)
			}
			o.Limits[cases.Kind(k)] = n
		}
	}
	for k, n := range cc.CategoryLimits {
		if n < 1 || n > 60 {
			return o, fmt.Errorf("[cases] category_limits: %q = %d: 1 to 60 working days", k, n)
		}
	}
	o.CategoryLimits = cc.CategoryLimits
	if cc.Categories != "" {
		path := cc.Categories
		if !filepath.IsAbs(path) {
			path = filepath.Join(c.Data, path)
		}
		f, err := os.Open(path)
		if err != nil {
			return o, fmt.Errorf("[cases] categories: %w", err)
		}
		defer f.Close()
		if o.Categories, err = cases.ReadCategories(f); err != nil {
			return o, fmt.Errorf("[cases] categories %s: %w", path, err)
		}
	}
	if cc.TitleMin > 0 {
		o.TitleMin = cc.TitleMin
	}
	if cc.TitleMax > 0 {
		o.TitleMax = cc.TitleMax
	}
	if cc.TextMax > 0 {
		o.TextMax = cc.TextMax
	}
	if o.TitleMin > o.TitleMax {
		return o, fmt.Errorf("[cases] title_min %d is above title_max %d", o.TitleMin, o.TitleMax)
	}
	if cc.DuplicateWindow.Duration > 0 {
		o.DuplicateWindow = cc.DuplicateWindow.Duration
	}
	if cc.RateDays > 0 {
		o.RateDays = cc.RateDays
	}
	if cc.UnratedAs < 0 || cc.UnratedAs > 5 {
		return o, fmt.Errorf("[cases] unrated_as = %d: 0 (not counted) or a level 1 to 5", cc.UnratedAs)
	}
	o.UnratedAs = cc.UnratedAs
	return o, nil
}

// NotifyConfig tunes the notification routing of to-dos (oa/notify); a
// user's own preferences (nanhu user notify) replace its quiet hours.
type NotifyConfig struct {
	QuietHours    string   `toml:"quiet_hours"`         // Asia/Shanghai, "22:00-07:00"; "none": no quiet hours
	DigestWindow  Duration `toml:"digest_window"`       // to-dos within it after an SMS are gathered into one; 0s: none
	EscalateAfter int      `toml:"escalate_after_days"` // working days from overdue to the 催办 to the leader
	AwaitReplyFor Duration `toml:"await_reply_for"`     // how long an SMS can be answered by reply
	MailFrom      string   `toml:"mail_from"`           // display name on notification mails
}

// ListenConfig holds the listener addresses; an empty one is not opened.
type ListenConfig struct {
	SMTP        string `toml:"smtp"`
	Submission  string `toml:"submission"`
	Submissions string `toml:"submissions"`
	IMAP        string `toml:"imap"`
	IMAPS       string `toml:"imaps"`
	HTTP        string `toml:"http"`
	HTTPS       string `toml:"https"`
}

// TLSConfig names a certificate and key; when both are empty a self-signed
// pair is made in the data folder on first start.
type TLSConfig struct {
	Cert string `toml:"cert"`
	Key  string `toml:"key"`
}

// SMTPConfig tunes the SMTP server. Its limits are under [limits]; the
// same keys under [smtp], where they were before, still work and are
// logged as deprecated.
type SMTPConfig struct {
	MaxMessageBytes int64    `toml:"max_message_bytes"`
	MaxRecipients   int      `toml:"max_recipients"`
	ReadTimeout     Duration `toml:"read_timeout"`
	// TrustedNetworks are the extranet's other mail systems: on the MX
	// they may send as local-domain addresses, and their mail is not
	// checked for SPF, DKIM and DMARC. Loopback is not trusted unless
	// listed.
	TrustedNetworks []string `toml:"trusted_networks"`
	// SendAsShared says who may send submitted mail as a department's
	// shared mailbox: "members" (everyone who may open it) or "none".
	SendAsShared string `toml:"send_as_shared"`
	// SendAsLists says who may send as a distribution list: "members"
	// or "none".
	SendAsLists string `toml:"send_as_lists"`
	// SendAs grants further: a local address → the logins who may send
	// as it.
	SendAs map[string][]string `toml:"send_as"`
}

// IMAPConfig tunes the IMAP server.
type IMAPConfig struct {
	AppendLimit        uint32 `toml:"append_limit"`         // the largest APPEND, bytes
	AllowPlainLoopback bool   `toml:"allow_plain_loopback"` // LOGIN without TLS from 127.0.0.1/::1 (local tools)
}

// QueueConfig places the NSQ queue: an nsqd in-process on NSQDTCP and
// NSQDHTTP (loopback by default), or, when NSQD or NSQLookupd are given,
// an existing cluster and no nsqd of our own.
type QueueConfig struct {
	NSQDTCP    string   `toml:"nsqd_tcp"`
	NSQDHTTP   string   `toml:"nsqd_http"`
	NSQD       []string `toml:"nsqd"`       // external nsqd TCP addresses (host:4150)
	NSQLookupd []string `toml:"nsqlookupd"` // external nsqlookupd HTTP addresses (host:4161)
	// RepublishWindow: what an external nsqd acknowledged this long before
	// it went away is published again to another (it may have died with
	// it unsent); consumers drop the copies that had already arrived.
	RepublishWindow Duration `toml:"republish_window"`
}

// SMSConfig configures the SMS gateway and its GSM modems.
type SMSConfig struct {
	// Modems are the serial GSM modems; with none, a simulated modem runs
	// in-process (nothing reaches a real phone) and its control API is
	// served under /sim/.
	Modems []ModemConfig `toml:"modem"`
	// Gateway says whether this server sends SMS itself: "auto" (with
	// modems, or a simulated one when it runs its own nsqd; not when it
	// joins an NSQ cluster without modems, where `nanhu smsgw` hosts send
	// them), "on" (always; a simulated modem when none is configured) or
	// "off".
	Gateway       string   `toml:"gateway"`
	StatusReports bool     `toml:"status_reports"` // ask the network for delivery reports
	Validity      Duration `toml:"validity"`       // how long an SMS may wait to be sent
}

// ModemConfig is one [[sms.modem]].
type ModemConfig struct {
	Name          string `toml:"name"` // default: the device's base name
	Path          string `toml:"path"` // a stable name, e.g. /dev/serial/by-id/usb-HUAWEI_...-if00-port0
	Baud          int    `toml:"baud"`
	PIN           string `toml:"pin"`
	SMSC          string `toml:"smsc"`            // service centre to set with AT+CSCA; default the SIM's
	RatePerMinute int    `toml:"rate_per_minute"` // at most this many SMS parts a minute (0: no cap)
	Mode          string `toml:"mode"`            // "pdu", "text" (TS 27.005 text mode), or "" to detect
}

// OutboundConfig configures delivery to other domains.
type OutboundConfig struct {
	Smarthost         string     `toml:"smarthost"` // host:port; empty means MX lookup
	SmarthostUser     string     `toml:"smarthost_user"`
	SmarthostPassword string     `toml:"smarthost_password"`
	SmarthostTLS      string     `toml:"smarthost_tls"`  // starttls, tls or none
	Port              int        `toml:"port"`           // port of remote MX hosts
	RetrySchedule     []Duration `toml:"retry_schedule"` // delays before each attempt; the last repeats
	DelayNotice       Duration   `toml:"delay_notice"`
	MaxAge            Duration   `toml:"max_age"`
	Workers           int        `toml:"workers"`
	DKIMSelector      string     `toml:"dkim_selector"`
}

// Duration is a time.Duration written as "15m" in TOML.
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration like 90s, 15m or 120h", b)
	}
	d.Duration = v
	return nil
}

// MarshalText writes a Go duration.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// defaultConfig is the embedded default: everything on one host.
func defaultConfig() Config {
	return Config{
		Data:     "./nanhu-data",
		Domain:   "nanhu.local",
		LogLevel: "info",
		Listen: ListenConfig{
			SMTP:        ":2525",
			Submission:  ":2587",
			Submissions: ":2465",
			IMAP:        ":1143",
			IMAPS:       ":1993",
			HTTP:        ":8080",
			HTTPS:       ":8443",
		},
		SMTP: SMTPConfig{
			MaxMessageBytes: 50 << 20,
			MaxRecipients:   1000,
			ReadTimeout:     Duration{5 * time.Minute},
			SendAsShared:    "members",
			SendAsLists:     "none",
		},
		Limits: LimitsConfig{
			ConnectionsPerMinute: 120,
			ConcurrentPerIP:      30,
			MessagesPerMinute:    300,
			AuthFailuresPerIP:    10,
			AuthFailuresPerUser:  5,
			Lockout:              Duration{15 * time.Minute},
			AccountFailures:      50,
			AccountAddresses:     10,
			AccountWindow:        Duration{time.Hour},
			AccountLockout:       Duration{30 * time.Minute},
			FailureDelay:         Duration{250 * time.Millisecond},
		},
		IMAP:  IMAPConfig{AppendLimit: 50 << 20},
		SMS:   SMSConfig{Gateway: "auto", StatusReports: true, Validity: Duration{24 * time.Hour}},
		Queue: QueueConfig{NSQDTCP: "127.0.0.1:4150", NSQDHTTP: "127.0.0.1:4151", RepublishWindow: Duration{10 * time.Second}},
		Notify: NotifyConfig{QuietHours: "22:00-07:00", DigestWindow: Duration{5 * time.Minute}, EscalateAfter: 1,
			AwaitReplyFor: Duration{7 * 24 * time.Hour}, MailFrom: "南湖办公系统"},
		Web: WebConfig{SessionIdle: Duration{30 * time.Minute}, SessionMax: Duration{12 * time.Hour}},
		OA:  OAConfig{MaxUploadBytes: 20 << 20, CaseOrgan: "xfj"},
		Portal: PortalConfig{Listen: ":8081", ListenTLS: ":8444", Name: "中国南湖", SiteDomain: "www.nanhu.gov.cn", IDCode: "3304110001",
			Sponsor: "嘉兴市秀洲区人民政府办公室", Operator: "秀洲区人民政府办公室信息科",
			Contact: "电话：0573-82720000　地址：嘉兴市秀洲区洪兴西路 1 号　邮编：314031",
			ICP:     "浙ICP备05000000号", Police: "浙公网安备 33041102000001号", PoliceCode: "33041102000001", Hotline: "12345",
			MaxUploadBytes: 20 << 20, MaxImageBytes: 5 << 20, Inspectors: []string{"admin"}, CaseMail: []string{"xinxiang"}},
		Cases: CasesConfig{Limits: map[string]int{"consult": 3, "help": 3, "suggest": 13, "complain": 13, "report": 13, "disclosure": 20},
			CategoryLimits: map[string]int{}, TitleMin: 10, TitleMax: 25, TextMax: 600, DuplicateWindow: Duration{30 * 24 * time.Hour},
			RateDays: 20, UnratedAs: 2, Extensions: 1},
		Out: OutboundConfig{
			SmarthostTLS:  "starttls",
			Port:          25,
			RetrySchedule: durations(outbound.DefaultSchedule),
			DelayNotice:   Duration{4 * time.Hour},
			MaxAge:        Duration{5 * 24 * time.Hour},
			Workers:       8,
			DKIMSelector:  "nanhu",
		},
	}
}

// loadConfig reads the flags of `nanhu serve`: defaults, then the file of
// --config, then any flag given.
func loadConfig(args []string) (Config, error) {
	cfg := defaultConfig()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	configFile := fs.String("config", "", "TOML configuration `FILE`")
	data := fs.String("data", cfg.Data, "data folder")
	domain := fs.String("domain", cfg.Domain, "primary mail domain")
	hostname := fs.String("hostname", "", "this server's host name (default mail.DOMAIN)")
	demo := fs.Bool("demo", false, "seed the Xiucheng demo organisation and its people")
	smtpAddr := fs.String("smtp", cfg.Listen.SMTP, "SMTP (MX) listen address")
	submission := fs.String("submission", cfg.Listen.Submission, "submission (STARTTLS) listen address")
	submissions := fs.String("submissions", cfg.Listen.Submissions, "submission over implicit TLS listen address")
	imapAddr := fs.String("imap", cfg.Listen.IMAP, "IMAP (STARTTLS) listen address")
	imapsAddr := fs.String("imaps", cfg.Listen.IMAPS, "IMAP over implicit TLS listen address")
	httpAddr := fs.String("http", cfg.Listen.HTTP, "HTTP listen address (the staff pages, the APIs, /healthz, /metrics; sign-in only from loopback)")
	httpsAddr := fs.String("https", cfg.Listen.HTTPS, "HTTPS listen address (the staff pages and the APIs over TLS)")
	portalAddr := fs.String("portal", cfg.Portal.Listen, "the public portal's HTTP listen `ADDR` (public pages only: no staff route answers there)")
	portalTLS := fs.String("portal-tls", cfg.Portal.ListenTLS, "the public portal's HTTPS listen `ADDR`")
	cert := fs.String("tls-cert", "", "TLS certificate `FILE` (PEM)")
	key := fs.String("tls-key", "", "TLS key `FILE` (PEM)")
	nsqdTCP := fs.String("nsqd-tcp", cfg.Queue.NSQDTCP, "the embedded nsqd's TCP `address`")
	nsqdHTTP := fs.String("nsqd-http", cfg.Queue.NSQDHTTP, "the embedded nsqd's HTTP `address` (/pub, /stats)")
	nsqd := fs.String("nsqd", "", "join these nsqd nodes (`host:4150,...`) instead of running one")
	lookupd := fs.String("nsqlookupd", "", "find nsqd nodes through these nsqlookupd (`host:4161,...`)")
	var modems repeated
	fs.Var(&modems, "modem", "serial `device` of a GSM modem (repeatable); none: a simulated modem")
	smarthost := fs.String("smarthost", "", "send remote mail through `HOST:PORT` instead of MX lookup")
	logLevel := fs.String("log-level", cfg.LogLevel, "debug, info, warn or error")
	logJSON := fs.Bool("log-json", false, "log as JSON lines")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *configFile != "" {
		b, err := os.ReadFile(*configFile)
		if err != nil {
			return cfg, fmt.Errorf("read config: %w", err)
		}
		md, err := toml.Decode(string(b), &cfg)
		if err != nil {
			return cfg, fmt.Errorf("config %s: %w", *configFile, err)
		}
		legacy, err := cfg.readDeprecated(string(b), md)
		if err != nil {
			return cfg, fmt.Errorf("config %s: %w", *configFile, err)
		}
		for _, k := range md.Undecoded() {
			if !legacy[k.String()] {
				return cfg, fmt.Errorf("config %s: unknown setting %q", *configFile, k.String())
			}
		}
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "data":
			cfg.Data = *data
		case "domain":
			cfg.Domain = *domain
		case "hostname":
			cfg.Hostname = *hostname
		case "demo":
			cfg.Demo = *demo
		case "smtp":
			cfg.Listen.SMTP = *smtpAddr
		case "submission":
			cfg.Listen.Submission = *submission
		case "submissions":
			cfg.Listen.Submissions = *submissions
		case "imap":
			cfg.Listen.IMAP = *imapAddr
		case "imaps":
			cfg.Listen.IMAPS = *imapsAddr
		case "http":
			cfg.Listen.HTTP = *httpAddr
		case "https":
			cfg.Listen.HTTPS = *httpsAddr
		case "portal":
			cfg.Portal.Listen = *portalAddr
		case "portal-tls":
			cfg.Portal.ListenTLS = *portalTLS
		case "tls-cert":
			cfg.TLS.Cert = *cert
		case "tls-key":
			cfg.TLS.Key = *key
		case "smarthost":
			cfg.Out.Smarthost = *smarthost
		case "nsqd-tcp":
			cfg.Queue.NSQDTCP = *nsqdTCP
		case "nsqd-http":
			cfg.Queue.NSQDHTTP = *nsqdHTTP
		case "nsqd":
			cfg.Queue.NSQD = splitList(*nsqd)
		case "nsqlookupd":
			cfg.Queue.NSQLookupd = splitList(*lookupd)
		case "modem":
			cfg.SMS.Modems = nil
			for _, m := range modems {
				cfg.SMS.Modems = append(cfg.SMS.Modems, ModemConfig{Path: m})
			}
		case "log-level":
			cfg.LogLevel = *logLevel
		case "log-json":
			cfg.LogJSON = *logJSON
		}
	})
	return cfg, cfg.check()
}

func (c *Config) check() error {
	switch c.SMS.Gateway {
	case "auto", "on", "off":
	default:
		return fmt.Errorf("[sms] gateway = %q: use auto, on or off", c.SMS.Gateway)
	}
	if _, err := c.Notify.quietHours(); err != nil {
		return err
	}
	if _, err := c.Calendar.calendar(); err != nil {
		return err
	}
	if _, err := c.casesOptions(); err != nil {
		return err
	}
	if c.Cases.Extensions < 0 || c.Cases.Extensions > 5 {
		return fmt.Errorf("[cases] extensions = %d: 0 to 5", c.Cases.Extensions)
	}
	if c.Web.SessionIdle.Duration <= 0 || c.Web.SessionMax.Duration < c.Web.SessionIdle.Duration {
		return errors.New("[web] session_idle must be positive and session_max at least as long")
	}
	for _, o := range c.Web.TrustedOrigins {
		if u, err := url.Parse(o); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return fmt.Errorf("[web] trusted_origins: %q is not an origin like https://xxj.example.gov.cn", o)
		}
	}
	c.Domain = strings.ToLower(strings.TrimSpace(c.Domain))
	if c.Domain == "" || strings.ContainsAny(c.Domain, " @/") {
		return fmt.Errorf("the domain %q is not a mail domain", c.Domain)
	}
	if c.Hostname == "" {
		c.Hostname = "mail." + c.Domain
	}
	if (c.TLS.Cert == "") != (c.TLS.Key == "") {
		return errors.New("give both a TLS certificate and its key, or neither")
	}
	if _, err := c.internalNetworks(); err != nil {
		return err
	}
	if _, err := c.trustedNetworks(); err != nil {
		return err
	}
	if _, err := c.sendAs(); err != nil {
		return err
	}
	for i, m := range c.SMS.Modems {
		if m.Path == "" {
			return fmt.Errorf("sms modem %d has no path", i+1)
		}
		switch m.Mode {
		case "", "pdu", "text":
		default:
			return fmt.Errorf(`sms modem %d: mode must be "pdu", "text" or empty (detect), not %q`, i+1, m.Mode)
		}
	}
	switch c.Out.SmarthostTLS {
	case "starttls", "tls", "none":
	default:
		return fmt.Errorf("smarthost_tls must be starttls, tls or none, not %q", c.Out.SmarthostTLS)
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// localDomains is the primary domain first, then the others.
func (c *Config) localDomains() []string {
	out := []string{c.Domain}
	for _, d := range c.Domains {
		d = strings.ToLower(strings.TrimSpace(d))
		if d != "" && d != c.Domain {
			out = append(out, d)
		}
	}
	return out
}

func (c *Config) internalNetworks() ([]netip.Prefix, error) {
	out := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	for _, n := range c.Limits.InternalNetworks {
		p, err := netip.ParsePrefix(n)
		if err != nil {
			if a, aerr := netip.ParseAddr(n); aerr == nil {
				p = netip.PrefixFrom(a, a.BitLen())
			} else {
				return nil, fmt.Errorf("internal network %q is not an address or a prefix like 10.0.0.0/8", n)
			}
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// parsePrefixes reads addresses and prefixes like 10.0.0.0/8.
func parsePrefixes(what string, list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, n := range list {
		p, err := netip.ParsePrefix(n)
		if err != nil {
			a, aerr := netip.ParseAddr(n)
			if aerr != nil {
				return nil, fmt.Errorf("%s %q is not an address or a prefix like 10.0.0.0/8", what, n)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// trustedNetworks are [smtp] trusted_networks.
func (c *Config) trustedNetworks() ([]netip.Prefix, error) {
	return parsePrefixes("[smtp] trusted_networks:", c.SMTP.TrustedNetworks)
}

// sendAs reads who may send as what ([smtp] send_as_shared, send_as_lists,
// send_as).
func (c *Config) sendAs() (accounts.SendAs, error) {
	var p accounts.SendAs
	for _, v := range []struct {
		key, val string
		set      *bool
	}{{"send_as_shared", c.SMTP.SendAsShared, &p.SharedMembers}, {"send_as_lists", c.SMTP.SendAsLists, &p.ListMembers}} {
		switch v.val {
		case "members":
			*v.set = true
		case "none":
		default:
			return p, fmt.Errorf("[smtp] %s = %q: use \"members\" or \"none\"", v.key, v.val)
		}
	}
	local := map[string]bool{}
	for _, d := range c.localDomains() {
		local[d] = true
	}
	for addr, logins := range c.SMTP.SendAs {
		a, err := org.NormalizeAddress(addr)
		if err != nil {
			return p, fmt.Errorf("[smtp.send_as] %q is not a mail address", addr)
		}
		if _, dom, _ := strings.Cut(a, "@"); !local[dom] {
			return p, fmt.Errorf("[smtp.send_as] %s is not in a local domain: only local addresses can be granted", a)
		}
		if len(logins) == 0 {
			return p, fmt.Errorf("[smtp.send_as] %s lists nobody", a)
		}
		if p.Grants == nil {
			p.Grants = map[string][]string{}
		}
		for _, l := range logins {
			p.Grants[a] = append(p.Grants[a], strings.ToLower(strings.TrimSpace(l)))
		}
	}
	return p, nil
}

// quietHours reads the notification settings' quiet hours, and checks the
// rest of them.
func (n NotifyConfig) quietHours() (org.QuietHours, error) {
	q, err := org.ParseQuietHours(n.QuietHours)
	if err != nil || q == nil {
		return org.QuietHours{}, fmt.Errorf("[notify] quiet_hours = %q: write a span like \"22:00-07:00\" or \"none\"", n.QuietHours)
	}
	if n.DigestWindow.Duration < 0 || n.AwaitReplyFor.Duration <= 0 {
		return org.QuietHours{}, errors.New("[notify] digest_window must not be negative and await_reply_for must be positive")
	}
	if n.EscalateAfter < 1 {
		return org.QuietHours{}, fmt.Errorf("[notify] escalate_after_days = %d: it must be at least 1", n.EscalateAfter)
	}
	return *q, nil
}

// calendar reads the working-day calendar.
func (c CalendarConfig) calendar() (*workcal.Calendar, error) {
	cal, err := workcal.NewCalendar(c.Holidays, c.Workdays)
	if err != nil {
		return nil, fmt.Errorf("[calendar] %w", err)
	}
	return cal, nil
}

// limits are the rate limits and lockouts of every listener.
func (c *Config) limits() (ratelimit.Options, error) {
	exempt, err := c.internalNetworks()
	if err != nil {
		return ratelimit.Options{}, err
	}
	l := c.Limits
	return ratelimit.Options{
		ConnectionsPerMinute: l.ConnectionsPerMinute,
		ConcurrentPerIP:      l.ConcurrentPerIP,
		MessagesPerMinute:    l.MessagesPerMinute,
		AuthFailuresPerIP:    l.AuthFailuresPerIP,
		AuthFailuresPerUser:  l.AuthFailuresPerUser,
		Lockout:              l.Lockout.Duration,
		AccountFailures:      l.AccountFailures,
		AccountAddresses:     l.AccountAddresses,
		AccountWindow:        l.AccountWindow.Duration,
		AccountLockout:       l.AccountLockout.Duration,
		FailureDelay:         l.FailureDelay.Duration,
		Exempt:               exempt,
	}, nil
}

// deprecatedKeys are settings that moved: old section → new section, for
// the keys of the new section's struct.
var deprecatedKeys = []struct {
	from, to string
	keys     any // a pointer to the struct of the new section, for its toml keys
}{
	{"smtp", "limits", &LimitsConfig{}},
	{"notify", "calendar", &CalendarConfig{}},
}

// readDeprecated applies settings written under the section they had
// before (the limits under [smtp], the calendar under [notify]) where the
// new section does not set them, with a warning each, and returns the keys
// it read so that they are not reported as unknown.
func (c *Config) readDeprecated(file string, md toml.MetaData) (map[string]bool, error) {
	read := map[string]bool{}
	for _, d := range deprecatedKeys {
		old := reflect.ValueOf(d.keys).Elem()
		var into reflect.Value
		switch d.to {
		case "limits":
			into = reflect.ValueOf(&c.Limits).Elem()
		case "calendar":
			into = reflect.ValueOf(&c.Calendar).Elem()
		}
		var found []int
		for i := range old.NumField() {
			key := strings.Split(old.Type().Field(i).Tag.Get("toml"), ",")[0]
			if md.IsDefined(d.from, key) {
				found = append(found, i)
			}
		}
		if len(found) == 0 {
			continue
		}
		// Decode the old section alone into the new section's type.
		holder := reflect.New(reflect.StructOf([]reflect.StructField{{
			Name: "Old", Type: old.Type(), Tag: reflect.StructTag(`toml:"` + d.from + `"`),
		}}))
		if _, err := toml.Decode(file, holder.Interface()); err != nil {
			return nil, err
		}
		vals := holder.Elem().Field(0)
		for _, i := range found {
			key := strings.Split(old.Type().Field(i).Tag.Get("toml"), ",")[0]
			read[d.from+"."+key] = true
			if md.IsDefined(d.to, key) {
				c.warnings = append(c.warnings, fmt.Sprintf("[%s] %s is ignored: [%s] %s is set (and %s is where it belongs)", d.from, key, d.to, key, d.to))
				continue
			}
			into.Field(i).Set(vals.Field(i))
			c.warnings = append(c.warnings, fmt.Sprintf("[%s] %s is deprecated: it works, but move it to [%s]", d.from, key, d.to))
		}
	}
	return read, nil
}

func durations(ds []time.Duration) []Duration {
	out := make([]Duration, len(ds))
	for i, d := range ds {
		out[i] = Duration{d}
	}
	return out
}

// runsSMSGateway says whether `nanhu serve` sends SMS itself ([sms] gateway).
func (c Config) runsSMSGateway() bool {
	switch c.SMS.Gateway {
	case "on":
		return true
	case "off":
		return false
	}
	joined := len(c.Queue.NSQD) > 0 || len(c.Queue.NSQLookupd) > 0
	return len(c.SMS.Modems) > 0 || !joined
}

// modems are the configured GSM modems as the gateway takes them.
func (c Config) modems() []smsgateway.ModemConfig {
	var out []smsgateway.ModemConfig
	for _, m := range c.SMS.Modems {
		out = append(out, smsgateway.ModemConfig{Name: m.Name, Path: m.Path, Baud: m.Baud, PIN: m.PIN, SMSC: m.SMSC, RatePerMinute: m.RatePerMinute, Mode: m.Mode})
	}
	return out
}

// caseAddresses are the case mail addresses in full.
func (c *Config) caseAddresses() []string {
	var out []string
	for _, a := range c.Portal.CaseMail {
		a = strings.ToLower(strings.TrimSpace(a))
		if a == "" {
			continue
		}
		if !strings.Contains(a, "@") {
			a += "@" + c.localDomains()[0]
		}
		out = append(out, a)
	}
	return out
}
