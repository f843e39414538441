package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Jobs are the long jobs started from a browser (a backup, an import):
// each runs in the background, and its page shows a progress bar that
// moves without JavaScript (the page reloads itself) and smoothly with it.
type Jobs struct {
	now  func() time.Time
	mu   sync.Mutex
	jobs map[string]*job
}

// keepJobs is how long a finished job's page stays.
const keepJobs = time.Hour

type job struct {
	JobStatus
	owner string
}

// JobStatus is a job as its page and its JSON show it.
type JobStatus struct {
	ID       string    `json:"id"`
	Title    string    `json:"title"`
	State    string    `json:"state"` // running, done, failed
	Done     int64     `json:"done"`
	Total    int64     `json:"total"`
	Percent  int64     `json:"percent"`
	Note     string    `json:"note,omitempty"`
	Result   string    `json:"result,omitempty"`
	Error    string    `json:"error,omitempty"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
}

// Running reports whether the job is still going.
func (s JobStatus) Running() bool { return s.State == "running" }

// Progress is how a running job tells its page how far it got.
type Progress struct {
	jobs *Jobs
	id   string
}

// Set records done out of total (in any unit: pages, rows, bytes).
func (p *Progress) Set(done, total int64) {
	p.jobs.update(p.id, func(j *job) {
		j.Done, j.Total = done, total
		j.Percent = 0
		if total > 0 {
			j.Percent = min(done*100/total, 100)
		}
	})
}

// Note records what the job is doing now ("正在备份 mail.db").
func (p *Progress) Note(s string) { p.jobs.update(p.id, func(j *job) { j.Note = s }) }

func newJobs(now func() time.Time) *Jobs { return &Jobs{now: now, jobs: map[string]*job{}} }

// Start runs fn in the background for owner; its result (a sentence) or
// error is shown on the job's page at /jobs/{id}.
func (js *Jobs) Start(owner Person, title string, fn func(ctx context.Context, p *Progress) (string, error)) string {
	b := make([]byte, 8)
	rand.Read(b)
	id := hex.EncodeToString(b)
	js.mu.Lock()
	now := js.now()
	for k, j := range js.jobs {
		if j.State != "running" && now.Sub(j.Finished) > keepJobs {
			delete(js.jobs, k)
		}
	}
	js.jobs[id] = &job{JobStatus: JobStatus{ID: id, Title: title, State: "running", Started: now}, owner: owner.Login}
	js.mu.Unlock()
	go func() {
		p := &Progress{jobs: js, id: id}
		var res string
		var err error
		func() {
			defer func() {
				if v := recover(); v != nil {
					err = fmt.Errorf("the job failed: %v", v)
				}
			}()
			res, err = fn(context.Background(), p)
		}()
		js.update(id, func(j *job) {
			j.Finished = js.now()
			if err != nil {
				j.State, j.Error = "failed", err.Error()
				return
			}
			j.State, j.Result, j.Percent = "done", res, 100
			if j.Total > 0 {
				j.Done = j.Total
			}
		})
	}()
	return id
}

func (js *Jobs) update(id string, f func(*job)) {
	js.mu.Lock()
	defer js.mu.Unlock()
	if j, ok := js.jobs[id]; ok {
		f(j)
	}
}

// Status is job id as p may see it: their own, or anyone's for an
// administrator.
func (js *Jobs) Status(id string, p Person) (JobStatus, bool) {
	js.mu.Lock()
	defer js.mu.Unlock()
	j, ok := js.jobs[id]
	if !ok || (j.owner != p.Login && !p.HasRole("admin")) {
		return JobStatus{}, false
	}
	return j.JobStatus, true
}

func (k *Kit) jobPage(w http.ResponseWriter, r *http.Request) error {
	st, ok := k.jobs.Status(r.PathValue("id"), PersonOf(r))
	if !ok {
		return NotFound("没有这项任务，或它已结束一个多小时。")
	}
	return k.Render(w, r, k.pages.job, View{Title: st.Title, Data: st})
}

func (k *Kit) jobJSON(w http.ResponseWriter, r *http.Request) error {
	st, ok := k.jobs.Status(r.PathValue("id"), PersonOf(r))
	if !ok {
		return NotFound("没有这项任务")
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	return json.NewEncoder(w).Encode(st)
}
