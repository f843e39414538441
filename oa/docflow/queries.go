package docflow

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"nanhu/internal/searchtext"
	"nanhu/oa/flow"
	"nanhu/oa/org"
)

const taskViewQuery = `SELECT t.id, t.doc, t.node, t.kind, t.assignee, t.on_behalf, t.state, t.created, t.opened, t.done, t.action,
	t.due, t.overdue, t.sender, d.title, d.number, d.kind, d.urgency, i.flow, i.flow_version
	FROM tasks t JOIN documents d ON d.id = t.doc JOIN instances i ON i.id = t.instance`

func (s *Store) scanTasks(ctx context.Context, rows *sql.Rows) ([]Task, error) {
	defer rows.Close()
	chart, err := s.chartNow(ctx)
	if err != nil {
		return nil, err
	}
	var out []Task
	for rows.Next() {
		var t Task
		var created, opened, done, due, overdue, fk string
		var fv int
		var urg string
		if err := rows.Scan(&t.ID, &t.Doc, &t.Node, &t.Kind, &t.Assignee, &t.OnBehalf, &t.State, &created, &opened, &done, &t.DoneAction,
			&due, &overdue, &t.Sender, &t.Title, &t.Number, &t.DocKind, &urg, &fk, &fv); err != nil {
			return nil, err
		}
		t.Created, t.Opened, t.Done, t.Due = parseTS(created), parseTS(opened), parseTS(done), parseTS(due)
		t.Overdue = overdue != "" || (t.State == "open" && !t.Due.IsZero() && s.now().After(t.Due))
		t.Urgency = urg
		if t.Urgency == "" {
			t.Urgency = "平件"
		}
		t.AssigneeName = chart.Name(t.Assignee)
		t.Step = t.Node
		if def, err := s.Flow(ctx, fk, fv); err == nil {
			if n := def.Node(t.Node); n != nil {
				t.Step = n.Name
				if t.Kind == "read" {
					t.Actions = []string{"read"}
				} else {
					t.Actions = actionsOf(n)
				}
			}
		}
		if t.Kind == "read" {
			t.Step = "传阅：" + t.Step
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Task is one task.
func (s *Store) Task(ctx context.Context, id int64) (Task, error) {
	rows, err := s.db.Reader().QueryContext(ctx, taskViewQuery+` WHERE t.id = ?`, id)
	if err != nil {
		return Task{}, err
	}
	ts, err := s.scanTasks(ctx, rows)
	if err != nil {
		return Task{}, err
	}
	if len(ts) == 0 {
		return Task{}, errf("not_found", "没有编号为 %d 的待办。", id)
	}
	return ts[0], nil
}

// urgencyRank is the order of an urgency in the 待办 list, as the
// tasks' urg column keeps it: 特急, then 加急, then the rest.
func urgencyRank(u string) int {
	switch u {
	case "特急":
		return 0
	case "加急":
		return 1
	}
	return 2
}

// Todos are login's open tasks (待办): by urgency, then deadline (those
// without one last), then age.
func (s *Store) Todos(ctx context.Context, login string, limit int) ([]Task, error) {
	return s.TodosPage(ctx, login, 0, limit)
}

// TodosPage is a page of Todos: limit tasks from offset, in the order
// of tasks_todo, so that only the page's rows are joined to their
// documents.
func (s *Store) TodosPage(ctx context.Context, login string, offset, limit int) ([]Task, error) {
	rows, err := s.db.Reader().QueryContext(ctx, taskViewQuery+` WHERE t.assignee = ? AND t.state = 'open' AND t.kind = 'task'
		ORDER BY t.urg, t.due = '', t.due, t.id LIMIT ? OFFSET ?`, login, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("docflow: 待办 of %s: %w", login, err)
	}
	return s.scanTasks(ctx, rows)
}

// OpenCounts counts login's open tasks, 待办 and 待阅 (传阅), from
// tasks_todo alone.
func (s *Store) OpenCounts(ctx context.Context, login string) (tasks, reads int, err error) {
	err = s.db.Reader().QueryRowContext(ctx, `SELECT (SELECT count(*) FROM tasks WHERE assignee = ?1 AND state = 'open' AND kind = 'task'),
		(SELECT count(*) FROM tasks WHERE assignee = ?1 AND state = 'open' AND kind = 'read')`, login).Scan(&tasks, &reads)
	if err != nil {
		err = fmt.Errorf("docflow: open tasks of %s: %w", login, err)
	}
	return tasks, reads, err
}

// Reads are login's unread 传阅 (待阅).
func (s *Store) Reads(ctx context.Context, login string, limit int) ([]Task, error) {
	rows, err := s.db.Reader().QueryContext(ctx, taskViewQuery+` WHERE t.assignee = ? AND t.state = 'open' AND t.kind = 'read'
		ORDER BY t.id DESC LIMIT ?`, login, limit)
	if err != nil {
		return nil, err
	}
	return s.scanTasks(ctx, rows)
}

// Done are the tasks login has done (已办), newest first.
func (s *Store) Done(ctx context.Context, login string, limit int) ([]Task, error) {
	rows, err := s.db.Reader().QueryContext(ctx, taskViewQuery+` WHERE t.done_by = ? AND t.state = 'done'
		ORDER BY t.done DESC LIMIT ?`, login, limit)
	if err != nil {
		return nil, err
	}
	return s.scanTasks(ctx, rows)
}

// DocSummary is a document as lists show it.
type DocSummary struct {
	ID                      int64
	Kind, Type, Title       string
	Number, State, Urgency  string
	Organ, OrganName        string
	Starter, StarterName    string
	FromUnit                string
	Created, Updated        time.Time
	Holders                 []string // names of who has it now
	Registered              time.Time
	Voided                  bool
	RegisterNumber, Secrecy string
}

const docSummaryCols = `d.id, d.kind, d.type, d.title, d.number, d.state, d.urgency, d.organ, d.starter, d.from_unit, d.created, d.updated, d.registered, d.secrecy`

func (s *Store) scanDocs(ctx context.Context, rows *sql.Rows) ([]DocSummary, error) {
	defer rows.Close()
	chart, err := s.chartNow(ctx)
	if err != nil {
		return nil, err
	}
	var out []DocSummary
	for rows.Next() {
		var d DocSummary
		var c, u, r string
		if err := rows.Scan(&d.ID, &d.Kind, &d.Type, &d.Title, &d.Number, &d.State, &d.Urgency, &d.Organ, &d.Starter, &d.FromUnit, &c, &u, &r, &d.Secrecy); err != nil {
			return nil, err
		}
		d.Created, d.Updated, d.Registered = parseTS(c), parseTS(u), parseTS(r)
		d.OrganName, d.StarterName = chart.DeptName(d.Organ), chart.Name(d.Starter)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	for i := range out {
		h, err := s.holders(ctx, out[i].ID, chart)
		if err != nil {
			return nil, err
		}
		out[i].Holders = h
	}
	return out, nil
}

func (s *Store) holders(ctx context.Context, doc int64, chart *org.Chart) ([]string, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT DISTINCT assignee FROM tasks WHERE doc = ? AND state = 'open' AND kind = 'task' ORDER BY id`, doc)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var l string
		rows.Scan(&l)
		out = append(out, chart.Name(l))
	}
	return out, rows.Err()
}

// Drafts are the documents login started that wait at their start step
// (我的草稿).
func (s *Store) Drafts(ctx context.Context, login string, limit int) ([]DocSummary, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT `+docSummaryCols+` FROM documents d JOIN instances i ON i.doc = d.id
		WHERE d.starter = ? AND i.status = 'running' AND EXISTS (SELECT 1 FROM tasks t JOIN tokens k ON k.id = t.token
		WHERE t.doc = d.id AND t.state = 'open' AND t.assignee = ? AND t.node = (SELECT node FROM tasks WHERE doc = d.id ORDER BY id LIMIT 1))
		ORDER BY d.updated DESC LIMIT ?`, login, login, limit)
	if err != nil {
		return nil, err
	}
	return s.scanDocs(ctx, rows)
}

// Tracking are the documents login started or handled, with where each
// is now (在办跟踪); running ones first.
func (s *Store) Tracking(ctx context.Context, login string, limit int) ([]DocSummary, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT `+docSummaryCols+` FROM documents d JOIN instances i ON i.doc = d.id
		WHERE d.starter = ? OR d.id IN (SELECT doc FROM tasks WHERE done_by = ?)
		ORDER BY i.status != 'running', d.updated DESC LIMIT ?`, login, login, limit)
	if err != nil {
		return nil, err
	}
	return s.scanDocs(ctx, rows)
}

// staffOrgans are the organs login sees every document of: those whose
// 文书 or leader they are.
func staffOrgans(chart *org.Chart, login string) []string {
	var out []string
	for _, code := range chart.Order {
		dep := chart.Depts[code]
		if dep.Daizi == "" {
			continue
		}
		if dep.Leader == login || chart.Holds(login, org.RoleClerk, code) {
			out = append(out, code)
		}
	}
	return out
}

// visibleSQL is the condition a document d must meet for login to see
// it, and its arguments.
func visibleSQL(chart *org.Chart, login string) (string, []any) {
	cond := `(d.starter = ? OR EXISTS (SELECT 1 FROM access a WHERE a.doc = d.id AND a.login = ?)`
	args := []any{login, login}
	if organs := staffOrgans(chart, login); len(organs) > 0 {
		cond += ` OR d.organ IN (?` + strings.Repeat(", ?", len(organs)-1) + `)`
		for _, o := range organs {
			args = append(args, o)
		}
	}
	return cond + ")", args
}

// CanSee reports whether login may see document id: the people in its
// flow, those given it to read, and the organ's 文书 and leaders.
func (s *Store) CanSee(ctx context.Context, login string, id int64) (bool, error) {
	chart, err := s.chartNow(ctx)
	if err != nil {
		return false, err
	}
	cond, args := visibleSQL(chart, login)
	var n int
	err = s.db.Reader().QueryRowContext(ctx, `SELECT count(*) FROM documents d WHERE d.id = ? AND `+cond, append([]any{id}, args...)...).Scan(&n)
	return n > 0, err
}

// Document is document id, whoever asks (check CanSee first).
func (s *Store) Document(ctx context.Context, id int64) (*Document, error) {
	return loadDocument(ctx, s.db.Reader(), id)
}

// Opinion is one opinion written on a document.
type Opinion struct {
	Node, Field, Login, Name, As, AsName, Action, Text string
	At                                                 time.Time
}

// BodyVersion is one saved version of the 正文.
type BodyVersion struct {
	Version    int
	At         time.Time
	By, ByName string
	Name       string
	Size       int64
	File       bool // an uploaded file (else typed text)
}

// Attachment is one attachment.
type Attachment struct {
	ID         int64
	Name       string
	Size       int64
	At         time.Time
	By, ByName string
}

// NodeState is a node of the flow as the diagram draws it.
type NodeState struct {
	ID, Name, Type string
	Done, Current  bool
}

// View is everything the document page shows, for one person.
type View struct {
	Doc          *Document
	Def          *flow.Def
	Status       string // running, completed, terminated
	Tasks        []Task // every task, oldest first
	Holders      []Task // the open tasks: where the document is now
	Mine         []Task // the viewer's open tasks on it
	Opinions     []Opinion
	Trail        []TrailEntry
	Bodies       []BodyVersion
	Attachments  []Attachment
	Nodes        []NodeState
	CanEdit      bool
	CanUrge      bool
	Withdrawable []Task // the viewer's done tasks they may still 撤回
	Chart        *org.Chart
}

// ViewOf is document id as login sees it; not_found when login may not
// see it (whether or not it exists).
func (s *Store) ViewOf(ctx context.Context, login string, id int64) (*View, error) {
	ok, err := s.CanSee(ctx, login, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		s.log.Info("OA document refused", "login", login, "doc", id)
		return nil, errf("not_found", "没有编号为 %d 的公文，或者您无权查看。", id)
	}
	doc, err := s.Document(ctx, id)
	if err != nil {
		return nil, err
	}
	chart, err := s.chartNow(ctx)
	if err != nil {
		return nil, err
	}
	v := &View{Doc: doc, Chart: chart}
	var fk string
	var fv int
	if err := s.db.Reader().QueryRowContext(ctx, `SELECT flow, flow_version, status FROM instances WHERE doc = ?`, id).Scan(&fk, &fv, &v.Status); err != nil {
		return nil, err
	}
	if v.Def, err = s.Flow(ctx, fk, fv); err != nil {
		return nil, err
	}
	rows, err := s.db.Reader().QueryContext(ctx, taskViewQuery+` WHERE t.doc = ? ORDER BY t.id`, id)
	if err != nil {
		return nil, err
	}
	if v.Tasks, err = s.scanTasks(ctx, rows); err != nil {
		return nil, err
	}
	done := map[string]bool{}
	current := map[string]bool{}
	for _, t := range v.Tasks {
		if t.Kind != "task" {
			continue
		}
		switch t.State {
		case "open":
			v.Holders = append(v.Holders, t)
			current[t.Node] = true
			if t.Assignee == login {
				v.Mine = append(v.Mine, t)
			} else if t.OnBehalf == login {
				// The principal's own task once the delegation ended or was
				// revoked, before the next tick gives it back.
				back, err := s.delegationEnded(ctx, t.ID, login)
				if err != nil {
					return nil, err
				}
				if back {
					v.Mine = append(v.Mine, t)
				}
			}
		case "done":
			done[t.Node] = true
		}
	}
	for _, t := range v.Tasks {
		if t.Kind == "read" && t.State == "open" && t.Assignee == login {
			v.Mine = append(v.Mine, t)
		}
	}
	for _, n := range v.Def.Nodes {
		v.Nodes = append(v.Nodes, NodeState{ID: n.ID, Name: n.Name, Type: string(n.Type), Done: done[n.ID], Current: current[n.ID]})
	}
	if v.Status == "completed" {
		for i := range v.Nodes {
			if v.Nodes[i].Type == string(flow.End) {
				v.Nodes[i].Current = true
			}
		}
	}
	for _, t := range v.Mine {
		if n := v.Def.Node(t.Node); n != nil && n.EditBody && t.Kind == "task" && v.Status == "running" {
			v.CanEdit = true
		}
	}
	v.CanUrge = login == doc.Starter || slices.Contains(staffOrgans(chart, login), doc.Organ)
	// 撤回: my last approval, when everything it created is unopened.
	if v.Status == "running" {
		for i := len(v.Tasks) - 1; i >= 0; i-- {
			t := v.Tasks[i]
			if t.State == "done" && t.DoneAction == flow.Approve && t.Kind == "task" {
				if s.withdrawable(ctx, t.ID) && (s.doneBy(ctx, t.ID) == login) {
					v.Withdrawable = append(v.Withdrawable, t)
				}
				break
			}
		}
	}
	orows, err := s.db.Reader().QueryContext(ctx, `SELECT node, field, login, as_whom, action, text, at FROM opinions WHERE doc = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	for orows.Next() {
		var op Opinion
		var at string
		if err := orows.Scan(&op.Node, &op.Field, &op.Login, &op.As, &op.Action, &op.Text, &at); err != nil {
			orows.Close()
			return nil, err
		}
		op.At, op.Name, op.AsName = parseTS(at), chart.Name(op.Login), chart.Name(op.As)
		v.Opinions = append(v.Opinions, op)
	}
	orows.Close()
	if v.Trail, err = s.Trail(ctx, id); err != nil {
		return nil, err
	}
	brows, err := s.db.Reader().QueryContext(ctx, `SELECT version, at, by, name, size, data IS NOT NULL FROM bodies WHERE doc = ? ORDER BY version DESC`, id)
	if err != nil {
		return nil, err
	}
	for brows.Next() {
		var b BodyVersion
		var at string
		if err := brows.Scan(&b.Version, &at, &b.By, &b.Name, &b.Size, &b.File); err != nil {
			brows.Close()
			return nil, err
		}
		b.At, b.ByName = parseTS(at), chart.Name(b.By)
		v.Bodies = append(v.Bodies, b)
	}
	brows.Close()
	arows, err := s.db.Reader().QueryContext(ctx, `SELECT id, name, size, at, by FROM attachments WHERE doc = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	for arows.Next() {
		var a Attachment
		var at string
		if err := arows.Scan(&a.ID, &a.Name, &a.Size, &at, &a.By); err != nil {
			arows.Close()
			return nil, err
		}
		a.At, a.ByName = parseTS(at), chart.Name(a.By)
		v.Attachments = append(v.Attachments, a)
	}
	arows.Close()
	if len(v.Mine) > 0 {
		if err := s.MarkOpened(ctx, login, id); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func (s *Store) doneBy(ctx context.Context, task int64) string {
	var by, behalf string
	s.db.Reader().QueryRowContext(ctx, `SELECT done_by, on_behalf FROM tasks WHERE id = ?`, task).Scan(&by, &behalf)
	return by
}

// withdrawable: every task the approval created is still open and
// unopened.
func (s *Store) withdrawable(ctx context.Context, task int64) bool {
	var total, fresh int
	s.db.Reader().QueryRowContext(ctx, `SELECT count(*), coalesce(sum(state IN ('open', 'queued') AND opened = ''), 0) FROM tasks
		WHERE origin = ? AND kind = 'task'`, task).Scan(&total, &fresh)
	return total > 0 && total == fresh
}

// File is a stored file.
type File struct {
	Name, Type string
	Data       []byte
}

// Body is version of the 正文 of doc (0: the latest).
func (s *Store) Body(ctx context.Context, doc int64, version int) (File, error) {
	var f File
	var text string
	q := `SELECT name, ctype, data, text FROM bodies WHERE doc = ? AND version = ?`
	args := []any{doc, version}
	if version == 0 {
		q = `SELECT name, ctype, data, text FROM bodies WHERE doc = ? ORDER BY version DESC LIMIT 1`
		args = args[:1]
	}
	err := s.db.Reader().QueryRowContext(ctx, q, args...).Scan(&f.Name, &f.Type, &f.Data, &text)
	if errors.Is(err, sql.ErrNoRows) {
		return f, errf("not_found", "没有这一版正文。")
	}
	if f.Data == nil {
		f.Data = []byte(text)
	}
	return f, err
}

// AttachmentFile is attachment id of doc.
func (s *Store) AttachmentFile(ctx context.Context, doc, id int64) (File, error) {
	var f File
	err := s.db.Reader().QueryRowContext(ctx, `SELECT name, ctype, data FROM attachments WHERE doc = ? AND id = ?`, doc, id).Scan(&f.Name, &f.Type, &f.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return f, errf("not_found", "没有这个附件。")
	}
	return f, err
}

// RegisterFilter narrows a register.
type RegisterFilter struct {
	Kind     string // 发文 or 收文
	Organ    string
	Year     int
	Type     string
	State    string
	From, To time.Time // registration time
	Limit    int
}

// RegisterRow is one line of the 发文登记簿 or 收文登记簿.
type RegisterRow struct {
	Number     string
	Seq        int
	Doc        int64
	Title      string
	Type       string
	Organ      string
	FromUnit   string
	OrigNumber string
	At         time.Time
	ByName     string
	State      string
	Voided     bool
	Urgency    string
	Secrecy    string
	MainTo     string
	Signer     string
}

// Register lists the numbers given, in order; a number whose document was
// 作废 shows as voided. login must be a 文书 or leader of the organ, or
// sees only the documents they may see.
func (s *Store) Register(ctx context.Context, login string, f RegisterFilter) ([]RegisterRow, error) {
	chart, err := s.chartNow(ctx)
	if err != nil {
		return nil, err
	}
	cond, args := visibleSQL(chart, login)
	q := `SELECT r.number, r.seq, r.doc, r.at, r.by, r.voided, d.data FROM registers r JOIN documents d ON d.id = r.doc WHERE r.kind = ? AND ` + cond
	args = append([]any{f.Kind}, args...)
	if f.Organ != "" {
		q += ` AND d.organ = ?`
		args = append(args, f.Organ)
	}
	if f.Year > 0 {
		q += ` AND r.year = ?`
		args = append(args, f.Year)
	}
	if f.Type != "" {
		q += ` AND d.type = ?`
		args = append(args, f.Type)
	}
	if f.State != "" {
		q += ` AND d.state = ?`
		args = append(args, f.State)
	}
	if !f.From.IsZero() {
		q += ` AND r.at >= ?`
		args = append(args, ts(f.From))
	}
	if !f.To.IsZero() {
		q += ` AND r.at < ?`
		args = append(args, ts(f.To))
	}
	limit := f.Limit
	if limit <= 0 || limit > 10000 {
		limit = 10000
	}
	q += ` ORDER BY r.key, r.year, r.seq LIMIT ?`
	args = append(args, limit)
	rows, err := s.db.Reader().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("docflow: read the register: %w", err)
	}
	defer rows.Close()
	var out []RegisterRow
	for rows.Next() {
		var r RegisterRow
		var at, by, voided, data string
		if err := rows.Scan(&r.Number, &r.Seq, &r.Doc, &at, &by, &voided, &data); err != nil {
			return nil, err
		}
		r.At, r.ByName, r.Voided = parseTS(at), chart.Name(by), voided != ""
		var d Document
		if err := jsonUnmarshal(data, &d); err == nil {
			r.Title, r.Type, r.Organ, r.State, r.Urgency, r.Secrecy = d.Title, d.Type, chart.DeptName(d.Organ), d.State, d.Urgency, d.Secrecy
			r.FromUnit, r.OrigNumber, r.MainTo = d.FromUnit, d.OrigNumber, strings.Join(d.MainTo, "、")
			for _, sg := range d.Signers {
				r.Signer = sg.Name
			}
		}
		if r.Voided {
			r.State = "作废"
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Search finds the documents login may see whose 标题, 文号, 来文单位 or
// 正文 text contain q.
func (s *Store) Search(ctx context.Context, login, q string, limit int) ([]DocSummary, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, nil
	}
	chart, err := s.chartNow(ctx)
	if err != nil {
		return nil, err
	}
	cond, args := visibleSQL(chart, login)
	var rows *sql.Rows
	if m := searchtext.MatchQuery(q); m != "" {
		rows, err = s.db.Reader().QueryContext(ctx, `SELECT `+docSummaryCols+` FROM documents d
			WHERE d.id IN (SELECT docid FROM documents_fts WHERE tokens MATCH ?) AND `+cond+` ORDER BY d.updated DESC LIMIT ?`,
			append(append([]any{m}, args...), limit)...)
	} else {
		like := "%" + strings.NewReplacer("%", "\\%", "_", "\\_").Replace(q) + "%"
		rows, err = s.db.Reader().QueryContext(ctx, `SELECT `+docSummaryCols+` FROM documents d
			WHERE (d.title LIKE ? ESCAPE '\' OR d.number LIKE ? ESCAPE '\') AND `+cond+` ORDER BY d.updated DESC LIMIT ?`,
			append(append([]any{like, like}, args...), limit)...)
	}
	if err != nil {
		return nil, fmt.Errorf("docflow: search: %w", err)
	}
	return s.scanDocs(ctx, rows)
}

// Phrases are login's 常用意见.
func (s *Store) Phrases(ctx context.Context, login string) ([]string, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT text FROM phrases WHERE login = ? ORDER BY rowid`, login)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		rows.Scan(&t)
		out = append(out, t)
	}
	return out, rows.Err()
}

// AddPhrase keeps a 常用意见.
func (s *Store) AddPhrase(ctx context.Context, login, text string) error {
	text = strings.TrimSpace(text)
	if text == "" || len([]rune(text)) > 200 {
		return errf("invalid", "常用意见应为 1 到 200 个字。")
	}
	_, err := s.db.Writer().ExecContext(ctx, `INSERT OR IGNORE INTO phrases (login, text) VALUES (?, ?)`, login, text)
	return err
}

// OverdueByDept counts open overdue tasks by the assignee's department,
// for the leader's workbench.
func (s *Store) OverdueByDept(ctx context.Context) (map[string]int, error) {
	chart, err := s.chartNow(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT assignee, count(*) FROM tasks WHERE state = 'open' AND kind = 'task'
		AND (overdue != '' OR (due != '' AND due < ?)) GROUP BY assignee`, ts(s.now()))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var l string
		var n int
		rows.Scan(&l, &n)
		out[chart.DeptName(chart.FirstDept(l))] += n
	}
	return out, rows.Err()
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// delegationEnded tells whether the delegation that gave task its
// assignee has ended or been revoked.
func (s *Store) delegationEnded(ctx context.Context, task int64, principal string) (bool, error) {
	var ends, revoked string
	err := s.db.Reader().QueryRowContext(ctx, `SELECT d.ends, d.revoked FROM tasks t JOIN delegations d ON d.id = t.delegation WHERE t.id = ?`, task).Scan(&ends, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		// No delegation any more: the tick may have given the task back
		// since the caller read it, and then it is the principal's.
		var mine bool
		err := s.db.Reader().QueryRowContext(ctx, `SELECT assignee = ? AND state = 'open' FROM tasks WHERE id = ?`, principal, task).Scan(&mine)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return mine, err
	}
	if err != nil {
		return false, fmt.Errorf("docflow: read the delegation of task %d: %w", task, err)
	}
	return revoked != "" || (ends != "" && ends <= ts(s.now())), nil
}
