package notify

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"nanhu/internal/workcal"
	"nanhu/oa/org"
	"nanhu/queue/contract"
)

// Directory is what routing needs from the organisation: people, their
// mobiles and preferences, and whom a 催办 goes to. *org.Directory is one.
type Directory interface {
	User(ctx context.Context, login string) (org.User, error)
	UsersByMobile(ctx context.Context, mobile string) ([]org.User, error)
	LeaderOf(ctx context.Context, login string) (string, error)
	NotifyPrefs(ctx context.Context, login string) (org.NotifyPrefs, error)
}

// Publisher puts routing's decisions on the queue: notify.sms, notify.mail
// and oa.action. A nil error means the queue has the message.
type Publisher interface {
	PublishSMS(ctx context.Context, m contract.NotifySMS) error
	PublishMail(ctx context.Context, m contract.NotifyMail) error
	PublishAction(ctx context.Context, a contract.OAAction) error
}

// BatchPublisher is a Publisher that can also publish several messages
// of one topic at once, in one round trip to the queue; routing publishes
// its outbox through PublishBatch when its Publisher has it. A nil error
// means the queue has every message of evs; after an error they all stay
// in the outbox and are published again later.
type BatchPublisher interface {
	Publisher
	PublishBatch(ctx context.Context, evs []contract.Event) error
}

// Options are the settings of a Notifier. Start from DefaultOptions.
type Options struct {
	// Org is the directory (required).
	Org Directory
	// Publisher carries outgoing messages (required).
	Publisher Publisher
	// User names the logged-in user of a request to the notification
	// stream, "" for nobody (the stream then answers 401). Required for
	// Handler.
	User func(*http.Request) string
	// DBPath is routing's own SQLite file, normally DATA/notify.db.
	DBPath string

	// Now is the clock; tests give a fake one.
	Now func() time.Time
	// Location is the local time of quiet hours, due dates and working
	// days: Asia/Shanghai.
	Location *time.Location
	// QuietStart and QuietEnd are the quiet hours, as times since local
	// midnight (22:00 and 07:00). Only 特急 is sent by SMS inside them;
	// the rest waits for QuietEnd. Equal values mean no quiet hours. A
	// user's own quiet hours (org.NotifyPrefs.Quiet) replace them.
	QuietStart, QuietEnd time.Duration
	// DigestWindow: after a to-do SMS to a person, further to-dos for
	// that person within this time are gathered into one SMS at its end
	// (5 minutes). 0 sends every to-do at once.
	DigestWindow time.Duration
	// EscalateAfter is the number of working days from an overdue to-do
	// to the 催办 to the assignee's leader (1).
	EscalateAfter int
	// IsWorkingDay tells working days from days off; the default counts
	// Monday to Friday. A holiday calendar (调休 included) plugs in here.
	IsWorkingDay func(day time.Time) bool
	// AwaitReplyFor is how long a notification SMS can be answered by
	// reply (7 days), unless the to-do is done or reassigned first.
	AwaitReplyFor time.Duration
	// Heartbeat is the interval of comment lines on idle streams (20 s),
	// which keep proxies from closing them.
	Heartbeat time.Duration
	// Tick is how often Run looks for digests, quiet-hour releases and
	// escalations that fell due, and retries unpublished messages (1 s).
	Tick time.Duration
	// KeepLog is how long notify.db keeps its log of decisions and
	// replies (180 days); processed event ids are kept 30 days.
	KeepLog time.Duration
	// DirectoryTTL is how long a user and their preferences, once read
	// from the directory, serve routing before they are read again (5 s).
	// Negative reads the directory for every event.
	DirectoryTTL time.Duration
	// MailFrom is the display name on notification mails.
	MailFrom string
	// Logger receives routing's log lines: decisions at Debug, 催办 to
	// leaders, actions by reply and help at Info. Nil discards them.
	Logger *slog.Logger
	// Registerer takes the metrics (nanhu_notify_*); nil keeps them
	// unregistered.
	Registerer prometheus.Registerer
}

// DefaultOptions returns the defaults for a Notifier whose state lives in
// data folder dataDir. Org, Publisher and User are left for the caller.
func DefaultOptions(dataDir string) Options {
	return Options{
		DBPath:        filepath.Join(dataDir, "notify.db"),
		Now:           time.Now,
		Location:      workcal.Shanghai(),
		QuietStart:    22 * time.Hour,
		QuietEnd:      7 * time.Hour,
		DigestWindow:  5 * time.Minute,
		EscalateAfter: 1,
		IsWorkingDay:  workcal.Weekday,
		AwaitReplyFor: 7 * 24 * time.Hour,
		Heartbeat:     20 * time.Second,
		Tick:          time.Second,
		KeepLog:       180 * 24 * time.Hour,
		DirectoryTTL:  5 * time.Second,
		MailFrom:      "南湖办公系统",
	}
}
