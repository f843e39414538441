// Package logring keeps the last warnings and errors a process logged, so
// that the administration's status page can show them without anyone
// reading the log files. It is a log/slog handler that passes every record
// on to the real handler and keeps a copy of those at or above a level.
package logring

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// Entry is one kept record.
type Entry struct {
	Time    time.Time
	Level   slog.Level
	Message string
	// Attrs are the record's attributes as key=value, with the handler's
	// groups and attributes first (part=mail …).
	Attrs string
}

// Ring holds the most recent entries.
type Ring struct {
	mu   sync.Mutex
	buf  []Entry
	next int
	full bool
}

// New returns a ring of size entries.
func New(size int) *Ring { return &Ring{buf: make([]Entry, max(size, 1))} }

func (r *Ring) add(e Entry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf[r.next] = e
	r.next = (r.next + 1) % len(r.buf)
	if r.next == 0 {
		r.full = true
	}
}

// Recent returns the entries, newest first.
func (r *Ring) Recent() []Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Entry
	if r.full {
		out = append(out, r.buf[r.next:]...)
	}
	out = append(out, r.buf[:r.next]...)
	slices.Reverse(out)
	return out
}

// Handler wraps next: every record goes on to next, and those at level or
// above are kept in ring.
func Handler(next slog.Handler, ring *Ring, level slog.Level) slog.Handler {
	return &handler{next: next, ring: ring, level: level}
}

type handler struct {
	next   slog.Handler
	ring   *Ring
	level  slog.Level
	prefix string // attributes and groups given with With
	group  string
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.level || h.next.Enabled(ctx, l)
}

func (h *handler) Handle(ctx context.Context, rec slog.Record) error {
	if rec.Level >= h.level {
		var b strings.Builder
		b.WriteString(h.prefix)
		rec.Attrs(func(a slog.Attr) bool {
			writeAttr(&b, h.group, a)
			return true
		})
		h.ring.add(Entry{Time: rec.Time, Level: rec.Level, Message: rec.Message, Attrs: strings.TrimSpace(b.String())})
	}
	if h.next.Enabled(ctx, rec.Level) {
		return h.next.Handle(ctx, rec)
	}
	return nil
}

func writeAttr(b *strings.Builder, group string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	key := a.Key
	if group != "" {
		key = group + "." + key
	}
	if a.Value.Kind() == slog.KindGroup {
		for _, g := range a.Value.Group() {
			writeAttr(b, key, g)
		}
		return
	}
	v := a.Value.String()
	if strings.ContainsAny(v, " \t\n\"=") {
		v = fmt.Sprintf("%q", v)
	}
	b.WriteString(key + "=" + v + " ")
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	var b strings.Builder
	b.WriteString(h.prefix)
	for _, a := range attrs {
		writeAttr(&b, h.group, a)
	}
	return &handler{next: h.next.WithAttrs(attrs), ring: h.ring, level: h.level, prefix: b.String(), group: h.group}
}

func (h *handler) WithGroup(name string) slog.Handler {
	g := name
	if h.group != "" {
		g = h.group + "." + name
	}
	return &handler{next: h.next.WithGroup(name), ring: h.ring, level: h.level, prefix: h.prefix, group: g}
}
