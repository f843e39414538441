package notify

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"nanhu/queue/contract"
)

// StreamPath is where Handler serves the notification stream.
const StreamPath = "/api/v1/notifications/stream"

// StreamEvent is the data of one "todo" event on the notification stream.
//
//	event: todo
//	id: 01JDQ3V7J8ZQ4M2X9K6T5R0A1B
//	data: {"type":"created","event_id":"01JDQ3V7J8ZQ4M2X9K6T5R0A1B","todo":{"id":"todo-8812","assignee":"zhangwei",…}}
type StreamEvent struct {
	// Type is what happened: created, reassigned, done, overdue (the
	// user's own to-do), or escalated (a 催办 about the to-do of
	// someone the user leads; Todo.Assignee says whose).
	Type string `json:"type"`
	// EventID is the oa.todo event it comes from; the same id may come
	// twice, and a page should show it once.
	EventID string        `json:"event_id"`
	Todo    contract.Todo `json:"todo"`
	// AssigneeName is the assignee's display name, on "escalated".
	AssigneeName string `json:"assignee_name,omitempty"`
}

// streamBuffer is how many events a stream may fall behind before it is
// closed (the page reconnects and reloads its list).
const streamBuffer = 64

// hub knows the open streams of this process, per login. Presence is
// per process: with several web nodes behind a balancer, a user online on
// one node is offline on the others, and needs a shared presence (for
// example an NSQ topic or a table every node heartbeats into) — a later
// step.
type hub struct {
	mu      sync.Mutex
	streams map[string]map[*stream]struct{}
	closed  bool
}

type stream struct {
	ch   chan []byte
	gone chan struct{} // closed when the hub drops the stream
	once sync.Once
}

func (s *stream) drop() { s.once.Do(func() { close(s.gone) }) }

func newHub() *hub { return &hub{streams: map[string]map[*stream]struct{}{}} }

// open registers a stream for login; ok is false once the hub is closed.
func (h *hub) open(login string) (*stream, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, false
	}
	s := &stream{ch: make(chan []byte, streamBuffer), gone: make(chan struct{})}
	if h.streams[login] == nil {
		h.streams[login] = map[*stream]struct{}{}
	}
	h.streams[login][s] = struct{}{}
	return s, true
}

func (h *hub) remove(login string, s *stream) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.streams[login], s)
	if len(h.streams[login]) == 0 {
		delete(h.streams, login)
	}
	s.drop()
}

// online reports whether login has an open stream.
func (h *hub) online(login string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.streams[login]) > 0
}

// send offers an event to every stream of login and returns how many took
// it. A stream too far behind is dropped instead; 0 means the user is to
// be treated as offline.
func (h *hub) send(login string, ev StreamEvent) int {
	data, err := json.Marshal(ev)
	if err != nil {
		return 0
	}
	frame := []byte("event: todo\nid: " + ev.EventID + "\ndata: " + string(data) + "\n\n")
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for s := range h.streams[login] {
		select {
		case s.ch <- frame:
			n++
		default:
			delete(h.streams[login], s)
			s.drop()
		}
	}
	if len(h.streams[login]) == 0 {
		delete(h.streams, login)
	}
	return n
}

// count returns the number of open streams.
func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, set := range h.streams {
		n += len(set)
	}
	return n
}

// close ends every stream and refuses new ones.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for login, set := range h.streams {
		for s := range set {
			s.drop()
		}
		delete(h.streams, login)
	}
}

// Handler serves GET /api/v1/notifications/stream: server-sent events for
// the user that Options.User names (401 for nobody). While a user has a
// stream open, to-do events reach them there and not by SMS or mail.
// Idle streams get a comment line every Options.Heartbeat.
func (n *Notifier) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+StreamPath, n.serveStream)
	return mux
}

func (n *Notifier) serveStream(w http.ResponseWriter, r *http.Request) {
	login := ""
	if n.opts.User != nil {
		login = n.opts.User(r)
	}
	if login == "" {
		http.Error(w, "需要登录（log in first）", http.StatusUnauthorized)
		return
	}
	s, ok := n.hub.open(login)
	if !ok {
		http.Error(w, "服务正在停止，请稍后重连（shutting down）", http.StatusServiceUnavailable)
		return
	}
	defer n.hub.remove(login, s)
	rc := http.NewResponseController(w)
	// A stream lives longer than any server write timeout.
	if err := rc.SetWriteDeadline(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
		n.log.Debug("stream: clear write deadline", "err", err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer
	w.WriteHeader(http.StatusOK)
	write := func(b []byte) bool {
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	// The page reconnects 5 s after a lost connection.
	if !write([]byte("retry: 5000\n: connected\n\n")) {
		return
	}
	n.log.Debug("stream opened", "login", login)
	beat := time.NewTicker(n.opts.Heartbeat)
	defer beat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.gone:
			return
		case frame := <-s.ch:
			if !write(frame) {
				return
			}
		case <-beat.C:
			if !write([]byte(": heartbeat\n\n")) {
				return
			}
		}
	}
}

// Online reports whether login has a notification stream open on this
// process.
func (n *Notifier) Online(login string) bool { return n.hub.online(login) }

// OpenTodos lists login's open to-dos as routing last heard of them (the
// newest first, at most limit): what the workbench shows before its stream
// brings more. The slice is shared with later callers: read it, do not
// change it.
func (n *Notifier) OpenTodos(ctx context.Context, login string, limit int) ([]contract.Todo, error) {
	return n.st.openTodos(ctx, login, limit)
}

// CloseStreams ends every open stream now (the server is stopping), so
// that the HTTP server need not wait for them.
func (n *Notifier) CloseStreams() { n.hub.close() }
