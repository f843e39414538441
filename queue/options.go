package queue

import (
	"log/slog"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Options are a Queue's settings. Start from DefaultOptions; a zero field
// takes its default.
type Options struct {
	// DataDir is the data folder; the embedded nsqd keeps its disk
	// queues in DataDir/nsqd.
	DataDir string
	// TCPAddress and HTTPAddress are the embedded nsqd's listeners
	// (127.0.0.1:4150 and 127.0.0.1:4151). Port 0 lets the kernel
	// choose; Queue.TCPAddr and Queue.HTTPAddr tell what it chose.
	// HTTPAddress "-" turns the HTTP listener off.
	TCPAddress  string
	HTTPAddress string

	// NSQDAddrs are the TCP addresses (host:4150) of external nsqd
	// nodes. With NSQDAddrs or LookupdAddrs set, no nsqd runs
	// in-process: events are published to one healthy node of
	// NSQDAddrs (the next one when it fails), and consumed from every
	// node that has the topic.
	NSQDAddrs []string
	// LookupdAddrs are the HTTP addresses (host:4161) of nsqlookupd.
	// Consumers find the nodes through them; with no NSQDAddrs, so do
	// producers (nsqlookupd's /nodes).
	LookupdAddrs []string

	// Logger gets the queue's logs and those of nsqd and go-nsq; nil
	// discards.
	Logger *slog.Logger
	// Registerer gets the queue's metrics; nil registers none.
	Registerer prometheus.Registerer

	// MaxAttempts is how many times a consumer tries a message before
	// it goes to the dead-letter topic (5).
	MaxAttempts uint16
	// DeadLetterSuffix makes dead-letter topics ("<topic>.dead").
	DeadLetterSuffix string
	// RequeueDelay is the delay before the second attempt; each later
	// attempt waits twice as long as the one before, up to
	// MaxRequeueDelay (1 s, 2 min).
	RequeueDelay    time.Duration
	MaxRequeueDelay time.Duration

	// DedupWindow is how long a consumer remembers an event id it has
	// handled, to drop a second delivery (24 h); DedupSize bounds the
	// ids kept in memory per consumer (100,000, least recently seen
	// dropped first). A DedupStore remembers beyond either bound.
	DedupWindow time.Duration
	DedupSize   int
	// DedupStore, when set, is every consumer's persistent memory of
	// handled ids (ConsumerOptions may set one per consumer).
	DedupStore DedupStore

	// Concurrency is the number of handler goroutines per consumer (4);
	// MaxInFlight the messages a consumer takes at once over all its
	// nodes (2 × Concurrency, and at least one per node).
	Concurrency int
	MaxInFlight int
	// OutputBufferTimeout is how long nsqd may hold messages for a
	// consumer to send them together, the latency it adds: 5 ms with the
	// embedded nsqd (whose least is lowered to match), 25 ms with an
	// external one (a stock nsqd refuses less).
	OutputBufferTimeout time.Duration
	// MsgTimeout is how long nsqd waits for a FIN before it gives the
	// message to another consumer (60 s); a handler that runs longer is
	// kept alive by TOUCH.
	MsgTimeout time.Duration

	// PublishAttempts is how many rounds over the nodes Publish makes
	// before it returns an error (10), waiting PublishBackoff (100 ms)
	// after the first round and doubling up to 5 s; PublishTimeout
	// bounds one attempt on one node (5 s).
	PublishAttempts int
	PublishBackoff  time.Duration
	PublishTimeout  time.Duration

	// RepublishWindow: events acknowledged by an external nsqd in this
	// window before the connection to it broke are published again to
	// another node (10 s; at most RepublishMax = 10,000 per node), since
	// a killed nsqd loses what it had not synced or not yet delivered.
	// Consumers drop the copies that had arrived. Negative turns it off.
	RepublishWindow time.Duration
	RepublishMax    int

	// LookupdPollInterval is how often consumers ask nsqlookupd for
	// nodes, and how soon they reconnect to a node that went away (15 s).
	LookupdPollInterval time.Duration
	// HealthInterval is how often a node marked down is retried (1 s).
	HealthInterval time.Duration
	// DrainTimeout bounds Close's wait for in-flight handlers (30 s);
	// after it their context is cancelled.
	DrainTimeout time.Duration

	// MemQueueSize, SyncEvery and SyncTimeout tune the embedded nsqd
	// (nsqd's --mem-queue-size, --sync-every, --sync-timeout): messages
	// beyond MemQueueSize per topic and channel go to disk, which is
	// fsynced every SyncEvery messages or SyncTimeout. Zero means
	// nsqd's defaults (10,000, 2,500, 2 s); MemQueueSize -1 means 0,
	// every message on disk.
	MemQueueSize int64
	SyncEvery    int64
	SyncTimeout  time.Duration
}

// DefaultOptions returns the settings of `nanhu serve`: an embedded nsqd
// on 127.0.0.1:4150 and :4151 with its data in dataDir/nsqd.
func DefaultOptions(dataDir string) Options {
	return Options{
		DataDir:             dataDir,
		TCPAddress:          "127.0.0.1:4150",
		HTTPAddress:         "127.0.0.1:4151",
		MaxAttempts:         5,
		DeadLetterSuffix:    ".dead",
		RequeueDelay:        time.Second,
		MaxRequeueDelay:     2 * time.Minute,
		DedupWindow:         24 * time.Hour,
		DedupSize:           100_000,
		Concurrency:         4,
		MsgTimeout:          60 * time.Second,
		PublishAttempts:     10,
		PublishBackoff:      100 * time.Millisecond,
		PublishTimeout:      5 * time.Second,
		RepublishWindow:     10 * time.Second,
		RepublishMax:        10_000,
		LookupdPollInterval: 15 * time.Second,
		HealthInterval:      time.Second,
		DrainTimeout:        30 * time.Second,
	}
}

// embedded reports whether the queue runs its own nsqd.
func (o *Options) embedded() bool { return len(o.NSQDAddrs) == 0 && len(o.LookupdAddrs) == 0 }

func (o *Options) fill() {
	d := DefaultOptions(o.DataDir)
	if o.TCPAddress == "" {
		o.TCPAddress = d.TCPAddress
	}
	if o.HTTPAddress == "" {
		o.HTTPAddress = d.HTTPAddress
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = d.MaxAttempts
	}
	if o.DeadLetterSuffix == "" {
		o.DeadLetterSuffix = d.DeadLetterSuffix
	}
	if o.RequeueDelay <= 0 {
		o.RequeueDelay = d.RequeueDelay
	}
	if o.MaxRequeueDelay <= 0 {
		o.MaxRequeueDelay = d.MaxRequeueDelay
	}
	if o.DedupWindow <= 0 {
		o.DedupWindow = d.DedupWindow
	}
	if o.DedupSize <= 0 {
		o.DedupSize = d.DedupSize
	}
	if o.Concurrency <= 0 {
		o.Concurrency = d.Concurrency
	}
	if o.OutputBufferTimeout <= 0 {
		o.OutputBufferTimeout = 25 * time.Millisecond
		if o.embedded() {
			o.OutputBufferTimeout = 5 * time.Millisecond
		}
	}
	if o.MsgTimeout <= 0 {
		o.MsgTimeout = d.MsgTimeout
	}
	if o.PublishAttempts <= 0 {
		o.PublishAttempts = d.PublishAttempts
	}
	if o.PublishBackoff <= 0 {
		o.PublishBackoff = d.PublishBackoff
	}
	if o.PublishTimeout <= 0 {
		o.PublishTimeout = d.PublishTimeout
	}
	if o.RepublishWindow == 0 {
		o.RepublishWindow = d.RepublishWindow
	}
	if o.RepublishMax <= 0 {
		o.RepublishMax = d.RepublishMax
	}
	if o.LookupdPollInterval <= 0 {
		o.LookupdPollInterval = d.LookupdPollInterval
	}
	if o.HealthInterval <= 0 {
		o.HealthInterval = d.HealthInterval
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = d.DrainTimeout
	}
}

// nsqdDataPath is where the embedded nsqd keeps its queues.
func (o *Options) nsqdDataPath() string { return filepath.Join(o.DataDir, "nsqd") }
