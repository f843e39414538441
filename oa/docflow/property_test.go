package docflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"nanhu/oa/flow"
	"nanhu/queue/contract"
)

var propPeople = []string{"yangjing", "liuyang", "zhaoli", "wufang", "suntao", "hubin"}

// randomFlow builds a valid flow of random steps: tasks of every mode,
// a split into two branches joined again, an exclusive choice on the
// urgency, and a 传阅; 退回 and 不同意 go to earlier steps outside any
// branch.
func randomFlow(r *rand.Rand, key string) *flow.Def {
	d := &flow.Def{Key: key, Name: "随机流程 " + key, Kind: "签报"}
	d.Nodes = append(d.Nodes, flow.Node{ID: "start", Type: flow.Start, Name: "起草", EditBody: true})
	prev := []string{"start"}
	linear := []string{"start"}
	n := 0
	id := func(p string) string { n++; return fmt.Sprintf("%s%d", p, n) }
	task := func() flow.Node {
		modes := []flow.Mode{flow.Single, flow.All, flow.Any, flow.Sequential, flow.Ratio}
		m := modes[r.IntN(len(modes))]
		k := 1
		if m != flow.Single {
			k = 1 + r.IntN(3)
		}
		var as []flow.Assignee
		for _, i := range r.Perm(len(propPeople))[:k] {
			as = append(as, flow.Assignee{Kind: flow.Person, Ref: propPeople[i]})
		}
		t := flow.Node{ID: id("t"), Type: flow.Task, Name: "步骤", Mode: m, Assignees: as, Opinion: "意见",
			Actions: []string{flow.Transfer, flow.AddSign, flow.Circulate}}
		if m == flow.Ratio {
			t.Ratio = 0.5
		}
		if r.IntN(2) == 0 {
			t.Actions = append(t.Actions, flow.Return)
			t.ReturnTo = []string{linear[r.IntN(len(linear))]}
		}
		if r.IntN(3) == 0 {
			t.Actions = append(t.Actions, flow.Reject)
			if r.IntN(2) == 0 {
				t.RejectTo = linear[r.IntN(len(linear))]
			}
		}
		return t
	}
	link := func(to string) {
		for _, p := range prev {
			d.Edges = append(d.Edges, flow.Edge{From: p, To: to})
		}
	}
	for range 2 + r.IntN(4) {
		switch r.IntN(5) {
		case 0: // split and join
			s, j := flow.Node{ID: id("s"), Type: flow.Split, Name: "分"}, flow.Node{ID: id("j"), Type: flow.Join, Name: "合"}
			a, b := task(), task()
			a.ReturnTo, b.ReturnTo, a.RejectTo, b.RejectTo = nil, nil, "", ""
			a.Actions, b.Actions = []string{flow.Transfer}, []string{flow.AddSign}
			d.Nodes = append(d.Nodes, s, a, b, j)
			link(s.ID)
			d.Edges = append(d.Edges, flow.Edge{From: s.ID, To: a.ID}, flow.Edge{From: s.ID, To: b.ID},
				flow.Edge{From: a.ID, To: j.ID}, flow.Edge{From: b.ID, To: j.ID})
			prev = []string{j.ID}
		case 1: // exclusive choice
			x := flow.Node{ID: id("x"), Type: flow.Exclusive, Name: "选"}
			a, b := task(), task()
			d.Nodes = append(d.Nodes, x, a, b)
			link(x.ID)
			d.Edges = append(d.Edges, flow.Edge{From: x.ID, To: a.ID, When: &flow.Condition{Field: "urgency", Op: "eq", Value: "特急"}},
				flow.Edge{From: x.ID, To: b.ID, Default: true})
			prev = []string{a.ID, b.ID}
		case 2: // 传阅
			rd := flow.Node{ID: id("r"), Type: flow.Read, Name: "传阅", Assignees: []flow.Assignee{{Kind: flow.Person, Ref: propPeople[r.IntN(len(propPeople))]}}}
			d.Nodes = append(d.Nodes, rd)
			link(rd.ID)
			prev = []string{rd.ID}
		default:
			t := task()
			d.Nodes = append(d.Nodes, t)
			link(t.ID)
			prev = []string{t.ID}
			linear = append(linear, t.ID)
		}
	}
	d.Nodes = append(d.Nodes, flow.Node{ID: "end", Type: flow.End, Name: "办结"})
	link("end")
	return d
}

// TestEngineProperties runs random actions over random flows and checks
// after every one: no token lost (a running flow has somewhere to be and
// someone to act), no task left open after the flow ends, a refused action
// changes nothing, every action is in the trail, the hash chain holds,
// and the last oa.todo event of every task says what it is now.
func TestEngineProperties(t *testing.T) {
	ctx := context.Background()
	s, _ := openStore(t)
	seed := uint64(20261204)
	r := rand.New(rand.NewPCG(seed, seed))
	for f := range 12 {
		def := randomFlow(r, fmt.Sprintf("p%d", f))
		if err := def.Validate(); err != nil {
			t.Fatalf("flow %d is invalid: %v\n%s", f, err, def.JSON())
		}
		if _, err := s.Publish(ctx, def, "test"); err != nil {
			t.Fatal(err)
		}
		for docN := range 3 {
			urg := []string{"", "特急"}[r.IntN(2)]
			doc, _, err := s.Create(ctx, "huanglei", Draft{Flow: def.Key, Type: "请示", Title: fmt.Sprintf("随机公文 %d-%d", f, docN), Organ: "qzf", Urgency: urg})
			if err != nil {
				t.Fatal(err)
			}
			for step := 0; step < 60; step++ {
				if done := randomAction(t, s, r, def, doc.ID); done {
					break
				}
				checkInvariants(t, s, doc.ID, def)
			}
		}
	}
	rep, err := s.Verify(ctx)
	if err != nil || rep.Broken != 0 {
		t.Fatalf("the hash chain: %+v %v", rep, err)
	}
	completed := count(t, s, `SELECT count(*) FROM instances WHERE status = 'completed'`)
	terminated := count(t, s, `SELECT count(*) FROM instances WHERE status = 'terminated'`)
	t.Logf("36 documents: %d completed, %d 作废, %d still running; %d trail records", completed, terminated, 36-completed-terminated, rep.Records)
	if completed == 0 {
		t.Error("no random walk reached the end: the walk tests too little")
	}
}

func count(t *testing.T, s *Store, q string, args ...any) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// randomAction takes one random action on doc; it reports whether the
// flow has ended.
func randomAction(t *testing.T, s *Store, r *rand.Rand, def *flow.Def, doc int64) bool {
	t.Helper()
	ctx := context.Background()
	var status string
	s.DB().QueryRow(`SELECT status FROM instances WHERE doc = ?`, doc).Scan(&status)
	if status != "running" {
		return true
	}
	type tk struct {
		id               int64
		node, who, state string
		kind             string
	}
	rows, err := s.DB().Query(`SELECT id, node, assignee, state, kind FROM tasks WHERE doc = ? ORDER BY id`, doc)
	if err != nil {
		t.Fatal(err)
	}
	var open, done []tk
	for rows.Next() {
		var x tk
		rows.Scan(&x.id, &x.node, &x.who, &x.state, &x.kind)
		switch {
		case x.state == "open":
			open = append(open, x)
		case x.state == "done" && x.kind == "task":
			done = append(done, x)
		}
	}
	rows.Close()
	if len(open) == 0 {
		t.Fatalf("document %d runs with no open task", doc)
	}
	x := open[r.IntN(len(open))]
	n := def.Node(x.node)
	a := Action{Kind: flow.Approve, Opinion: "同意。", People: map[string][]string{}}
	login := x.who
	switch k := r.IntN(10); {
	case x.kind == "read":
		a.Kind = "read"
	case k == 0 && len(done) > 0: // 撤回 by whoever sent something
		d := done[r.IntN(len(done))]
		a = Action{Kind: flow.Withdraw}
		x, login = d, d.who
	case k == 1 && len(n.ReturnTo) > 0:
		a = Action{Kind: flow.Return, Target: n.ReturnTo[0], Opinion: "请修改。"}
	case k == 2 && n.Allows(flow.Reject):
		a = Action{Kind: flow.Reject, Opinion: "不同意。"}
	case k == 3 && n.Allows(flow.Transfer):
		a = Action{Kind: flow.Transfer, To: propPeople[r.IntN(len(propPeople))]}
	case k == 4 && n.Allows(flow.AddSign):
		a = Action{Kind: flow.AddSign, To: propPeople[r.IntN(len(propPeople))], Before: r.IntN(2) == 0}
	case k == 5 && n.Allows(flow.Circulate):
		a = Action{Kind: flow.Circulate, Readers: []string{propPeople[r.IntN(len(propPeople))]}}
	case k == 6: // someone else tries
		login = propPeople[r.IntN(len(propPeople))]
	}
	if outs := def.Out(x.node); len(outs) > 1 {
		a.Route = outs[r.IntN(len(outs))].To
	}
	before := count(t, s, `SELECT count(*) FROM trail`)
	tasksBefore := count(t, s, `SELECT count(*) FROM tasks WHERE state IN ('open', 'queued', 'waiting')`)
	_, err = s.Act(ctx, login, x.id, a)
	after := count(t, s, `SELECT count(*) FROM trail`)
	var e *Error
	switch {
	case err == nil:
		if after <= before {
			t.Fatalf("%s %s on task %d succeeded without a trail record", login, a.Kind, x.id)
		}
	case errors.As(err, &e):
		if after != before || count(t, s, `SELECT count(*) FROM tasks WHERE state IN ('open', 'queued', 'waiting')`) != tasksBefore {
			t.Fatalf("the refused %s (%s) changed something", a.Kind, e.Msg)
		}
	default:
		t.Fatalf("%s %s on task %d: %v", login, a.Kind, x.id, err)
	}
	return false
}

func checkInvariants(t *testing.T, s *Store, doc int64, def *flow.Def) {
	t.Helper()
	var status string
	var inst int64
	s.DB().QueryRow(`SELECT id, status FROM instances WHERE doc = ?`, doc).Scan(&inst, &status)
	live := count(t, s, `SELECT count(*) FROM tokens WHERE instance = ? AND state IN ('active', 'parked')`, inst)
	pending := count(t, s, `SELECT count(*) FROM tasks WHERE instance = ? AND kind = 'task' AND state IN ('open', 'queued', 'waiting')`, inst)
	if status == "running" {
		if live == 0 || pending == 0 {
			t.Fatalf("document %d runs with %d tokens and %d pending tasks (a token was lost)", doc, live, pending)
		}
		// Every active token at a task node has someone to act.
		rows, _ := s.DB().Query(`SELECT id, node FROM tokens WHERE instance = ? AND state = 'active'`, inst)
		var toks []struct {
			id   int64
			node string
		}
		for rows.Next() {
			var x struct {
				id   int64
				node string
			}
			rows.Scan(&x.id, &x.node)
			toks = append(toks, x)
		}
		rows.Close()
		for _, tok := range toks {
			if c := count(t, s, `SELECT count(*) FROM tasks WHERE token = ? AND kind = 'task' AND state IN ('open', 'queued', 'waiting')`, tok.id); c == 0 {
				t.Fatalf("document %d: the token at %s has nobody to act", doc, tok.node)
			}
		}
	} else if live != 0 || pending != 0 {
		t.Fatalf("document %d is %s with %d tokens and %d tasks still open", doc, status, live, pending)
	}
	// The last event of every task that was ever announced says what it
	// is now.
	last := map[string]contract.TodoEventType{}
	rows, _ := s.DB().Query(`SELECT body FROM outbox WHERE topic = 'oa.todo' ORDER BY id`)
	for rows.Next() {
		var b string
		rows.Scan(&b)
		var ev contract.TodoEvent
		json.Unmarshal([]byte(b), &ev)
		last[ev.Todo.ID] = ev.Type
	}
	rows.Close()
	rows, _ = s.DB().Query(`SELECT id, state FROM tasks WHERE doc = ?`, doc)
	for rows.Next() {
		var id int64
		var state string
		rows.Scan(&id, &state)
		ev, ok := last[TodoID(id)]
		switch state {
		case "open":
			if ev != contract.TodoCreated && ev != contract.TodoReassigned && ev != contract.TodoOverdue {
				t.Errorf("open task %d: last event %q", id, ev)
			}
		case "done", "cancelled", "waiting":
			if ok && ev != contract.TodoDone {
				t.Errorf("%s task %d: last event %q", state, id, ev)
			}
		}
	}
	rows.Close()
}
