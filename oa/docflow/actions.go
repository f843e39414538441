package docflow

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"nanhu/internal/officefile"
	"nanhu/internal/workcal"
	"nanhu/oa/flow"
	"nanhu/queue/contract"
)

// organs are the codes of every organ with a 机关代字.
func (o *op) organs() map[string]bool {
	m := map[string]bool{}
	for code, d := range o.chart.Depts {
		if d.Daizi != "" {
			m[code] = true
		}
	}
	return m
}

// Create starts a document on a flow: the drafter's first task waits at
// the flow's start (拟稿, or 签收 for a 收文).
func (s *Store) Create(ctx context.Context, login string, dr Draft) (*Document, Task, error) {
	def, err := s.Flow(ctx, dr.Flow, 0)
	if err != nil {
		return nil, Task{}, err
	}
	if def.Kind == "来信" {
		return nil, Task{}, errf("not_allowed", "来信由门户网站、短信、邮件和 Open311 转来，不能在这里新建；电话来信请在门户的代录页面登记。")
	}
	var first int64
	err = s.begin(ctx, login, func(o *op) error {
		o.src = "web"
		u, ok := o.chart.People[login]
		if !ok || u.Disabled {
			return errf("forbidden", "账号 %s 不能拟稿。", login)
		}
		if fe := dr.check(def.Kind, o.organs()); len(fe) > 0 {
			return &Error{Code: "invalid", Msg: fe.Error(), Fields: fe}
		}
		if def.Kind != "收文" && dr.Body != "" {
			if err := s.classifiedBodyCheck(dr.Secrecy); err != nil {
				return err
			}
		}
		now := o.now
		d := &Document{Kind: def.Kind, Flow: def.Key, Starter: login, StarterDept: o.chart.FirstDept(login),
			Created: now, Updated: now, Year: now.In(workcal.Shanghai()).Year()}
		dr.apply(d)
		if def.Kind == "收文" && d.Secrecy != "" && !s.opts.AllowClassified {
			d.Body = ""
		} else {
			d.Body = dr.Body
		}
		start := def.StartNode()
		d.State = start.StateName()
		if d.Disclosure == "" && def.Kind == "发文" {
			d.Disclosure = "主动公开"
		}
		if d.Retention == "" {
			d.Retention = "30年"
		}
		if err := insertDocument(ctx, o.tx, d); err != nil {
			return err
		}
		o.doc = d
		res, err := o.tx.ExecContext(ctx, `INSERT INTO instances (doc, flow, flow_version, status, started) VALUES (?, ?, ?, 'running', ?)`,
			d.ID, def.Key, def.Version, ts(now))
		if err != nil {
			return err
		}
		o.inst = instance{Doc: d.ID, Flow: def.Key, Version: def.Version, Status: "running"}
		o.inst.ID, _ = res.LastInsertId()
		o.def = def
		if d.Body != "" {
			if err := o.addBody("正文.txt", "text/plain; charset=utf-8", nil, d.Body); err != nil {
				return err
			}
		}
		tok, err := o.newToken(start.ID, "active", 0)
		if err != nil {
			return err
		}
		if first, err = o.addTask(newTask{token: tok, node: start, kind: "task", login: login, state: "open"}); err != nil {
			return err
		}
		o.docDirty = true
		return o.trail("create", "", start.ID, "", map[string]any{"flow": def.Key, "version": def.Version, "title": d.Title})
	})
	if err != nil {
		return nil, Task{}, err
	}
	t, err := s.Task(ctx, first)
	if err != nil {
		return nil, Task{}, err
	}
	d, err := s.Document(ctx, t.Doc)
	return d, t, err
}

// classifiedBodyCheck refuses 正文 and attachments of classified
// documents on a network that is not classified.
func (s *Store) classifiedBodyCheck(secrecy string) error {
	if secrecy == "" || s.opts.AllowClassified {
		return nil
	}
	return errf("classified", "政务外网不是涉密网络：标为%s的公文只登记元数据，正文和附件不能放在本系统中。", secrecy)
}

// Update saves the document's fields (and a typed 正文, as a new version)
// by someone whose open task at a step lets them edit.
func (s *Store) Update(ctx context.Context, login string, docID int64, dr Draft) error {
	return s.begin(ctx, login, func(o *op) error {
		o.src = "web"
		if err := o.load(docID); err != nil {
			return err
		}
		if err := o.mayEdit(login); err != nil {
			return err
		}
		dr.Flow = o.doc.Flow
		if fe := dr.check(o.doc.Kind, o.organs()); len(fe) > 0 {
			return &Error{Code: "invalid", Msg: fe.Error(), Fields: fe}
		}
		if o.doc.Number != "" && dr.Organ != o.doc.Organ {
			return errf("invalid", "公文已经登记编号，发文机关不能再改。")
		}
		substantive := dr.Title != o.doc.Title || !slices.Equal(dr.MainTo, o.doc.MainTo) || dr.Type != o.doc.Type
		bodyChanged := dr.Body != o.doc.Body && o.doc.BodyFile == ""
		if bodyChanged {
			if err := s.classifiedBodyCheck(dr.Secrecy); err != nil {
				return err
			}
		}
		dr.apply(o.doc)
		if bodyChanged {
			o.doc.Body = dr.Body
			if err := o.addBody("正文.txt", "text/plain; charset=utf-8", nil, dr.Body); err != nil {
				return err
			}
		}
		if (substantive || bodyChanged) && len(o.doc.Signers) > 0 {
			o.doc.ChangedAfterSign = true
		}
		o.setState()
		return o.trail("save", "", "", "", map[string]any{"body_version": o.doc.BodyVersion, "substantive": substantive || bodyChanged})
	})
}

// mayEdit: login holds an open task at a step that lets them edit.
func (o *op) mayEdit(login string) error {
	if o.inst.Status != "running" {
		return errf("gone", "流程已经结束，公文不能再修改。")
	}
	// By the document's tasks (tasks_instance), not by the person's,
	// who may hold hundreds: the unary + keeps assignee out of the plan.
	open, err := o.tasksWhere(`instance = ? AND kind = 'task' AND state = 'open' AND +assignee = ?`, o.inst.ID, login)
	if err != nil {
		return err
	}
	for _, t := range open {
		if n := o.def.Node(t.Node); n != nil && n.EditBody {
			if _, err := o.may(t, login); err == nil {
				return nil
			}
		}
	}
	return errf("forbidden", "您现在没有修改这份公文的权限（只有正在办理可修改步骤的人才能修改）。")
}

// UploadBody stores an uploaded 正文 (.docx, .wps or .pdf) as a new
// version.
func (s *Store) UploadBody(ctx context.Context, login string, docID int64, name string, data []byte) error {
	kind, err := CheckUpload(name, data, bodyTypes, s.opts.MaxUpload)
	if err != nil {
		return err
	}
	text := officefile.ExtractText(kind, data)
	return s.begin(ctx, login, func(o *op) error {
		o.src = "web"
		if err := o.load(docID); err != nil {
			return err
		}
		if err := o.mayEdit(login); err != nil {
			return err
		}
		if err := s.classifiedBodyCheck(o.doc.Secrecy); err != nil {
			return err
		}
		if err := o.addBody(name, kind.ContentType, data, text); err != nil {
			return err
		}
		o.doc.Body, o.doc.BodyFile = text, name
		if len(o.doc.Signers) > 0 {
			o.doc.ChangedAfterSign = true
		}
		o.setState()
		return o.trail("body", "", "", "", map[string]any{"name": name, "size": len(data), "version": o.doc.BodyVersion})
	})
}

// AddAttachment stores an attachment.
func (s *Store) AddAttachment(ctx context.Context, login string, docID int64, name string, data []byte) error {
	kind, err := CheckUpload(name, data, attachTypes, s.opts.MaxUpload)
	if err != nil {
		return err
	}
	return s.begin(ctx, login, func(o *op) error {
		o.src = "web"
		if err := o.load(docID); err != nil {
			return err
		}
		if err := o.mayEdit(login); err != nil {
			return err
		}
		if err := s.classifiedBodyCheck(o.doc.Secrecy); err != nil {
			return err
		}
		if _, err := o.tx.ExecContext(ctx, `INSERT INTO attachments (doc, name, ctype, size, data, at, by) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			docID, name, kind.ContentType, len(data), data, ts(o.now), login); err != nil {
			return err
		}
		o.setState()
		return o.trail("attach", "", "", "", map[string]any{"name": name, "size": len(data)})
	})
}

func (o *op) addBody(name, ctype string, data []byte, text string) error {
	o.doc.BodyVersion++
	size := len(data)
	if data == nil {
		size = len(text)
	}
	_, err := o.tx.ExecContext(o.ctx, `INSERT INTO bodies (doc, version, at, by, name, ctype, size, data, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.doc.ID, o.doc.BodyVersion, ts(o.now), o.actor, name, ctype, size, data, text)
	return err
}

// Act carries out a person's action on a task and returns the tasks it
// created.
func (s *Store) Act(ctx context.Context, login string, taskID int64, a Action) ([]Task, error) {
	return s.actOnce(ctx, login, taskID, a, "")
}

// errRepeat: the oa.action event was carried out before.
var errRepeat = errors.New("the action was carried out before")

// actOnce is Act; with an event id, the action is recorded as carried out
// in its own transaction, so a redelivered event does nothing.
func (s *Store) actOnce(ctx context.Context, login string, taskID int64, a Action, eventID string) ([]Task, error) {
	var created []int64
	err := s.begin(ctx, login, func(o *op) error {
		o.src = a.Source
		if eventID != "" {
			res, err := o.tx.ExecContext(ctx, `INSERT OR IGNORE INTO actions_done (id, at) VALUES (?, ?)`, eventID, ts(o.now))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return errRepeat
			}
		}
		t, err := o.loadTask(taskID)
		if err != nil {
			return err
		}
		if err := o.load(t.Doc); err != nil {
			return err
		}
		if err := o.act(t, login, a); err != nil {
			return err
		}
		created = o.created
		return nil
	})
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			s.log.Info("OA action refused", "login", login, "task", taskID, "action", a.Kind, "code", e.Code, "why", e.Msg)
		}
		return nil, err
	}
	out := make([]Task, 0, len(created))
	for _, id := range created {
		t, err := s.Task(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

func (o *op) act(t taskRow, login string, a Action) error {
	n := o.def.Node(t.Node)
	if n == nil {
		return errf("invalid", "流程中没有节点 %q。", t.Node)
	}
	if utf8.RuneCountInString(a.Opinion) > 2000 {
		return errf("invalid", "意见不能超过 2000 字。")
	}
	if t.Kind == "read" {
		if a.Kind != "read" && a.Kind != flow.Approve {
			return errf("not_allowed", "传阅件只能标记为已阅。")
		}
		if t.Assignee != login {
			return errf("forbidden", "这不是您的传阅件。")
		}
		if t.State != "open" {
			return errf("gone", "这份传阅件已经阅过了。")
		}
		if err := o.closeTask(t, "done", "read"); err != nil {
			return err
		}
		if err := o.opinion(t, n, "read", a.Opinion); err != nil {
			return err
		}
		return o.trail("read", t.Node, "", a.Opinion, nil)
	}
	if a.Kind == flow.Withdraw {
		return o.withdraw(t, login)
	}
	if !n.Allows(a.Kind) || a.Kind == flow.Urge {
		return errf("not_allowed", "「%s」这一步不能%s。", n.Name, nameOf(a.Kind))
	}
	as, err := o.may(t, login)
	if err != nil {
		return err
	}
	o.as = as
	if t.Opened == "" {
		if _, err := o.tx.ExecContext(o.ctx, `UPDATE tasks SET opened = ? WHERE id = ?`, ts(o.now), t.ID); err != nil {
			return err
		}
	}
	switch a.Kind {
	case flow.Approve:
		return o.approve(t, n, a)
	case flow.Reject:
		if strings.TrimSpace(a.Opinion) == "" {
			return errf("invalid", "不同意时请写明理由。")
		}
		if err := o.closeTask(t, "done", flow.Reject); err != nil {
			return err
		}
		if err := o.opinion(t, n, flow.Reject, a.Opinion); err != nil {
			return err
		}
		if n.RejectTo == "" {
			state := "作废"
			switch o.doc.Kind {
			case "收文":
				state = "已退文"
			case "来信":
				var err error
				if state, err = o.caseRejected(a.Opinion); err != nil {
					return err
				}
			}
			if err := o.trail(flow.Reject, t.Node, "", a.Opinion, nil); err != nil {
				return err
			}
			return o.terminate(state)
		}
		if err := o.jump(n.RejectTo, t.ID); err != nil {
			return err
		}
		return o.trail(flow.Reject, t.Node, n.RejectTo, a.Opinion, o.chosenDetail())
	case flow.Return:
		if !slices.Contains(n.ReturnTo, a.Target) {
			var names []string
			for _, r := range n.ReturnTo {
				names = append(names, o.def.Node(r).Name)
			}
			return errf("invalid", "「%s」只能退回到：%s。", n.Name, strings.Join(names, "、"))
		}
		var visited int
		if err := o.tx.QueryRowContext(o.ctx, `SELECT count(*) FROM tasks WHERE instance = ? AND node = ? AND state = 'done'`, o.inst.ID, a.Target).Scan(&visited); err != nil {
			return err
		}
		if visited == 0 {
			return errf("invalid", "这份公文还没有经过「%s」，不能退回到那里。", o.def.Node(a.Target).Name)
		}
		if strings.TrimSpace(a.Opinion) == "" {
			return errf("invalid", "退回时请写明理由。")
		}
		if err := o.closeTask(t, "done", flow.Return); err != nil {
			return err
		}
		if err := o.opinion(t, n, flow.Return, a.Opinion); err != nil {
			return err
		}
		if err := o.jump(a.Target, t.ID); err != nil {
			return err
		}
		return o.trail(flow.Return, t.Node, a.Target, a.Opinion, o.chosenDetail())
	case flow.Transfer:
		to, err := o.person(a.To, login)
		if err != nil {
			return err
		}
		if _, err := o.tx.ExecContext(o.ctx, `UPDATE tasks SET assignee = ?, on_behalf = '', delegation = 0, opened = '' WHERE id = ?`, to, t.ID); err != nil {
			return err
		}
		if err := o.grant(to); err != nil {
			return err
		}
		o.emit(contract.TodoReassigned, t.ID, t.Assignee)
		if err := o.opinion(t, n, flow.Transfer, a.Opinion); err != nil {
			return err
		}
		return o.trail(flow.Transfer, t.Node, t.Node, a.Opinion, map[string]any{"to": to})
	case flow.AddSign:
		to, err := o.person(a.To, login)
		if err != nil {
			return err
		}
		if a.Before {
			if _, err := o.tx.ExecContext(o.ctx, `UPDATE tasks SET state = 'waiting' WHERE id = ?`, t.ID); err != nil {
				return err
			}
			o.emit(contract.TodoDone, t.ID, "")
			if _, err := o.addTask(newTask{token: t.Token, node: n, kind: "task", login: to, state: "open", added: true, beforeOf: t.ID, origin: t.ID}); err != nil {
				return err
			}
		} else {
			if _, err := o.addTask(newTask{token: t.Token, node: n, kind: "task", login: to, state: "queued", added: true, afterOf: t.ID, origin: t.ID}); err != nil {
				return err
			}
		}
		where := "after"
		if a.Before {
			where = "before"
		}
		return o.trail(flow.AddSign, t.Node, t.Node, a.Opinion, map[string]any{"to": to, "where": where})
	case flow.Circulate:
		var readers []string
		for _, r := range a.Readers {
			if u, ok := o.chart.People[r]; !ok || u.Disabled {
				return errf("invalid", "传阅对象 %q 不是在职人员。", r)
			}
			if !slices.Contains(readers, r) {
				readers = append(readers, r)
			}
		}
		if len(readers) == 0 {
			return errf("invalid", "请选择传阅对象。")
		}
		for _, r := range readers {
			if _, err := o.addTask(newTask{token: t.Token, node: n, kind: "read", login: r, state: "open", origin: t.ID}); err != nil {
				return err
			}
		}
		return o.trail(flow.Circulate, t.Node, "", a.Opinion, map[string]any{"readers": readers})
	}
	return errf("not_allowed", "未知的操作 %q。", a.Kind)
}

func nameOf(action string) string {
	if n, ok := ActionNames[action]; ok {
		return n
	}
	return action
}

func (o *op) person(l, self string) (string, error) {
	l = strings.TrimSpace(l)
	u, ok := o.chart.People[l]
	switch {
	case l == "":
		return "", errf("invalid", "请选择一个人。")
	case !ok || u.Disabled:
		return "", errf("invalid", "%q 不是在职人员。", l)
	case l == self:
		return "", errf("invalid", "不能交给自己。")
	}
	return l, nil
}

func (o *op) chosenDetail() map[string]any {
	var who []string
	for _, id := range o.created {
		var a string
		o.tx.QueryRowContext(o.ctx, `SELECT assignee FROM tasks WHERE id = ?`, id).Scan(&a)
		who = append(who, a)
	}
	if len(who) == 0 {
		return nil
	}
	return map[string]any{"people": who}
}

func (o *op) approve(t taskRow, n *flow.Node, a Action) error {
	if err := o.closeTask(t, "done", flow.Approve); err != nil {
		return err
	}
	op := a.Opinion
	if strings.TrimSpace(op) == "" && n.Opinion != "" {
		op = "同意。"
	}
	if err := o.opinion(t, n, flow.Approve, op); err != nil {
		return err
	}
	if n.Mode == flow.All && n.Opinion == "会签意见" {
		who := t.Assignee
		if o.as != "" {
			who = o.as
		}
		if !slices.Contains(o.doc.Countersigners, who) {
			o.doc.Countersigners = append(o.doc.Countersigners, who)
			o.setState()
		}
	}
	// An escalated copy done: the original is done too, and the other way.
	if t.AltOf != 0 {
		orig, err := o.loadTask(t.AltOf)
		if err != nil {
			return err
		}
		if orig.State == "open" {
			if err := o.closeTask(orig, "cancelled", "escalated"); err != nil {
				return err
			}
		}
	}
	alts, err := o.tasksWhere(`alt_of = ? AND state = 'open'`, t.ID)
	if err != nil {
		return err
	}
	if err := o.cancelPending(alts); err != nil {
		return err
	}
	// 加签 before: the one who asked acts again.
	if t.BeforeOf != 0 {
		w, err := o.loadTask(t.BeforeOf)
		if err != nil {
			return err
		}
		if w.State == "waiting" {
			if _, err := o.tx.ExecContext(o.ctx, `UPDATE tasks SET state = 'open' WHERE id = ?`, w.ID); err != nil {
				return err
			}
			o.emit(contract.TodoCreated, w.ID, "")
		}
		return o.trail(flow.Approve, t.Node, t.Node, op, nil)
	}
	done, err := o.nodeDone(n, t)
	if err != nil {
		return err
	}
	if !done {
		return o.trail(flow.Approve, t.Node, t.Node, op, nil)
	}
	if err := o.effect(n); err != nil {
		return err
	}
	before := len(o.created)
	if err := o.advance(t.Token, n, a, t.ID); err != nil {
		return err
	}
	var people []string
	for _, id := range o.created[before:] {
		var l string
		if err := o.tx.QueryRowContext(o.ctx, `SELECT assignee FROM tasks WHERE id = ?`, id).Scan(&l); err != nil {
			return err
		}
		people = append(people, l)
	}
	if n.Effect == flow.EffectCaseAssign {
		if err := o.caseAssigned(people); err != nil {
			return err
		}
	}
	var detail map[string]any
	if len(people) > 0 {
		detail = map[string]any{"people": people}
	}
	return o.trail(flow.Approve, t.Node, a.Route, op, detail)
}

// effect does to the document what completing n means: 签发, 登记 (the
// number), 印制, 核发, 归档, 签收, 收文登记, 答复.
func (o *op) effect(n *flow.Node) error {
	local := o.now.In(workcal.Shanghai())
	who := o.actor
	if o.as != "" {
		who = o.as
	}
	switch n.Effect {
	case flow.EffectSign:
		o.doc.Signers = append(o.doc.Signers, Signature{Login: who, Name: o.chart.Name(who), At: o.now, For: o.doc.Organ})
		o.doc.DocDate = ChineseDate(local)
		o.doc.SignedVersion = o.doc.BodyVersion
		o.doc.ChangedAfterSign = false
		if o.doc.SignOff == "" {
			o.doc.SignOff = o.chart.DeptName(o.doc.Organ)
		}
	case flow.EffectRegister:
		if o.doc.Number != "" {
			break // registered before a 退回; the number stays
		}
		if o.doc.Direction == "上行" && len(o.doc.Signers) == 0 {
			return errf("invalid", "上行文须有签发人，这份公文还没有签发。")
		}
		daizi := o.chart.Depts[o.doc.Organ].Daizi
		if daizi == "" {
			return errf("invalid", "发文机关 %s 没有机关代字，请管理员在组织机构中设置。", o.chart.DeptName(o.doc.Organ))
		}
		year := local.Year()
		seq, err := nextNumber(o.ctx, o.tx, daizi, year)
		if err != nil {
			return err
		}
		o.doc.Number, o.doc.Year, o.doc.Seq = FormatNumber(daizi, year, seq), year, seq
		if _, err := o.tx.ExecContext(o.ctx, `INSERT INTO registers (kind, key, year, seq, number, doc, at, by) VALUES ('发文', ?, ?, ?, ?, ?, ?, ?)`,
			daizi, year, seq, o.doc.Number, o.doc.ID, ts(o.now), who); err != nil {
			return err
		}
		if _, err := o.tx.ExecContext(o.ctx, `UPDATE documents SET registered = ? WHERE id = ?`, ts(o.now), o.doc.ID); err != nil {
			return err
		}
		if o.doc.Seal == "" {
			o.doc.Seal = o.chart.Depts[o.doc.Organ].Seal
		}
		if err := o.trail("register", n.ID, "", "", map[string]any{"number": o.doc.Number}); err != nil {
			return err
		}
	case flow.EffectPrint:
		o.doc.PrintDate = ChineseDate(local)
		if o.doc.PrintOrgan == "" {
			o.doc.PrintOrgan = o.chart.DeptName(o.doc.Organ) + "办公室"
			if strings.HasSuffix(o.chart.DeptName(o.doc.Organ), "办公室") {
				o.doc.PrintOrgan = o.chart.DeptName(o.doc.Organ)
			}
		}
	case flow.EffectIssue:
		o.doc.IssuedAt = o.now
	case flow.EffectArchive:
		if o.doc.ArchiveNo == "" {
			key := "归档:" + o.doc.Organ
			seq, err := nextNumber(o.ctx, o.tx, key, local.Year())
			if err != nil {
				return err
			}
			o.doc.ArchiveNo = fmt.Sprintf("%s-%d-%s-%04d", strings.ToUpper(o.doc.Organ), local.Year(), o.doc.Retention, seq)
		}
	case flow.EffectReceive:
		o.doc.ReceivedBy, o.doc.ReceivedAt = who, o.now
	case flow.EffectRegisterIn:
		if o.doc.InNumber == "" {
			daizi := o.chart.Depts[o.doc.Organ].Daizi
			prefix := strings.TrimSuffix(daizi, "发") + "收"
			seq, err := nextNumber(o.ctx, o.tx, "收文:"+o.doc.Organ, local.Year())
			if err != nil {
				return err
			}
			o.doc.InNumber = FormatNumber(prefix, local.Year(), seq)
			if _, err := o.tx.ExecContext(o.ctx, `INSERT INTO registers (kind, key, year, seq, number, doc, at, by) VALUES ('收文', ?, ?, ?, ?, ?, ?, ?)`,
				"收文:"+o.doc.Organ, local.Year(), seq, o.doc.InNumber, o.doc.ID, ts(o.now), who); err != nil {
				return err
			}
		}
	case flow.EffectCaseAccept, flow.EffectCaseReply, flow.EffectCaseClose, flow.EffectCaseExtend:
		if err := o.caseEffect(n); err != nil {
			return err
		}
	case flow.EffectReply:
		var text string
		o.tx.QueryRowContext(o.ctx, `SELECT text FROM opinions WHERE doc = ? AND node = ? ORDER BY id DESC LIMIT 1`, o.doc.ID, n.ID).Scan(&text)
		o.doc.Reply, o.doc.RepliedAt = text, o.now
	}
	o.setState()
	return nil
}

// nextNumber takes the next number of a series inside the transaction
// that uses it: no two documents share one, none is skipped.
func nextNumber(ctx context.Context, tx *sql.Tx, key string, year int) (int, error) {
	var seq int
	err := tx.QueryRowContext(ctx, `INSERT INTO sequences (key, year, last) VALUES (?, ?, 1)
		ON CONFLICT (key, year) DO UPDATE SET last = last + 1 RETURNING last`, key, year).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("docflow: next number of %s %d: %w", key, year, err)
	}
	return seq, nil
}

// withdraw (撤回): the sender takes back tasks that nobody has opened.
func (o *op) withdraw(t taskRow, login string) error {
	if t.State != "done" || t.Action != flow.Approve {
		return errf("not_allowed", "只能撤回自己已经送出的办理。")
	}
	if t.DoneBy != login && t.OnBehalf != login {
		return errf("forbidden", "只有送出这一步的人才能撤回。")
	}
	if o.inst.Status != "running" {
		return errf("gone", "流程已经结束，不能撤回。")
	}
	n := o.def.Node(t.Node)
	if n.Effect == flow.EffectRegister || n.Effect == flow.EffectSign && o.doc.Number != "" {
		return errf("not_allowed", "「%s」已经产生结果（签发或编号），不能撤回。", n.Name)
	}
	next, err := o.tasksWhere(`origin = ? AND kind = 'task'`, t.ID)
	if err != nil {
		return err
	}
	if len(next) == 0 {
		return errf("not_allowed", "这一步送出后没有产生新的待办，无可撤回。")
	}
	for _, x := range next {
		if x.State != "open" && x.State != "queued" {
			return errf("not_allowed", "下一步已经有人办理，不能撤回。")
		}
		if x.Opened != "" {
			return errf("not_allowed", "%s 已经打开了下一步的待办，不能撤回；请联系对方退回。", o.chart.Name(x.Assignee))
		}
	}
	// Later branches from the same origin (a split) must all be untouched.
	var later int
	if err := o.tx.QueryRowContext(o.ctx, `SELECT count(*) FROM tasks WHERE instance = ? AND id > ? AND origin != ? AND kind = 'task' AND state = 'done'`,
		o.inst.ID, t.ID, t.ID).Scan(&later); err != nil {
		return err
	}
	if later > 0 {
		return errf("not_allowed", "之后已经有人办理过，不能撤回。")
	}
	for _, x := range next {
		if err := o.closeTask(x, "cancelled", flow.Withdraw); err != nil {
			return err
		}
	}
	if _, err := o.tx.ExecContext(o.ctx, `UPDATE tokens SET state = 'done' WHERE instance = ? AND origin = ? AND state != 'done'`, o.inst.ID, t.ID); err != nil {
		return err
	}
	tok, err := o.newToken(t.Node, "active", t.Orgin)
	if err != nil {
		return err
	}
	l := t.DoneBy
	if t.OnBehalf != "" {
		l = t.OnBehalf
	}
	if _, err := o.addTask(newTask{token: tok, node: n, kind: "task", login: l, state: "open", origin: t.Orgin}); err != nil {
		return err
	}
	o.doc.State = n.StateName()
	o.setState()
	return o.trail(flow.Withdraw, next[0].Node, t.Node, "", nil)
}

// Urge (催办) reminds the assignee of an open task: the starter, the one
// who sent it, and the organ's 文书 and leaders may urge, where the step
// allows it. The to-do goes out as overdue, so routing's 催办 acts on it.
func (s *Store) Urge(ctx context.Context, login string, taskID int64, note string) error {
	return s.begin(ctx, login, func(o *op) error {
		o.src = "web"
		t, err := o.loadTask(taskID)
		if err != nil {
			return err
		}
		if err := o.load(t.Doc); err != nil {
			return err
		}
		n := o.def.Node(t.Node)
		if t.State != "open" || t.Kind != "task" {
			return errf("gone", "这件待办已经办理，无需催办。")
		}
		if !slices.Contains(n.Actions, flow.Urge) {
			return errf("not_allowed", "「%s」这一步不能催办。", n.Name)
		}
		if login != o.doc.Starter && login != t.Sender && !o.organStaff(login) {
			return errf("forbidden", "只有拟稿人、送出这一步的人和本机关的文书、领导可以催办。")
		}
		o.emit(contract.TodoOverdue, t.ID, "")
		return o.trail(flow.Urge, t.Node, "", note, map[string]any{"task": t.ID, "assignee": t.Assignee})
	})
}

// organStaff: login is a 文书 of the document's organ or its leader.
func (o *op) organStaff(login string) bool {
	if o.chart.Holds(login, "文书", o.doc.Organ) {
		return true
	}
	return o.chart.Depts[o.doc.Organ].Leader == login
}

// Plan is what the submit form of a task offers: the ways on and, for
// each, the steps and people, as they stand now.
func (s *Store) Plan(ctx context.Context, login string, taskID int64) ([]RouteOption, error) {
	var out []RouteOption
	chart, err := s.chartNow(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := s.db.Reader().BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	o := &op{s: s, ctx: ctx, tx: tx, now: s.now(), chart: chart, actor: login}
	t, err := o.loadTask(taskID)
	if err != nil {
		return nil, err
	}
	if err := o.load(t.Doc); err != nil {
		return nil, err
	}
	if _, err := o.may(t, login); err != nil {
		return nil, err
	}
	n := o.def.Node(t.Node)
	if t.Kind == "read" {
		return nil, nil
	}
	// Does my approval complete the step? Then the ways on.
	pending, err := o.tasksWhere(`token = ? AND kind = 'task' AND state IN ('open', 'queued', 'waiting') AND id != ?`, t.Token, t.ID)
	if err != nil {
		return nil, err
	}
	last := len(pending) == 0 || n.Mode == flow.Any
	if t.BeforeOf != 0 {
		last = false
	}
	if !last {
		return nil, nil
	}
	out, err = o.routes(n)
	return out, err
}

// MarkOpened records that the assignee has opened their tasks on a
// document (after which the sender can no longer 撤回).
func (s *Store) MarkOpened(ctx context.Context, login string, docID int64) error {
	res, err := s.db.Writer().ExecContext(ctx, `UPDATE tasks SET opened = ? WHERE doc = ? AND assignee = ? AND state = 'open' AND opened = ''`,
		ts(s.now()), docID, login)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 { // a view of a document already opened changes nothing
		s.changed()
	}
	return nil
}

// Tick does what time does: tasks whose deadline passed are reminded,
// escalated or passed; delegations that ended give their tasks back.
func (s *Store) Tick(ctx context.Context) error {
	now := s.now()
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT id, doc FROM tasks WHERE state = 'open' AND due != '' AND overdue = '' AND due <= ? LIMIT 500`, ts(now))
	if err != nil {
		return err
	}
	type td struct{ task, doc int64 }
	var due []td
	for rows.Next() {
		var x td
		if err := rows.Scan(&x.task, &x.doc); err != nil {
			rows.Close()
			return err
		}
		due = append(due, x)
	}
	rows.Close()
	for _, x := range due {
		if err := s.expire(ctx, x.task, x.doc); err != nil {
			s.log.Warn("OA deadline not handled", "task", x.task, "err", err)
		}
	}
	// Delegations that ended or were revoked: their open tasks go back.
	back, err := s.ids(ctx, `SELECT t.id FROM delegations d JOIN tasks t ON t.delegation = d.id AND t.delegation != 0
		WHERE (d.revoked != '' OR (d.ends != '' AND d.ends <= ?)) AND t.state IN ('open', 'queued', 'waiting')`, ts(now))
	if err != nil {
		return err
	}
	for _, id := range back {
		if err := s.giveBack(ctx, id, "delegation_ended"); err != nil {
			s.log.Warn("delegated task not given back", "task", id, "err", err)
		}
	}
	return nil
}

func (s *Store) expire(ctx context.Context, taskID, docID int64) error {
	return s.begin(ctx, System, func(o *op) error {
		o.src = "timer"
		if err := o.load(docID); err != nil {
			return err
		}
		t, err := o.loadTask(taskID)
		if err != nil {
			return err
		}
		if t.State != "open" || t.Overdue != "" {
			return nil
		}
		if _, err := o.tx.ExecContext(ctx, `UPDATE tasks SET overdue = ? WHERE id = ?`, ts(o.now), t.ID); err != nil {
			return err
		}
		n := o.def.Node(t.Node)
		on := flow.Remind
		if n.Deadline != nil && n.Deadline.OnExpire != "" {
			on = n.Deadline.OnExpire
		}
		o.emit(contract.TodoOverdue, t.ID, "")
		switch on {
		case flow.Escalate:
			for _, l := range o.chart.Holders(n.Deadline.EscalateTo, o.doc.Organ) {
				if l == t.Assignee {
					continue
				}
				if _, err := o.addTask(newTask{token: t.Token, node: n, kind: "task", login: l, state: "open", altOf: t.ID, origin: t.Orgin}); err != nil {
					return err
				}
			}
			return o.trail("escalate", t.Node, t.Node, "", map[string]any{"task": t.ID, "to": n.Deadline.EscalateTo})
		case flow.AutoPass:
			// Passed only when the way on needs no choice; otherwise the
			// assignee is reminded like any other.
			sp, err := o.tx.ExecContext(ctx, `SAVEPOINT autopass`)
			_ = sp
			if err != nil {
				return err
			}
			o.actor = System
			if err := o.approve(t, n, Action{Opinion: "超时自动通过。"}); err != nil {
				if _, rerr := o.tx.ExecContext(ctx, `ROLLBACK TO autopass`); rerr != nil {
					return rerr
				}
				o.events = o.events[:1]
				o.created = nil
				return o.trail("overdue", t.Node, "", "", map[string]any{"task": t.ID, "auto_pass_failed": err.Error()})
			}
			_, err = o.tx.ExecContext(ctx, `RELEASE autopass`)
			return errors.Join(err, o.trail("auto_pass", t.Node, "", "", map[string]any{"task": t.ID}))
		}
		return o.trail("overdue", t.Node, "", "", map[string]any{"task": t.ID, "assignee": t.Assignee})
	})
}

// giveBack returns a delegated task to its principal.
func (s *Store) giveBack(ctx context.Context, taskID int64, why string) error {
	return s.begin(ctx, System, func(o *op) error {
		o.src = "timer"
		t, err := o.loadTask(taskID)
		if err != nil {
			return err
		}
		if err := o.load(t.Doc); err != nil {
			return err
		}
		if t.Delegation == 0 || t.OnBehalf == "" {
			return nil
		}
		if _, err := o.tx.ExecContext(ctx, `UPDATE tasks SET assignee = ?, on_behalf = '', delegation = 0, opened = '' WHERE id = ?`, t.OnBehalf, t.ID); err != nil {
			return err
		}
		if t.State == "open" {
			o.emit(contract.TodoReassigned, t.ID, t.Assignee)
		}
		return o.trail(why, t.Node, t.Node, "", map[string]any{"task": t.ID, "from": t.Assignee, "to": t.OnBehalf})
	})
}

// Delegation is a 委托.
type Delegation struct {
	ID                  int64
	Principal, Delegate string
	Flow                string
	Starts, Ends        time.Time
	Revoked             time.Time
	Created             time.Time
}

// Active reports whether the delegation runs at t.
func (d Delegation) Active(t time.Time) bool {
	return d.Revoked.IsZero() && !t.Before(d.Starts) && (d.Ends.IsZero() || t.Before(d.Ends))
}

// Delegate makes a 委托: principal's tasks go to delegate between starts
// and ends (zero: until 收回). Open tasks of principal move at once when
// the window has begun.
func (s *Store) Delegate(ctx context.Context, principal, delegate, flowKey string, starts, ends time.Time) (int64, error) {
	var id int64
	err := s.begin(ctx, principal, func(o *op) error {
		o.src = "web"
		if principal == delegate {
			return errf("invalid", "委托人和被委托人不能是同一个人。")
		}
		if u, ok := o.chart.People[delegate]; !ok || u.Disabled {
			return errf("invalid", "被委托人 %q 不是在职人员。", delegate)
		}
		if !ends.IsZero() && !ends.After(starts) {
			return errf("invalid", "委托的结束时间须晚于开始时间。")
		}
		endS := ""
		if !ends.IsZero() {
			endS = ts(ends)
		}
		res, err := o.tx.ExecContext(ctx, `INSERT INTO delegations (principal, delegate, flow, starts, ends, created) VALUES (?, ?, ?, ?, ?, ?)`,
			principal, delegate, flowKey, ts(starts), endS, ts(o.now))
		if err != nil {
			return err
		}
		id, _ = res.LastInsertId()
		if starts.After(o.now) {
			return nil
		}
		open, err := o.tasksWhere(`assignee = ? AND kind = 'task' AND state = 'open' AND delegation = 0`, principal)
		if err != nil {
			return err
		}
		for _, t := range open {
			if flowKey != "" {
				var f string
				o.tx.QueryRowContext(ctx, `SELECT flow FROM instances WHERE id = ?`, t.Instance).Scan(&f)
				if f != flowKey {
					continue
				}
			}
			if _, err := o.tx.ExecContext(ctx, `UPDATE tasks SET assignee = ?, on_behalf = ?, delegation = ?, opened = '' WHERE id = ?`,
				delegate, principal, id, t.ID); err != nil {
				return err
			}
			d, err := loadDocument(ctx, o.tx, t.Doc)
			if err != nil {
				return err
			}
			if _, err := o.tx.ExecContext(ctx, `INSERT OR IGNORE INTO access (doc, login) VALUES (?, ?)`, t.Doc, delegate); err != nil {
				return err
			}
			if err := appendTrail(ctx, o.tx, trailRecord{Doc: d.ID, At: o.now, Actor: principal, Action: "delegate", From: t.Node, To: t.Node,
				Detail: fmt.Sprintf(`{"task":%d,"to":%q}`, t.ID, delegate), Source: "web"}); err != nil {
				return err
			}
			o.events = append(o.events, pendingEvent{contract.TodoReassigned, t.ID, principal})
		}
		if len(o.events) > 0 {
			// finish renders events with a document: render each here.
			for _, e := range o.events {
				t, err := o.loadTask(e.task)
				if err != nil {
					return err
				}
				if err := o.load(t.Doc); err != nil {
					return err
				}
				ev := contract.TodoEvent{V: contract.TodoVersion, ID: contract.NewID(), Type: e.typ, At: o.now, PreviousAssignee: e.prev, Todo: o.todoOf(t)}
				if err := s.enqueue(ctx, o.tx, ev); err != nil {
					return err
				}
			}
			o.events = nil
			o.doc = nil
		}
		return nil
	})
	return id, err
}

// Revoke (收回) ends a delegation now; its open tasks go back to the
// principal.
func (s *Store) Revoke(ctx context.Context, principal string, id int64) error {
	res, err := s.db.Writer().ExecContext(ctx, `UPDATE delegations SET revoked = ? WHERE id = ? AND principal = ? AND revoked = ''`, ts(s.now()), id, principal)
	s.changed()
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errf("not_found", "没有可以收回的这项委托。")
	}
	ids, err := s.ids(ctx, `SELECT id FROM tasks WHERE delegation = ? AND state IN ('open', 'queued', 'waiting')`, id)
	if err != nil {
		return err
	}
	for _, t := range ids {
		if err := s.giveBack(ctx, t, "revoke"); err != nil {
			return err
		}
	}
	return nil
}

// Delegations are login's delegations, given and received, newest first.
func (s *Store) Delegations(ctx context.Context, login string) ([]Delegation, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT id, principal, delegate, flow, starts, ends, revoked, created FROM delegations
		WHERE principal = ? OR delegate = ? ORDER BY id DESC LIMIT 100`, login, login)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Delegation
	for rows.Next() {
		var d Delegation
		var st, en, rv, cr string
		if err := rows.Scan(&d.ID, &d.Principal, &d.Delegate, &d.Flow, &st, &en, &rv, &cr); err != nil {
			return nil, err
		}
		d.Starts, d.Ends, d.Revoked, d.Created = parseTS(st), parseTS(en), parseTS(rv), parseTS(cr)
		out = append(out, d)
	}
	return out, rows.Err()
}

// HandleAction carries out an oa.action event (an SMS reply): as the
// official, with the same rules as the page. It reports the sentence to
// answer with when the action cannot be taken; a repeat of an event
// already carried out does nothing.
func (s *Store) HandleAction(ctx context.Context, a contract.OAAction) (refusal string, err error) {
	task := TaskOfTodo(a.TodoID)
	if task == 0 {
		return "", nil // not one of OA's documents
	}
	_, err = s.actOnce(ctx, a.Login, task, Action{Kind: a.Action, Opinion: a.Comment, Source: a.Source}, a.ID)
	if errors.Is(err, errRepeat) {
		return "", nil
	}
	var e *Error
	if err == nil || !errors.As(err, &e) {
		return "", err
	}
	// Refused: remember the event, so a redelivery is not answered twice.
	res, derr := s.db.Writer().ExecContext(ctx, `INSERT OR IGNORE INTO actions_done (id, at) VALUES (?, ?)`, a.ID, ts(s.now()))
	if derr != nil {
		return "", derr
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return "", nil
	}
	refusal = e.Msg
	if e.Code == "choose_next" {
		refusal = "这一步需要选择下一步办理人，请在工作台办理。"
	}
	return refusal, nil
}

// ids reads a column of ids.
func (s *Store) ids(ctx context.Context, query string, args ...any) ([]int64, error) {
	rows, err := s.db.Reader().QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
