package docflow

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"nanhu/internal/workcal"
	"nanhu/oa/flow"
	"nanhu/oa/org"
	"nanhu/queue/contract"
)

// System is the actor of what the engine does by itself (a deadline
// passing on its own).
const System = "system"

// Task is a task as pages and the API show it.
type Task struct {
	ID           int64     `json:"id"`
	Doc          int64     `json:"document"`
	Node         string    `json:"node"`
	Step         string    `json:"step"`
	Kind         string    `json:"kind"` // task, read
	Assignee     string    `json:"assignee"`
	AssigneeName string    `json:"assignee_name"`
	OnBehalf     string    `json:"on_behalf,omitempty"`
	State        string    `json:"state"`
	Title        string    `json:"title"`
	Number       string    `json:"number,omitempty"`
	DocKind      string    `json:"doc_kind"`
	Urgency      string    `json:"urgency"`
	Created      time.Time `json:"created"`
	Opened       time.Time `json:"opened,omitzero"`
	Done         time.Time `json:"done,omitzero"`
	DoneAction   string    `json:"done_action,omitempty"`
	Due          time.Time `json:"due,omitzero"`
	Overdue      bool      `json:"overdue"`
	Actions      []string  `json:"actions"`
	Sender       string    `json:"sender,omitempty"`
}

// Action is what a person does on a task.
type Action struct {
	Kind    string `json:"action"`
	Opinion string `json:"opinion,omitempty"`
	// Route is the node the person sends the document on to, when the
	// step has more than one way on (送会签 or 送签发).
	Route string `json:"route,omitempty"`
	// People are the people chosen for the next steps, by node.
	People map[string][]string `json:"people,omitempty"`
	Target string              `json:"target,omitempty"` // 退回 to this node
	To     string              `json:"to,omitempty"`     // 转办 or 加签 to this person
	Before bool                `json:"before,omitempty"` // 加签 before oneself
	// Readers are the people given a 传阅.
	Readers []string `json:"readers,omitempty"`
	// Source says where the action came from: web, api, sms.
	Source string `json:"source,omitempty"`
}

// ActionNames are the actions' Chinese names.
var ActionNames = map[string]string{
	flow.Approve: "同意", flow.Reject: "不同意", flow.Return: "退回", flow.Withdraw: "撤回",
	flow.Transfer: "转办", flow.AddSign: "加签", flow.Urge: "催办", flow.Circulate: "传阅", "read": "已阅",
	"create": "拟稿", "save": "修改", "body": "上传正文", "attach": "上传附件", "overdue": "超时",
	"escalate": "超时升级", "auto_pass": "超时自动通过", "delegate": "委托", "revoke": "收回委托",
	"delegation_ended": "委托到期收回", "register": "登记编号", "void": "作废", "end": "流程结束",
	"case_open": "来信登记", "case_info": "来信人补充", "case_merged": "来信合并", "case_extended": "延期", "case_extend_ask": "申请延期",
}

type instance struct {
	ID      int64
	Doc     int64
	Flow    string
	Version int
	Status  string
}

type taskRow struct {
	ID, Instance, Doc, Token        int64
	Node, Kind, Assignee, OnBehalf  string
	Delegation                      int64
	State                           string
	Ord                             int
	Added                           bool
	BeforeOf, AfterOf, AltOf, Orgin int64
	Sender                          string
	Created, Opened, Done           string
	DoneBy, Action, Due, Overdue    string
}

const taskCols = `id, instance, doc, token, node, kind, assignee, on_behalf, delegation, state, ord, added,
	before_of, after_of, alt_of, origin, sender, created, opened, done, done_by, action, due, overdue`

func scanTask(sc interface{ Scan(...any) error }) (taskRow, error) {
	var t taskRow
	err := sc.Scan(&t.ID, &t.Instance, &t.Doc, &t.Token, &t.Node, &t.Kind, &t.Assignee, &t.OnBehalf, &t.Delegation, &t.State,
		&t.Ord, &t.Added, &t.BeforeOf, &t.AfterOf, &t.AltOf, &t.Orgin, &t.Sender, &t.Created, &t.Opened, &t.Done,
		&t.DoneBy, &t.Action, &t.Due, &t.Overdue)
	return t, err
}

// op is one write transaction of the engine.
type op struct {
	s     *Store
	ctx   context.Context
	tx    *sql.Tx
	now   time.Time
	chart *org.Chart
	def   *flow.Def
	doc   *Document
	inst  instance
	actor string // who acts
	as    string // on whose behalf ("" for themselves)
	src   string

	events   []pendingEvent
	created  []int64
	docDirty bool
}

type pendingEvent struct {
	typ  contract.TodoEventType
	task int64
	prev string
}

// begin carries out fn as one action. Actions that arrive together are
// committed together (group commit): each runs inside its own SAVEPOINT
// of one transaction, so one that fails is undone alone, and one fsync
// makes the whole group durable before any of them is answered.
func (s *Store) begin(ctx context.Context, actor string, fn func(o *op) error) error {
	chart, err := s.chartNow(ctx)
	if err != nil {
		return err
	}
	if err := s.inGroup(ctx, &job{ctx: ctx, actor: actor, chart: chart, fn: fn}); err != nil {
		return err
	}
	s.kick()
	return nil
}

// inGroup runs j in the committer's next group transaction and waits for
// its outcome.
func (s *Store) inGroup(ctx context.Context, j *job) error {
	j.done = make(chan error, 1)
	select {
	case s.jobs <- j:
	case <-s.closed:
		return errors.New("docflow: the store is closed")
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued, the job runs: wait for its outcome even if ctx ends,
	// so that an answer never contradicts what was committed.
	return <-j.done
}

// job is one action waiting for the committer.
type job struct {
	ctx   context.Context
	actor string
	chart *org.Chart
	fn    func(o *op) error
	done  chan error
}

// maxGroup is the most actions committed in one transaction.
const maxGroup = 128

// commit runs the jobs as they come, a group per transaction.
func (s *Store) commit() {
	defer close(s.committed)
	for {
		var j *job
		select {
		case j = <-s.jobs:
		case <-s.closed:
			return
		}
		group := []*job{j}
	more:
		for len(group) < maxGroup {
			select {
			case j := <-s.jobs:
				group = append(group, j)
			default:
				break more
			}
		}
		s.runGroup(group)
	}
}

func (s *Store) runGroup(group []*job) {
	errs := make([]error, len(group))
	fail := func(err error) {
		for _, j := range group {
			j.done <- err
		}
	}
	tx, err := s.db.Writer().BeginTx(context.Background(), nil)
	if err != nil {
		fail(fmt.Errorf("docflow: begin: %w", err))
		return
	}
	for i, j := range group {
		if err := j.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		if _, err := tx.Exec(`SAVEPOINT action`); err != nil {
			tx.Rollback()
			fail(err)
			return
		}
		// The job's context was checked above; its statements do not
		// watch it (go-sqlite3 starts a goroutine a statement to do so),
		// as an action half done is rolled back to its savepoint anyway.
		o := &op{s: s, ctx: context.WithoutCancel(j.ctx), tx: tx, now: s.now(), chart: j.chart, actor: j.actor}
		err := j.fn(o)
		if err == nil {
			err = o.finish()
		}
		if err != nil {
			errs[i] = err
			if _, rerr := tx.Exec(`ROLLBACK TO action`); rerr != nil {
				tx.Rollback()
				fail(rerr)
				return
			}
		}
		if _, err := tx.Exec(`RELEASE action`); err != nil {
			tx.Rollback()
			fail(err)
			return
		}
	}
	err = tx.Commit()
	s.changed()
	if err != nil {
		fail(fmt.Errorf("docflow: commit: %w", err))
		return
	}
	for i, j := range group {
		j.done <- errs[i]
	}
}

// finish writes the document back and turns the task changes into
// events in the outbox.
func (o *op) finish() error {
	if o.doc == nil {
		return nil
	}
	if o.docDirty {
		if err := o.saveDoc(); err != nil {
			return err
		}
	}
	for _, e := range o.events {
		t, err := o.loadTask(e.task)
		if err != nil {
			return err
		}
		ev := contract.TodoEvent{V: contract.TodoVersion, ID: contract.NewID(), Type: e.typ, At: o.now,
			PreviousAssignee: e.prev, Todo: o.todoOf(t)}
		if err := o.s.enqueue(o.ctx, o.tx, ev); err != nil {
			return err
		}
	}
	return nil
}

// todoOf is a task as the oa.todo contract carries it.
func (o *op) todoOf(t taskRow) contract.Todo {
	u := contract.UrgencyNormal
	switch o.doc.Urgency {
	case "特急":
		u = contract.UrgencyTop
	case "加急":
		u = contract.UrgencyHigh
	}
	step := t.Node
	var actions []string
	if n := o.def.Node(t.Node); n != nil {
		step = n.Name
		if t.Kind == "read" {
			actions = []string{"read"}
		} else {
			actions = actionsOf(n)
		}
	}
	title := o.doc.Title
	if title == "" {
		title = "（无标题）"
	}
	return contract.Todo{ID: TodoID(t.ID), Assignee: t.Assignee, Title: title, DocNumber: o.doc.Number, Urgency: u,
		Due: parseTS(t.Due).In(workcal.Shanghai()), Actions: actions, Step: step,
		URL: o.s.opts.BaseURL + fmt.Sprintf("/oa/docs/%d", o.doc.ID)}
}

// TodoID is a task's id on oa.todo.
func TodoID(task int64) string { return "oa-" + strconv.FormatInt(task, 10) }

// TaskOfTodo is the task id of a to-do id, 0 when it is not one of ours.
func TaskOfTodo(id string) int64 {
	n, err := strconv.ParseInt(strings.TrimPrefix(id, "oa-"), 10, 64)
	if err != nil || !strings.HasPrefix(id, "oa-") {
		return 0
	}
	return n
}

// actionsOf are the actions a node's task offers, approve first.
func actionsOf(n *flow.Node) []string {
	a := []string{flow.Approve}
	for _, x := range flow.NodeActions {
		if slices.Contains(n.Actions, x) && x != flow.Urge {
			a = append(a, x)
		}
	}
	return a
}

func (o *op) emit(typ contract.TodoEventType, task int64, prev string) {
	o.events = append(o.events, pendingEvent{typ, task, prev})
}

func (o *op) loadTask(id int64) (taskRow, error) {
	t, err := scanTask(o.tx.QueryRowContext(o.ctx, `SELECT `+taskCols+` FROM tasks WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, errf("not_found", "没有编号为 %d 的待办。", id)
	}
	return t, err
}

func (o *op) tasksWhere(where string, args ...any) ([]taskRow, error) {
	rows, err := o.tx.QueryContext(o.ctx, `SELECT `+taskCols+` FROM tasks WHERE `+where+` ORDER BY ord, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []taskRow
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// load reads the document, its instance and its flow.
func (o *op) load(doc int64) error {
	d, err := loadDocument(o.ctx, o.tx, doc)
	if err != nil {
		return err
	}
	o.doc = d
	err = o.tx.QueryRowContext(o.ctx, `SELECT id, doc, flow, flow_version, status FROM instances WHERE doc = ?`, doc).
		Scan(&o.inst.ID, &o.inst.Doc, &o.inst.Flow, &o.inst.Version, &o.inst.Status)
	if err != nil {
		return fmt.Errorf("docflow: read the flow of document %d: %w", doc, err)
	}
	o.def, err = o.s.Flow(o.ctx, o.inst.Flow, o.inst.Version)
	return err
}

func (o *op) setState() {
	o.docDirty = true
	o.doc.Updated = o.now
}

// trail appends a record of what happened.
func (o *op) trail(action, from, to, opinion string, detail any) error {
	var dj string
	if detail != nil {
		b, _ := json.Marshal(detail)
		dj = string(b)
	}
	return appendTrail(o.ctx, o.tx, trailRecord{Doc: o.doc.ID, At: o.now, Actor: o.actor, As: o.as, Action: action,
		From: from, To: to, Opinion: opinion, Detail: dj, Source: o.src})
}

func (o *op) grant(login string) error {
	_, err := o.tx.ExecContext(o.ctx, `INSERT OR IGNORE INTO access (doc, login) VALUES (?, ?)`, o.doc.ID, login)
	return err
}

// due is when a task created now at node n falls due.
func (o *op) due(n *flow.Node) string {
	dl := n.Deadline
	if dl == nil {
		if o.doc.HandleBy != "" && n.Type == flow.Task {
			if t, err := time.ParseInLocation("2006-01-02", o.doc.HandleBy, workcal.Shanghai()); err == nil {
				return ts(t.Add(17 * time.Hour))
			}
		}
		return ""
	}
	working := workcal.Weekday
	if c := o.s.opts.Calendar; c != nil {
		working = c.IsWorkingDay
	}
	days := dl.WorkDays
	hours := dl.Hours
	days += hours / 8
	hours %= 8
	t := workcal.AddWorkingDays(o.now.In(workcal.Shanghai()), days, working)
	return ts(t.Add(time.Duration(hours) * time.Hour))
}

// newToken puts a token at node.
func (o *op) newToken(node string, state string, origin int64) (int64, error) {
	res, err := o.tx.ExecContext(o.ctx, `INSERT INTO tokens (instance, node, state, origin) VALUES (?, ?, ?, ?)`, o.inst.ID, node, state, origin)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// delegateOf is the delegation that takes login's new tasks now.
func (o *op) delegateOf(login string) (int64, string, error) {
	var id int64
	var delegate string
	err := o.tx.QueryRowContext(o.ctx, `SELECT id, delegate FROM delegations WHERE principal = ? AND revoked = ''
		AND starts <= ? AND (ends = '' OR ends > ?) AND (flow = '' OR flow = ?) ORDER BY id DESC LIMIT 1`,
		login, ts(o.now), ts(o.now), o.inst.Flow).Scan(&id, &delegate)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	return id, delegate, err
}

type newTask struct {
	token             int64
	node              *flow.Node
	kind              string
	login             string
	state             string
	ord               int
	added             bool
	beforeOf, afterOf int64
	altOf             int64
	origin            int64
}

// addTask creates a task, handing it to the assignee's delegate while a
// 委托 runs, and announces it when it is open.
func (o *op) addTask(nt newTask) (int64, error) {
	assignee, behalf := nt.login, ""
	var delegation int64
	if nt.kind == "task" {
		id, delegate, err := o.delegateOf(nt.login)
		if err != nil {
			return 0, err
		}
		if id != 0 {
			assignee, behalf, delegation = delegate, nt.login, id
		}
	}
	due := ""
	if nt.kind == "task" {
		due = o.due(nt.node)
	}
	res, err := o.tx.ExecContext(o.ctx, `INSERT INTO tasks (instance, doc, token, node, kind, assignee, on_behalf, delegation, state,
		ord, added, before_of, after_of, alt_of, origin, sender, created, due, urg) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.inst.ID, o.doc.ID, nt.token, nt.node.ID, nt.kind, assignee, behalf, delegation, nt.state, nt.ord, nt.added,
		nt.beforeOf, nt.afterOf, nt.altOf, nt.origin, o.actor, ts(o.now), due, urgencyRank(o.doc.Urgency))
	if err != nil {
		return 0, err
	}
	id, _ := res.LastInsertId()
	if err := o.grant(assignee); err != nil {
		return 0, err
	}
	if behalf != "" {
		if err := o.grant(behalf); err != nil {
			return 0, err
		}
	}
	if nt.state == "open" {
		o.emit(contract.TodoCreated, id, "")
	}
	o.created = append(o.created, id)
	return id, nil
}

// closeTask ends a task as done or cancelled, announcing it when it was
// open.
func (o *op) closeTask(t taskRow, state, action string) error {
	_, err := o.tx.ExecContext(o.ctx, `UPDATE tasks SET state = ?, done = ?, done_by = ?, action = ? WHERE id = ?`,
		state, ts(o.now), o.doneBy(state), action, t.ID)
	if err != nil {
		return err
	}
	if t.State == "open" {
		o.emit(contract.TodoDone, t.ID, "")
	}
	return nil
}

func (o *op) doneBy(state string) string {
	if state == "done" {
		return o.actor
	}
	return ""
}

// may says whether login may act on t now, and on whose behalf.
func (o *op) may(t taskRow, login string) (string, error) {
	switch t.State {
	case "open":
	case "done":
		return "", errf("gone", "这件待办已经办理过了（%s）。", ActionNames[t.Action])
	case "cancelled":
		return "", errf("gone", "这件待办已被撤回或收回，无需再办。")
	case "waiting":
		return "", errf("gone", "这件待办正在等待加签人办理，加签人办完后再回到您这里。")
	case "queued":
		return "", errf("gone", "还没有轮到您办理这一步。")
	}
	if o.inst.Status != "running" {
		return "", errf("gone", "这份公文的流程已经结束。")
	}
	active := func() (bool, string, error) {
		if t.Delegation == 0 {
			return true, "", nil
		}
		var ends, revoked string
		if err := o.tx.QueryRowContext(o.ctx, `SELECT ends, revoked FROM delegations WHERE id = ?`, t.Delegation).Scan(&ends, &revoked); err != nil {
			return false, "", err
		}
		switch {
		case revoked != "":
			return false, "委托已被收回", nil
		case ends != "" && ends <= ts(o.now):
			return false, "委托已于 " + parseTS(ends).In(workcal.Shanghai()).Format("2006-01-02 15:04") + " 到期", nil
		}
		return true, "", nil
	}
	switch login {
	case t.Assignee:
		ok, why, err := active()
		if err != nil {
			return "", err
		}
		if !ok {
			return "", errf("forbidden", "%s，您不能再代%s办理这件待办。", why, o.chart.Name(t.OnBehalf))
		}
		return t.OnBehalf, nil
	case t.OnBehalf:
		ok, _, err := active()
		if err != nil {
			return "", err
		}
		if ok {
			return "", errf("forbidden", "这件待办已委托%s办理；要自己办理，请先收回委托。", o.chart.Name(t.Assignee))
		}
		return "", nil
	}
	return "", errf("forbidden", "这不是您的待办。")
}

// RouteOption is one way on from a step, with the steps it reaches and
// who may act at each.
type RouteOption struct {
	To    string       `json:"to"` // the node the edge enters
	Label string       `json:"label"`
	Steps []StepOption `json:"steps"`
	End   bool         `json:"end,omitempty"` // the flow ends this way
}

// StepOption is a step the document reaches, and its people.
type StepOption struct {
	Node       string   `json:"node"`
	Name       string   `json:"name"`
	Kind       string   `json:"kind"` // task, read
	Mode       string   `json:"mode"`
	Candidates []Person `json:"candidates"`
	Defaults   []string `json:"defaults"`
	Choose     bool     `json:"choose"` // the submitter chooses among Candidates
	Multi      bool     `json:"multi"`  // more than one may be chosen
	Optional   bool     `json:"optional"`
}

// Person is someone who may act at a step.
type Person struct {
	Login string `json:"login"`
	Name  string `json:"name"`
	Dept  string `json:"dept"`
}

// people resolves who may act at n, and who acts when nobody chooses.
func (o *op) people(n *flow.Node) (cands, defaults []string, choose bool, err error) {
	add := func(list *[]string, ls ...string) {
		for _, l := range ls {
			if l != "" && !slices.Contains(*list, l) {
				if u, ok := o.chart.People[l]; ok && !u.Disabled {
					*list = append(*list, l)
				}
			}
		}
	}
	organ := o.doc.Organ
	dept := o.doc.StarterDept
	if o.doc.LeadDept != "" && o.doc.Kind == "收文" {
		dept = o.doc.LeadDept
	}
	for _, a := range n.Assignees {
		var got []string
		switch a.Kind {
		case flow.Person:
			got = []string{a.Ref}
		case flow.Role:
			got = o.chart.Holders(a.Ref, organ)
		case flow.Dept:
			got = o.chart.Members(a.Ref)
		case flow.DeptLeader:
			d := a.Ref
			if d == "" {
				d = dept
			}
			got = []string{o.chart.LeaderOf(d)}
		case flow.InCharge:
			got = []string{o.chart.InChargeOf(dept)}
		case flow.StarterLeader:
			l := o.chart.LeaderOf(o.doc.StarterDept)
			if l == o.doc.Starter {
				if dep, ok := o.chart.Depts[o.doc.StarterDept]; ok {
					l = o.chart.LeaderOf(dep.Parent)
				}
			}
			got = []string{l}
		case flow.Previous:
			var who, behalf string
			err := o.tx.QueryRowContext(o.ctx, `SELECT done_by, on_behalf FROM tasks WHERE instance = ? AND node = ? AND state = 'done'
				AND action IN ('approve', '') ORDER BY done DESC, id DESC LIMIT 1`, o.inst.ID, a.Ref).Scan(&who, &behalf)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return nil, nil, false, err
			}
			if behalf != "" {
				who = behalf
			}
			if who == "" && a.Ref == o.def.StartNode().ID {
				who = o.doc.Starter
			}
			got = []string{who}
		case flow.Chosen:
			choose = true
			switch a.Ref {
			case "":
				add(&cands, o.chart.Enabled()...)
			case "leaders":
				add(&cands, o.chart.WithRole("leader")...)
			case "dept_leaders":
				add(&cands, o.chart.DeptLeaders()...)
			default:
				add(&cands, o.chart.Holders(a.Ref, organ)...)
			}
			continue
		}
		add(&defaults, got...)
		add(&cands, got...)
	}
	mode := n.Mode
	if mode == "" {
		mode = flow.Single
	}
	if mode == flow.Single && len(defaults) > 1 {
		choose = true
	}
	return cands, defaults, choose, nil
}

func (o *op) personOf(l string) Person {
	p := Person{Login: l, Name: o.chart.Name(l)}
	if d := o.chart.FirstDept(l); d != "" {
		p.Dept = o.chart.DeptName(d)
	}
	return p
}

// stepOption describes node n as the submit form offers it.
func (o *op) stepOption(n *flow.Node) (StepOption, error) {
	cands, defs, choose, err := o.people(n)
	if err != nil {
		return StepOption{}, err
	}
	mode := n.Mode
	if mode == "" {
		mode = flow.Single
	}
	kind := "task"
	if n.Type == flow.Read {
		kind = "read"
	}
	so := StepOption{Node: n.ID, Name: n.Name, Kind: kind, Mode: string(mode), Defaults: defs, Choose: choose,
		Multi: mode != flow.Single || n.Type == flow.Read, Optional: n.Type == flow.Read}
	if defs == nil {
		so.Defaults = []string{}
	}
	for _, c := range cands {
		so.Candidates = append(so.Candidates, o.personOf(c))
	}
	return so, nil
}

// routes are the ways on from node n once it is complete.
func (o *op) routes(n *flow.Node) ([]RouteOption, error) {
	var out []RouteOption
	for _, e := range o.def.Out(n.ID) {
		ro := RouteOption{To: e.To, Label: e.Label}
		if ro.Label == "" {
			ro.Label = "送" + o.def.Node(e.To).Name
		}
		if err := o.reachSteps(e.To, &ro, map[string]bool{}); err != nil {
			return nil, err
		}
		out = append(out, ro)
	}
	return out, nil
}

// reachSteps follows the flow from id through choices, splits, reads and
// joins to the task nodes that will wait for people.
func (o *op) reachSteps(id string, ro *RouteOption, seen map[string]bool) error {
	if seen[id] {
		return nil
	}
	seen[id] = true
	n := o.def.Node(id)
	switch n.Type {
	case flow.End:
		ro.End = true
	case flow.Task, flow.Start:
		so, err := o.stepOption(n)
		if err != nil {
			return err
		}
		ro.Steps = append(ro.Steps, so)
	case flow.Read:
		so, err := o.stepOption(n)
		if err != nil {
			return err
		}
		ro.Steps = append(ro.Steps, so)
		return o.reachSteps(o.def.Out(id)[0].To, ro, seen)
	case flow.Exclusive:
		return o.reachSteps(o.choose(n).To, ro, seen)
	case flow.Split:
		for _, e := range o.def.Out(id) {
			if err := o.reachSteps(e.To, ro, seen); err != nil {
				return err
			}
		}
	case flow.Join:
		parked, err := o.parkedAt(id)
		if err != nil {
			return err
		}
		if parked+1 >= len(o.def.In(id)) {
			return o.reachSteps(o.def.Out(id)[0].To, ro, seen)
		}
	}
	return nil
}

func (o *op) parkedAt(id string) (int, error) {
	var n int
	err := o.tx.QueryRowContext(o.ctx, `SELECT count(*) FROM tokens WHERE instance = ? AND node = ? AND state = 'parked'`, o.inst.ID, id).Scan(&n)
	return n, err
}

// choose is the edge an exclusive choice takes on the document as it is.
func (o *op) choose(n *flow.Node) flow.Edge {
	fields := o.doc.Fields()
	var def flow.Edge
	for _, e := range o.def.Out(n.ID) {
		if e.Default {
			def = e
			continue
		}
		if e.When.Eval(fields) {
			return e
		}
	}
	return def
}

// advance moves token on from node n, which is complete, by the route
// the person chose (or the only one), creating the next tasks.
func (o *op) advance(token int64, n *flow.Node, a Action, origin int64) error {
	out := o.def.Out(n.ID)
	var e flow.Edge
	switch {
	case len(out) == 1:
		e = out[0]
	case a.Route != "":
		found := false
		for _, x := range out {
			if x.To == a.Route {
				e, found = x, true
			}
		}
		if !found {
			return errf("invalid", "「%s」之后不能送往 %q。", n.Name, a.Route)
		}
	default:
		opts, err := o.routes(n)
		if err != nil {
			return err
		}
		var names []string
		for _, r := range opts {
			names = append(names, r.Label)
		}
		return &Error{Code: "choose_next", Msg: fmt.Sprintf("请选择下一步：%s。", strings.Join(names, "或")), Options: opts}
	}
	if _, err := o.tx.ExecContext(o.ctx, `UPDATE tokens SET state = 'done' WHERE id = ?`, token); err != nil {
		return err
	}
	return o.enter(e.To, a, origin, map[string]int{})
}

// enter brings a new token into node id.
func (o *op) enter(id string, a Action, origin int64, visits map[string]int) error {
	visits[id]++
	if visits[id] > 64 {
		return errf("invalid", "流程在节点 %q 处循环，无法继续。", id)
	}
	n := o.def.Node(id)
	switch n.Type {
	case flow.End:
		tok, err := o.newToken(id, "done", origin)
		if err != nil {
			return err
		}
		_ = tok
		return o.maybeComplete(n)
	case flow.Exclusive:
		return o.enter(o.choose(n).To, a, origin, visits)
	case flow.Split:
		for _, e := range o.def.Out(id) {
			if err := o.enter(e.To, a, origin, visits); err != nil {
				return err
			}
		}
		return nil
	case flow.Join:
		parked, err := o.parkedAt(id)
		if err != nil {
			return err
		}
		if parked+1 < len(o.def.In(id)) {
			_, err := o.newToken(id, "parked", origin)
			return err
		}
		if _, err := o.tx.ExecContext(o.ctx, `UPDATE tokens SET state = 'done' WHERE instance = ? AND node = ? AND state = 'parked'`, o.inst.ID, id); err != nil {
			return err
		}
		return o.enter(o.def.Out(id)[0].To, a, origin, visits)
	case flow.Read:
		readers, err := o.picked(n, a)
		if err != nil {
			return err
		}
		tok, err := o.newToken(id, "done", origin)
		if err != nil {
			return err
		}
		for _, r := range readers {
			if _, err := o.addTask(newTask{token: tok, node: n, kind: "read", login: r, state: "open", origin: origin}); err != nil {
				return err
			}
		}
		return o.enter(o.def.Out(id)[0].To, a, origin, visits)
	}
	// A task (or the start, entered again by 退回).
	people, err := o.picked(n, a)
	if err != nil {
		return err
	}
	tok, err := o.newToken(id, "active", origin)
	if err != nil {
		return err
	}
	if err := o.assign(tok, n, people, origin); err != nil {
		return err
	}
	o.doc.State = n.StateName()
	o.setState()
	return nil
}

// assign creates the tasks of a node for people, as its mode says.
func (o *op) assign(tok int64, n *flow.Node, people []string, origin int64) error {
	for i, p := range people {
		state := "open"
		if n.Mode == flow.Sequential && i > 0 {
			state = "queued"
		}
		if _, err := o.addTask(newTask{token: tok, node: n, kind: "task", login: p, state: state, ord: i, origin: origin}); err != nil {
			return err
		}
	}
	return nil
}

// picked are the people who act at n: those the submitter chose (each one
// a candidate), or the defaults.
func (o *op) picked(n *flow.Node, a Action) ([]string, error) {
	cands, defaults, choose, err := o.people(n)
	if err != nil {
		return nil, err
	}
	mode := n.Mode
	if mode == "" {
		mode = flow.Single
	}
	chosen, given := a.People[n.ID]
	var out []string
	if given && (choose || len(chosen) > 0) {
		for _, c := range chosen {
			c = strings.TrimSpace(c)
			if c == "" || slices.Contains(out, c) {
				continue
			}
			if !slices.Contains(cands, c) {
				return nil, errf("invalid", "%s 不能办理「%s」。", o.chart.Name(c), n.Name)
			}
			out = append(out, c)
		}
	} else {
		out = defaults
	}
	if n.Type == flow.Read {
		return out, nil
	}
	switch {
	case len(out) == 0 && len(cands) == 0:
		return nil, errf("invalid", "「%s」没有可以办理的人，请管理员检查角色设置。", n.Name)
	case len(out) == 0, mode == flow.Single && len(out) > 1:
		opt, err := o.stepOption(n)
		if err != nil {
			return nil, err
		}
		msg := fmt.Sprintf("请为「%s」选择办理人。", n.Name)
		if mode == flow.Single && len(out) > 1 {
			msg = fmt.Sprintf("「%s」只能选择一位办理人。", n.Name)
		}
		return nil, &Error{Code: "choose_next", Msg: msg, Options: []RouteOption{{To: n.ID, Label: n.Name, Steps: []StepOption{opt}}}}
	}
	return out, nil
}

// maybeComplete ends the instance when no branch is left.
func (o *op) maybeComplete(end *flow.Node) error {
	var live int
	if err := o.tx.QueryRowContext(o.ctx, `SELECT count(*) FROM tokens WHERE instance = ? AND state IN ('active', 'parked')`, o.inst.ID).Scan(&live); err != nil {
		return err
	}
	if live > 0 {
		return nil
	}
	open, err := o.tasksWhere(`instance = ? AND kind = 'task' AND state IN ('open', 'queued', 'waiting')`, o.inst.ID)
	if err != nil {
		return err
	}
	for _, t := range open {
		if err := o.closeTask(t, "cancelled", "end"); err != nil {
			return err
		}
	}
	if _, err := o.tx.ExecContext(o.ctx, `UPDATE instances SET status = 'completed', ended = ? WHERE id = ?`, ts(o.now), o.inst.ID); err != nil {
		return err
	}
	o.inst.Status = "completed"
	o.doc.State = end.StateName()
	o.setState()
	return o.trail("end", "", end.ID, "", nil)
}

// terminate ends the flow as 作废 (or the state given).
func (o *op) terminate(state string) error {
	open, err := o.tasksWhere(`instance = ? AND state IN ('open', 'queued', 'waiting')`, o.inst.ID)
	if err != nil {
		return err
	}
	for _, t := range open {
		if err := o.closeTask(t, "cancelled", "void"); err != nil {
			return err
		}
	}
	if _, err := o.tx.ExecContext(o.ctx, `UPDATE tokens SET state = 'done' WHERE instance = ? AND state != 'done'`, o.inst.ID); err != nil {
		return err
	}
	if _, err := o.tx.ExecContext(o.ctx, `UPDATE instances SET status = 'terminated', ended = ? WHERE id = ?`, ts(o.now), o.inst.ID); err != nil {
		return err
	}
	o.inst.Status = "terminated"
	o.doc.State = state
	o.doc.Voided = state == "作废"
	o.setState()
	if o.doc.Number != "" {
		if _, err := o.tx.ExecContext(o.ctx, `UPDATE registers SET voided = ? WHERE doc = ? AND voided = ''`, ts(o.now), o.doc.ID); err != nil {
			return err
		}
	}
	return nil
}

// jump cancels every open task and branch and starts again at target,
// with the person who acted there last (the drafter at the start).
func (o *op) jump(target string, origin int64) error {
	open, err := o.tasksWhere(`instance = ? AND kind = 'task' AND state IN ('open', 'queued', 'waiting')`, o.inst.ID)
	if err != nil {
		return err
	}
	for _, t := range open {
		if err := o.closeTask(t, "cancelled", "return"); err != nil {
			return err
		}
	}
	if _, err := o.tx.ExecContext(o.ctx, `UPDATE tokens SET state = 'done' WHERE instance = ? AND state != 'done'`, o.inst.ID); err != nil {
		return err
	}
	n := o.def.Node(target)
	var who []string
	if n.Type == flow.Start {
		who = []string{o.doc.Starter}
	} else {
		rows, err := o.tasksWhere(`instance = ? AND node = ? AND state = 'done' AND kind = 'task'`, o.inst.ID, target)
		if err != nil {
			return err
		}
		for _, t := range rows {
			l := t.DoneBy
			if t.OnBehalf != "" {
				l = t.OnBehalf
			}
			if !slices.Contains(who, l) {
				who = append(who, l)
			}
		}
		if len(who) == 0 {
			if who, err = o.picked(n, Action{}); err != nil {
				return err
			}
		}
		if (n.Mode == "" || n.Mode == flow.Single) && len(who) > 1 {
			who = who[len(who)-1:]
		}
	}
	tok, err := o.newToken(target, "active", origin)
	if err != nil {
		return err
	}
	if err := o.assign(tok, n, who, origin); err != nil {
		return err
	}
	o.doc.State = n.StateName()
	if n.Type == flow.Start {
		o.doc.State = "退回修改"
	}
	o.setState()
	return nil
}

// nodeDone reports whether the node of token is complete after task t was
// approved, opening whoever comes next in a 串签 or after a 加签.
func (o *op) nodeDone(n *flow.Node, t taskRow) (bool, error) {
	// Someone added after t (加签 after) acts next.
	after, err := o.tasksWhere(`token = ? AND state = 'queued' AND after_of = ?`, t.Token, t.ID)
	if err != nil {
		return false, err
	}
	if len(after) > 0 {
		return false, o.openTask(after[0])
	}
	pending, err := o.tasksWhere(`token = ? AND kind = 'task' AND state IN ('open', 'queued', 'waiting')`, t.Token)
	if err != nil {
		return false, err
	}
	mode := n.Mode
	if mode == "" {
		mode = flow.Single
	}
	var required []taskRow // added signers must act whatever the mode
	for _, p := range pending {
		if p.Added {
			required = append(required, p)
		}
	}
	switch mode {
	case flow.Any:
		if len(required) > 0 {
			return false, nil
		}
		return true, o.cancelPending(pending)
	case flow.Ratio:
		var total, done int
		if err := o.tx.QueryRowContext(o.ctx, `SELECT count(*), coalesce(sum(state = 'done' AND action = 'approve'), 0) FROM tasks
			WHERE token = ? AND kind = 'task' AND added = 0 AND state != 'cancelled' AND alt_of = 0`, t.Token).Scan(&total, &done); err != nil {
			return false, err
		}
		if len(required) == 0 && total > 0 && float64(done)/float64(total) >= n.Ratio-1e-9 {
			return true, o.cancelPending(pending)
		}
		if len(pending) == 0 {
			return true, nil
		}
		return false, nil
	case flow.Sequential:
		for _, p := range pending {
			if p.State == "open" || p.State == "waiting" {
				return false, nil
			}
		}
		if len(pending) > 0 {
			return false, o.openTask(pending[0])
		}
		return true, nil
	}
	// single and all: everyone.
	return len(pending) == 0, nil
}

func (o *op) cancelPending(ts []taskRow) error {
	for _, p := range ts {
		if err := o.closeTask(p, "cancelled", "any"); err != nil {
			return err
		}
	}
	return nil
}

func (o *op) openTask(t taskRow) error {
	if _, err := o.tx.ExecContext(o.ctx, `UPDATE tasks SET state = 'open', created = ?, due = ? WHERE id = ?`, ts(o.now), o.due(o.def.Node(t.Node)), t.ID); err != nil {
		return err
	}
	o.emit(contract.TodoCreated, t.ID, "")
	return nil
}

// opinion records an opinion in the node's field.
func (o *op) opinion(t taskRow, n *flow.Node, action, text string) error {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil
	}
	field := n.Opinion
	if field == "" {
		field = n.Name + "意见"
	}
	_, err := o.tx.ExecContext(o.ctx, `INSERT INTO opinions (doc, task, node, field, login, as_whom, action, text, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.doc.ID, t.ID, n.ID, field, o.actor, o.as, action, text, ts(o.now))
	return err
}
