package docflow

import (
	"context"
	"sync"
	"time"

	"nanhu/oa/org"
)

// todoCache keeps what the 待办 page reads of each person, its counts and
// its pages, for as long as nothing changes: it is valid for one
// generation of the store (every committed write to oa.db starts a new
// one, see Store.changed) and one organisation chart (the names it
// shows). Deadlines that pass while a page is kept are applied when it
// is read, so an overdue task shows as overdue at once.
type todoCache struct {
	mu     sync.Mutex
	gen    uint64
	chart  *org.Chart
	counts map[string][2]int
	pages  map[todoKey][]Task
}

type todoKey struct {
	login         string
	offset, limit int
}

// maxTodoPages bounds the pages kept (about 15 KB each at 50 tasks).
const maxTodoPages = 2000

// valid empties the cache when the store or the chart has changed since
// it was filled; the caller holds mu.
func (c *todoCache) valid(gen uint64, chart *org.Chart) {
	if c.gen != gen || c.chart != chart || c.pages == nil {
		c.gen, c.chart = gen, chart
		c.counts = map[string][2]int{}
		c.pages = map[todoKey][]Task{}
	}
}

// Generation changes with every commit to oa.db: what was read at one
// generation is good until the next.
func (s *Store) Generation() uint64 { return s.gen.Load() }

// Now is the store's clock: what "overdue" is measured against.
func (s *Store) Now() time.Time { return s.now() }

// changed starts a new generation of the store: what readers keep of
// it is read again. It is called after every commit to oa.db.
func (s *Store) changed() { s.gen.Add(1) }

// cachedTodos is a kept page of login's 待办, or reads and keeps it.
func (s *Store) cachedTodos(ctx context.Context, login string, offset, limit int, read func() ([]Task, error)) ([]Task, error) {
	gen := s.gen.Load() // before the read: a commit during it makes the result stale at once
	chart, err := s.chartNow(ctx)
	if err != nil {
		return nil, err
	}
	k := todoKey{login, offset, limit}
	s.todos.mu.Lock()
	s.todos.valid(gen, chart)
	ts, ok := s.todos.pages[k]
	s.todos.mu.Unlock()
	if !ok {
		if ts, err = read(); err != nil {
			return nil, err
		}
		s.todos.mu.Lock()
		if s.todos.gen == gen && s.todos.chart == chart {
			if len(s.todos.pages) >= maxTodoPages {
				clear(s.todos.pages)
			}
			s.todos.pages[k] = ts
		}
		s.todos.mu.Unlock()
	}
	out := make([]Task, len(ts))
	now := s.now()
	for i, t := range ts {
		t.Actions = append([]string(nil), t.Actions...)
		t.Overdue = t.Overdue || (t.State == "open" && !t.Due.IsZero() && now.After(t.Due))
		out[i] = t
	}
	return out, nil
}

// cachedCounts are login's open counts, kept as cachedTodos keeps pages.
func (s *Store) cachedCounts(ctx context.Context, login string, read func() (int, int, error)) (int, int, error) {
	gen := s.gen.Load()
	chart, err := s.chartNow(ctx)
	if err != nil {
		return 0, 0, err
	}
	s.todos.mu.Lock()
	s.todos.valid(gen, chart)
	n, ok := s.todos.counts[login]
	s.todos.mu.Unlock()
	if ok {
		return n[0], n[1], nil
	}
	tasks, reads, err := read()
	if err != nil {
		return 0, 0, err
	}
	s.todos.mu.Lock()
	if s.todos.gen == gen && s.todos.chart == chart {
		if len(s.todos.counts) >= maxTodoPages {
			clear(s.todos.counts)
		}
		s.todos.counts[login] = [2]int{tasks, reads}
	}
	s.todos.mu.Unlock()
	return tasks, reads, nil
}
