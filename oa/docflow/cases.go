package docflow

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"nanhu/internal/workcal"
	"nanhu/oa/flow"
	"nanhu/queue/contract"
)

// The flows citizens' cases run on (oa/flow/standard).
const (
	CaseFlow    = "来信"   // 受理 → 分办 → 办理答复 → 审核答复 → 办结
	RectifyFlow = "来信整改" // a 不满意 rating: 整改 → 回访
	ExtendFlow  = "来信延期" // the handler's 延期, approved by a 受理员
)

// CaseOrgan is the organ whose 受理员 take citizens' cases when Options
// names none: the 信访局.
const CaseOrgan = "xfj"

// CaseInfo is what OA knows of the citizen's case a 来信 document
// carries. A writer who asked for 保密 reaches OA without name, mobile or
// address: the portal leaves them out.
type CaseInfo struct {
	Doc          int64     `json:"doc"`
	Case         int64     `json:"case"`
	Number       string    `json:"number"` // 工单编号
	Kind         string    `json:"kind"`   // 咨询, 投诉…
	Category     string    `json:"category,omitempty"`
	Channel      string    `json:"channel,omitempty"`
	Writer       string    `json:"writer,omitempty"`
	Mobile       string    `json:"mobile,omitempty"`
	Address      string    `json:"address,omitempty"`
	Confidential bool      `json:"confidential,omitempty"`
	Anonymous    bool      `json:"anonymous,omitempty"`
	Received     time.Time `json:"received"`
	Round        string    `json:"round"` // handle (first), rework (重办), rectify (整改)
	Rating       int       `json:"rating,omitempty"`
}

// Rounds of a case in OA.
const (
	RoundHandle  = "handle"
	RoundRework  = "rework"
	RoundRectify = "rectify"
	RoundExtend  = "extend" // a 延期 request
)

// ChannelNames are a case's channels in words.
var ChannelNames = map[string]string{"web": "网站", "sms": "短信", "mail": "邮件", "open311": "Open311 接口", "phone": "电话代录"}

// HandlePortal carries out a portal.case event: a new or reopened case
// starts a 来信办理 flow whose first step waits for the 受理员; what
// the citizen adds is noted on the running flow; a rating of 不满意 or
// worse starts a 整改 for the case's handler. An event handled before
// changes nothing.
func (s *Store) HandlePortal(ctx context.Context, ev contract.PortalCase) error {
	switch ev.Type {
	case contract.CaseOpened:
		return s.openCase(ctx, ev, CaseFlow, RoundHandle, "accept", nil)
	case contract.CaseReopened:
		return s.openCase(ctx, ev, CaseFlow, RoundRework, "dispatch", nil)
	case contract.CaseInfoAdded:
		return s.caseInfo(ctx, ev)
	case contract.CaseRated:
		return s.caseRated(ctx, ev)
	case contract.CaseMerged:
		return s.caseMerged(ctx, ev)
	}
	return nil
}

// caseMerged ends the flow of a case the dispatcher merged into another:
// its open tasks are cancelled, and the document says where it went.
func (s *Store) caseMerged(ctx context.Context, ev contract.PortalCase) error {
	return s.portalEvent(ctx, ev, func(o *op) error {
		r, err := s.caseOf(o.ctx, o.tx, ev.Case)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := o.load(r.info.Doc); err != nil {
			return err
		}
		if o.inst.Status != "running" {
			return nil
		}
		o.doc.Remark = "已合并到来信 " + ev.Note + " 办理。"
		o.docDirty = true
		if err := o.terminate("已合并"); err != nil {
			return err
		}
		return o.trail("case_merged", "", "", o.doc.Remark, nil)
	})
}

// portalEvent carries out fn for a portal.case event as one action of
// the engine, once: an event whose id was handled before does nothing.
func (s *Store) portalEvent(ctx context.Context, ev contract.PortalCase, fn func(o *op) error) error {
	return s.begin(ctx, System, func(o *op) error {
		o.src = "portal"
		res, err := o.tx.ExecContext(o.ctx, `INSERT INTO actions_done (id, at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`, "portal.case/"+ev.ID, ts(o.now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // handled before
		}
		return fn(o)
	})
}

func (s *Store) caseOrgan() string {
	if s.opts.CaseOrgan != "" {
		return s.opts.CaseOrgan
	}
	return CaseOrgan
}

// openCase starts flow key for the case of ev, entering node at (the
// step after the start) with people (nil: the node's own).
func (s *Store) openCase(ctx context.Context, ev contract.PortalCase, key, round, at string, people []string) error {
	def, err := s.Flow(ctx, key, 0)
	if err != nil {
		return err
	}
	return s.portalEvent(ctx, ev, func(o *op) error {
		prev, err := s.caseOf(o.ctx, o.tx, ev.Case)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		info := CaseInfo{Case: ev.Case, Number: ev.Number, Kind: ev.Kind, Category: ev.Category, Channel: ev.Channel, Writer: ev.Writer,
			Mobile: ev.Mobile, Address: ev.Address, Confidential: ev.Confidential, Anonymous: ev.Anonymous, Received: ev.Received, Round: round}
		title, text := ev.Title, ev.Text
		if round != RoundHandle && prev.info.Doc != 0 {
			// 重办 and 整改 carry what the first round knew.
			info = prev.info
			info.Round, info.Rating = round, ev.Rating
			title, text = prev.title, prev.text
		}
		if info.Received.IsZero() {
			info.Received = o.now
		}
		organ := s.caseOrgan()
		d := &Document{Kind: "来信", Flow: def.Key, Type: ev.Kind, Title: title, Body: text, Organ: organ, Starter: "", StarterDept: organ,
			Created: o.now, Updated: o.now, Year: o.now.In(workcal.Shanghai()).Year(), OrigNumber: info.Number, FromUnit: writerLine(info),
			HandleBy: ev.Due, Disclosure: "不予公开", DisclosureReason: "来信涉及个人信息", Retention: "10年"}
		switch round {
		case RoundRework:
			d.Title = "【重办】" + title
			d.Remark = "来信人对答复不满意，申请重办：" + ev.Note
		case RoundRectify:
			d.Title = "【整改】" + title
			d.Remark = fmt.Sprintf("来信人评价为「%s」%s，须整改并回访。", contract.RatingName(ev.Rating), noteSuffix(ev.Note))
			d.HandleBy = ""
		}
		return o.startCase(def, d, info, title, text, at, people)
	})
}

// startCase starts def on the new 来信 document d, which carries info,
// entering node at with people (nil: the node's own).
func (o *op) startCase(def *flow.Def, d *Document, info CaseInfo, title, text, at string, people []string) error {
	start := def.StartNode()
	d.State = start.StateName()
	if err := insertDocument(o.ctx, o.tx, d); err != nil {
		return err
	}
	o.doc = d
	res, err := o.tx.ExecContext(o.ctx, `INSERT INTO instances (doc, flow, flow_version, status, started) VALUES (?, ?, ?, 'running', ?)`,
		d.ID, def.Key, def.Version, ts(o.now))
	if err != nil {
		return err
	}
	o.inst = instance{Doc: d.ID, Flow: def.Key, Version: def.Version, Status: "running"}
	o.inst.ID, _ = res.LastInsertId()
	o.def = def
	info.Doc = d.ID
	if err := insertCase(o.ctx, o.tx, info, title, text); err != nil {
		return err
	}
	if d.Body != "" {
		if err := o.addBody("来信内容.txt", "text/plain; charset=utf-8", nil, d.Body); err != nil {
			return err
		}
	}
	if _, err := o.newToken(start.ID, "done", 0); err != nil {
		return err
	}
	o.docDirty = true
	action := "case_open"
	if info.Round == RoundExtend {
		action = "case_extend_ask"
	}
	if err := o.trail(action, "", at, d.Remark, map[string]any{"flow": def.Key, "version": def.Version, "case": info.Number, "round": info.Round}); err != nil {
		return err
	}
	var a Action
	if people != nil {
		a.People = map[string][]string{at: people}
	}
	return o.enter(at, a, 0, map[string]int{})
}

func noteSuffix(note string) string {
	if note == "" {
		return ""
	}
	return "（" + note + "）"
}

// writerLine is the writer as the handling pages show them.
func writerLine(c CaseInfo) string {
	switch {
	case c.Anonymous:
		return "匿名来信"
	case c.Confidential:
		return "来信人要求保密"
	case c.Writer == "":
		return "来信人"
	}
	return c.Writer
}

type caseRow struct {
	info        CaseInfo
	title, text string
}

func insertCase(ctx context.Context, tx *sql.Tx, c CaseInfo, title, text string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO cases (doc, case_id, number, kind, category, channel, writer, mobile, address, confidential, anonymous,
		received, round, rating, title, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.Doc, c.Case, c.Number, c.Kind, c.Category, c.Channel, c.Writer, c.Mobile, c.Address, c.Confidential, c.Anonymous, ts(c.Received),
		c.Round, c.Rating, title, text)
	if err != nil {
		return fmt.Errorf("docflow: a case: %w", err)
	}
	return nil
}

const caseCols = `doc, case_id, number, kind, category, channel, writer, mobile, address, confidential, anonymous, received, round, rating, title, text`

func scanCaseRow(row interface{ Scan(...any) error }) (caseRow, error) {
	var r caseRow
	var rec string
	c := &r.info
	err := row.Scan(&c.Doc, &c.Case, &c.Number, &c.Kind, &c.Category, &c.Channel, &c.Writer, &c.Mobile, &c.Address, &c.Confidential, &c.Anonymous,
		&rec, &c.Round, &c.Rating, &r.title, &r.text)
	c.Received = parseTS(rec)
	return r, err
}

// caseOf is the newest handling round (not a 整改) of the portal's case.
func (s *Store) caseOf(ctx context.Context, tx *sql.Tx, caseID int64) (caseRow, error) {
	return scanCaseRow(tx.QueryRowContext(ctx, `SELECT `+caseCols+` FROM cases WHERE case_id = ? AND round IN (?, ?) ORDER BY doc DESC LIMIT 1`,
		caseID, RoundHandle, RoundRework))
}

// Case is the citizen's case document doc carries; ok is false when
// it carries none.
func (s *Store) Case(ctx context.Context, doc int64) (c CaseInfo, ok bool, err error) {
	r, err := scanCaseRow(s.db.Reader().QueryRowContext(ctx, `SELECT `+caseCols+` FROM cases WHERE doc = ?`, doc))
	if errors.Is(err, sql.ErrNoRows) {
		return CaseInfo{}, false, nil
	}
	return r.info, err == nil, err
}

// caseInfo notes what the citizen added on the running round of the
// case: in its 正文 and the trail, and to whoever holds its task.
func (s *Store) caseInfo(ctx context.Context, ev contract.PortalCase) error {
	return s.portalEvent(ctx, ev, func(o *op) error {
		r, err := s.caseOf(o.ctx, o.tx, ev.Case)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // a case OA never heard of (opened before this version)
		}
		if err != nil {
			return err
		}
		if err := o.load(r.info.Doc); err != nil {
			return err
		}
		o.doc.Body += "\n\n【来信人补充 " + o.now.In(workcal.Shanghai()).Format("2006-01-02 15:04") + "】\n" + ev.Info
		if err := o.addBody("来信内容.txt", "text/plain; charset=utf-8", nil, o.doc.Body); err != nil {
			return err
		}
		o.docDirty = true
		open, err := o.tasksWhere(`instance = ? AND kind = 'task' AND state = 'open'`, o.inst.ID)
		if err != nil {
			return err
		}
		for _, t := range open {
			o.emit(contract.TodoReassigned, t.ID, "") // the holder hears of it again
		}
		return o.trail("case_info", "", "", ev.Info, nil)
	})
}

// caseRated records the rating; 不满意 or worse starts a 整改 for whoever
// answered the case.
func (s *Store) caseRated(ctx context.Context, ev contract.PortalCase) error {
	if ev.Rating < 4 {
		return s.portalEvent(ctx, ev, func(o *op) error {
			_, err := o.tx.ExecContext(o.ctx, `UPDATE cases SET rating = ? WHERE case_id = ? AND round IN (?, ?)`, ev.Rating, ev.Case, RoundHandle, RoundRework)
			return err
		})
	}
	var handler string
	err := s.db.Reader().QueryRowContext(ctx, `SELECT t.done_by FROM tasks t JOIN cases c ON c.doc = t.doc
		WHERE c.case_id = ? AND t.node = 'handle' AND t.state = 'done' AND t.action = 'approve' ORDER BY t.id DESC LIMIT 1`, ev.Case).Scan(&handler)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	var people []string
	if handler != "" {
		people = []string{handler}
	} else {
		chart, err := s.chartNow(ctx)
		if err != nil {
			return err
		}
		people = chart.Holders("受理员", s.caseOrgan())
		if len(people) > 1 {
			people = people[:1]
		}
	}
	return s.openCase(ctx, ev, RectifyFlow, RoundRectify, "rectify", people)
}

// caseEffect tells the portal what completing node n of a 来信 did.
func (o *op) caseEffect(n *flow.Node) error {
	var action string
	switch n.Effect {
	case flow.EffectCaseAccept:
		action = contract.CaseAccepted
	case flow.EffectCaseReply:
		var text string
		err := o.tx.QueryRowContext(o.ctx, `SELECT text FROM opinions WHERE doc = ? AND node = 'handle' AND action = 'approve' ORDER BY id DESC LIMIT 1`,
			o.doc.ID).Scan(&text)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if strings.TrimSpace(text) == "" {
			return errf("invalid", "办理人还没有写答复意见，不能通过审核。")
		}
		o.doc.Reply, o.doc.RepliedAt = text, o.now
		o.docDirty = true
		return o.tellPortal(contract.CaseReplied, text, "")
	case flow.EffectCaseClose:
		action = contract.CaseClosed
	case flow.EffectCaseExtend:
		return o.extendApproved()
	default:
		return nil
	}
	return o.tellPortal(action, "", "")
}

// MaxExtendDays is the longest 延期 a handler may ask for at once.
const MaxExtendDays = 20

// RequestExtension is the 延期 the handler of a case's 办理答复 asks for:
// days working days, for reason. A 受理员 approves it (or not) as a to-do
// of its own; approved, the case's deadline moves and the portal tells
// the citizen. A case has at most Options.CaseExtensions approved.
func (s *Store) RequestExtension(ctx context.Context, login string, taskID int64, days int, reason string) (int64, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case days < 1 || days > MaxExtendDays:
		return 0, errf("invalid", "延期应为 1 到 %d 个工作日。", MaxExtendDays)
	case reason == "":
		return 0, errf("invalid", "请写明延期的理由。")
	}
	def, err := s.Flow(ctx, ExtendFlow, 0)
	if err != nil {
		return 0, err
	}
	maxExt := s.opts.CaseExtensions
	var docID int64
	err = s.begin(ctx, login, func(o *op) error {
		o.src = "web"
		t, err := o.loadTask(taskID)
		if err != nil {
			return err
		}
		if t.Assignee != login || t.State != "open" || t.Node != "handle" {
			return errf("forbidden", "只有正在办理这件来信的承办人可以申请延期。")
		}
		r, err := scanCaseRow(o.tx.QueryRowContext(o.ctx, `SELECT `+caseCols+` FROM cases WHERE doc = ?`, t.Doc))
		if errors.Is(err, sql.ErrNoRows) {
			return errf("not_allowed", "只有来信可以申请延期。")
		}
		if err != nil {
			return err
		}
		var approved, pending int
		if err := o.tx.QueryRowContext(o.ctx, `SELECT coalesce(sum(i.status = 'completed'), 0), coalesce(sum(i.status = 'running'), 0)
			FROM cases c JOIN instances i ON i.doc = c.doc WHERE c.case_id = ? AND c.round = ?`, r.info.Case, RoundExtend).Scan(&approved, &pending); err != nil {
			return err
		}
		switch {
		case pending > 0:
			return errf("conflict", "这件来信已有一个延期申请在审批中。")
		case maxExt <= 0:
			return errf("not_allowed", "本系统不办理来信延期。")
		case approved >= maxExt:
			return errf("not_allowed", "这件来信已延期 %d 次，不能再延期。", approved)
		}
		main, err := loadDocument(o.ctx, o.tx, t.Doc)
		if err != nil {
			return err
		}
		info := r.info
		info.Round = RoundExtend
		organ := s.caseOrgan()
		d := &Document{Kind: "来信", Flow: def.Key, Type: main.Type, Title: "【延期申请】" + r.title, Body: r.text, Organ: organ,
			Starter: login, StarterDept: o.chart.FirstDept(login), Created: o.now, Updated: o.now, Year: o.now.In(workcal.Shanghai()).Year(),
			OrigNumber: info.Number, FromUnit: main.FromUnit, HandleBy: main.HandleBy, Disclosure: "不予公开", DisclosureReason: "来信涉及个人信息",
			Retention: "10年", Remark: fmt.Sprintf("%s申请延期 %d 个工作日（现答复期限 %s）：%s", o.chart.Name(login), days, main.HandleBy, reason)}
		if err := o.startCase(def, d, info, r.title, r.text, "approve", nil); err != nil {
			return err
		}
		if _, err := o.tx.ExecContext(o.ctx, `UPDATE cases SET extend_days = ?, extend_of = ? WHERE doc = ?`, days, t.Doc, d.ID); err != nil {
			return err
		}
		docID = d.ID
		return nil
	})
	return docID, err
}

// extendApproved moves the deadline of the case the approved 延期 is
// for: the document's 办理时限 and its open 办理答复 tasks, and tells the
// portal.
func (o *op) extendApproved() error {
	var days int
	var of int64
	if err := o.tx.QueryRowContext(o.ctx, `SELECT extend_days, extend_of FROM cases WHERE doc = ?`, o.doc.ID).Scan(&days, &of); err != nil {
		return err
	}
	main, err := loadDocument(o.ctx, o.tx, of)
	if err != nil {
		return err
	}
	working := workcal.Weekday
	if c := o.s.opts.Calendar; c != nil {
		working = c.IsWorkingDay
	}
	from := o.now.In(workcal.Shanghai())
	if t, err := time.ParseInLocation(time.DateOnly, main.HandleBy, workcal.Shanghai()); err == nil {
		from = t
	}
	due := workcal.AddWorkingDays(from, days, working)
	newBy := due.Format(time.DateOnly)
	if _, err := o.tx.ExecContext(o.ctx, `UPDATE documents SET data = json_set(data, '$.handle_by', ?) WHERE id = ?`, newBy, of); err != nil {
		return err
	}
	if _, err := o.tx.ExecContext(o.ctx, `UPDATE tasks SET due = ?, overdue = '' WHERE doc = ? AND node = 'handle' AND state IN ('open', 'queued', 'waiting')`,
		ts(due.Add(17*time.Hour)), of); err != nil {
		return err
	}
	o.doc.HandleBy = newBy
	o.docDirty = true
	if err := o.trail("case_extended", "", "", fmt.Sprintf("延期 %d 个工作日，答复期限改为 %s", days, newBy), map[string]any{"document": of}); err != nil {
		return err
	}
	return o.tell(contract.CaseExtended, "", "", days)
}

// caseAssigned tells the portal the case went to the departments of
// people (the 主办 first).
func (o *op) caseAssigned(people []string) error {
	var depts []string
	for _, p := range people {
		if d := o.chart.DeptName(o.chart.FirstDept(p)); d != "" && !slices.Contains(depts, d) {
			depts = append(depts, d)
		}
	}
	if len(depts) == 0 {
		return nil
	}
	o.doc.LeadDept = o.chart.FirstDept(people[0])
	o.docDirty = true
	note := "主办：" + depts[0]
	if len(depts) > 1 {
		note += "；协办：" + strings.Join(depts[1:], "、")
	}
	return o.tellPortal(contract.CaseAssigned, note, depts[0])
}

// caseRejected is what 不同意 at the first step of a 来信 document means:
// 不予受理 for a case (the portal hears of it with the reason), 延期未批准
// for a 延期 request.
func (o *op) caseRejected(reason string) (string, error) {
	var round string
	err := o.tx.QueryRowContext(o.ctx, `SELECT round FROM cases WHERE doc = ?`, o.doc.ID).Scan(&round)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	if round == RoundExtend {
		return "延期未批准", nil
	}
	return "不予受理", o.tellPortal(contract.CaseRejected, reason, "")
}

// tellPortal enqueues an oa.case event for the case the document
// carries, in the action's transaction. 整改 rounds tell nothing: the
// citizen's case is answered already.
func (o *op) tellPortal(action, note, dept string) error { return o.tell(action, note, dept, 0) }

func (o *op) tell(action, note, dept string, days int) error {
	r, err := scanCaseRow(o.tx.QueryRowContext(o.ctx, `SELECT `+caseCols+` FROM cases WHERE doc = ?`, o.doc.ID))
	if errors.Is(err, sql.ErrNoRows) || r.info.Round == RoundRectify {
		return nil
	}
	if err != nil {
		return err
	}
	who := o.actor
	if o.as != "" {
		who = o.as
	}
	name := o.chart.Name(who)
	if name == "" || who == System {
		name = "系统"
	}
	return o.s.enqueue(o.ctx, o.tx, contract.OACase{V: contract.OACaseVersion, ID: contract.NewID(), Case: r.info.Case, Action: action,
		By: name, Note: note, Dept: dept, Days: days, At: o.now})
}
