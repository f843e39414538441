// Package flow is the definition of an OA workflow: a flow is data, JSON
// that an administrator edits, validates and publishes, and that is
// immutable once published (a running document keeps the version it
// started with). The engine that runs flows is oa/docflow; this package
// only says what a flow is and whether one is sound.
//
// A flow is nodes joined by edges:
//
//	start      where the drafter (or the clerk who registers a 收文) begins
//	task       people act; Mode says how many of them must
//	read       传阅: readers are given the document, the flow goes on at once
//	exclusive  the first edge whose condition holds on the document is taken
//	split      every outgoing edge is taken, in parallel
//	join       waits for every incoming branch
//	end        the flow ends
package flow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// NodeType is what a node does.
type NodeType string

// The node types.
const (
	Start     NodeType = "start"
	Task      NodeType = "task"
	Read      NodeType = "read"
	Exclusive NodeType = "exclusive"
	Split     NodeType = "split"
	Join      NodeType = "join"
	End       NodeType = "end"
)

// AssigneeKind says how the people of a node are found.
type AssigneeKind string

// The ways of naming who acts at a node.
const (
	Person        AssigneeKind = "person"         // Ref is a login
	Role          AssigneeKind = "role"           // Ref is an OA role (文书, 签发人…), held for the document's organ
	Dept          AssigneeKind = "dept"           // Ref is a department code: its members
	DeptLeader    AssigneeKind = "dept_leader"    // Ref is a department code, or empty for the drafting department
	InCharge      AssigneeKind = "in_charge"      // the 分管领导 of the drafting department
	StarterLeader AssigneeKind = "starter_leader" // the leader of the starter's department
	Previous      AssigneeKind = "previous"       // whoever acted last at node Ref (复审 goes back to the signer)
	Chosen        AssigneeKind = "chosen"         // chosen at run time by the person submitting, from Ref's pool ("" = all staff)
)

// Mode says how many of a node's people must act.
type Mode string

// The multi-person modes.
const (
	Single     Mode = "single"     // one person
	All        Mode = "all"        // 会签: everyone must act
	Any        Mode = "any"        // 或签: the first who acts decides
	Ratio      Mode = "ratio"      // a share (Node.Ratio) of them
	Sequential Mode = "sequential" // 串签: one after another, in order
)

// The actions a person may take on a task. Approve is always allowed on a
// task node; the others only when the node lists them.
const (
	Approve   = "approve"   // 同意 (办理完毕, 送下一步)
	Reject    = "reject"    // 不同意: to RejectTo, or the flow ends as 作废
	Return    = "return"    // 退回 to one of ReturnTo
	Withdraw  = "withdraw"  // 撤回: the sender takes back what nobody has opened
	Transfer  = "transfer"  // 转办
	AddSign   = "add_sign"  // 加签, before or after oneself
	Urge      = "urge"      // 催办
	Circulate = "circulate" // 传阅 to chosen readers
)

// NodeActions are the actions a node may list.
var NodeActions = []string{Reject, Return, Transfer, AddSign, Urge, Circulate}

// Effects are what a node does to the document when it completes.
const (
	EffectSign       = "sign"        // 签发: 签发人, 签发时间, 成文日期
	EffectRegister   = "register"    // 登记: the 发文字号, gapless per 机关代字 and year
	EffectPrint      = "print"       // 印制用印: 印发日期
	EffectIssue      = "issue"       // 核发
	EffectArchive    = "archive"     // 归档: the file number
	EffectReceive    = "receive"     // 签收: 签收人 and 签收时间
	EffectRegisterIn = "register_in" // 收文登记: the 收文号
	EffectReply      = "reply"       // 答复 to the 来文单位
	// A citizen's case (来信): each tells the portal (oa.case).
	EffectCaseAccept = "case_accept" // 受理
	EffectCaseAssign = "case_assign" // 分办: the 主办 department is the chosen handler's
	EffectCaseReply  = "case_reply"  // the 答复 approved: the citizen reads it
	EffectCaseClose  = "case_close"  // 办结
	EffectCaseExtend = "case_extend" // a 延期 approved: the case's deadline moves
)

var effects = []string{EffectSign, EffectRegister, EffectPrint, EffectIssue, EffectArchive, EffectReceive, EffectRegisterIn, EffectReply,
	EffectCaseAccept, EffectCaseAssign, EffectCaseReply, EffectCaseClose, EffectCaseExtend}

// Expiry says what happens when a task's deadline passes.
const (
	Remind   = "remind"    // 催办 the assignee (an overdue to-do)
	Escalate = "escalate"  // also give the task to the holders of EscalateTo
	AutoPass = "auto_pass" // pass the step as approved
)

// Assignee names who acts at a node.
type Assignee struct {
	Kind AssigneeKind `json:"kind"`
	Ref  string       `json:"ref,omitempty"`
}

// Deadline is a task's time limit.
type Deadline struct {
	WorkDays   int    `json:"work_days,omitempty"`
	Hours      int    `json:"hours,omitempty"` // working hours (a working day has 8)
	OnExpire   string `json:"on_expire,omitempty"`
	EscalateTo string `json:"escalate_to,omitempty"` // a role, with Escalate
}

// Node is one step of a flow.
type Node struct {
	ID        string     `json:"id"`
	Type      NodeType   `json:"type"`
	Name      string     `json:"name"`
	Assignees []Assignee `json:"assignees,omitempty"`
	Mode      Mode       `json:"mode,omitempty"`
	Ratio     float64    `json:"ratio,omitempty"`
	// Opinion is the opinion field this node's people write into
	// (核稿意见, 会签意见, 领导批示…); empty: no opinion is asked for.
	Opinion  string    `json:"opinion,omitempty"`
	Actions  []string  `json:"actions,omitempty"`
	ReturnTo []string  `json:"return_to,omitempty"`
	RejectTo string    `json:"reject_to,omitempty"` // empty: 不同意 ends the flow as 作废
	Deadline *Deadline `json:"deadline,omitempty"`
	Effect   string    `json:"effect,omitempty"`
	// State is the document's state while it waits here (审核中, 待签发…);
	// empty: the node's name.
	State string `json:"state,omitempty"`
	// EditBody lets the node's people change the document and its 正文.
	EditBody bool `json:"edit_body,omitempty"`
}

// Condition is a test on one of the document's fields.
type Condition struct {
	Field string   `json:"field"`
	Op    string   `json:"op"` // eq, ne, in, set, unset
	Value string   `json:"value,omitempty"`
	In    []string `json:"in,omitempty"`
}

// Edge joins two nodes.
type Edge struct {
	From    string     `json:"from"`
	To      string     `json:"to"`
	Label   string     `json:"label,omitempty"` // the route's name, e.g. 送签发
	When    *Condition `json:"when,omitempty"`
	Default bool       `json:"default,omitempty"`
}

// Def is a flow definition.
type Def struct {
	Key     string `json:"key"` // e.g. 发文
	Name    string `json:"name"`
	Version int    `json:"version,omitempty"` // set when published
	// Kind is the kind of document it carries: 发文, 收文, 签报, or 来信
	// (a citizen's case, started by the portal's portal.case events).
	Kind  string `json:"kind"`
	Nodes []Node `json:"nodes"`
	Edges []Edge `json:"edges"`
}

// Kinds of document a flow may carry.
var Kinds = []string{"发文", "收文", "签报", "来信"}

// Parse reads a definition from JSON; unknown fields are an error, so a
// misspelt key is not silently ignored. The definition is not validated:
// call Validate.
func Parse(data []byte) (*Def, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var d Def
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("流程定义不是有效的 JSON：%v", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("流程定义之后还有多余的内容")
	}
	return &d, nil
}

// JSON is the definition as indented JSON.
func (d *Def) JSON() []byte {
	b, _ := json.MarshalIndent(d, "", "  ")
	return b
}

// Node returns the node with id, or nil.
func (d *Def) Node(id string) *Node {
	for i := range d.Nodes {
		if d.Nodes[i].ID == id {
			return &d.Nodes[i]
		}
	}
	return nil
}

// StartNode is the flow's start.
func (d *Def) StartNode() *Node {
	for i := range d.Nodes {
		if d.Nodes[i].Type == Start {
			return &d.Nodes[i]
		}
	}
	return nil
}

// Out returns the edges leaving id, in order.
func (d *Def) Out(id string) []Edge {
	var out []Edge
	for _, e := range d.Edges {
		if e.From == id {
			out = append(out, e)
		}
	}
	return out
}

// In returns the edges entering id.
func (d *Def) In(id string) []Edge {
	var in []Edge
	for _, e := range d.Edges {
		if e.To == id {
			in = append(in, e)
		}
	}
	return in
}

// Allows reports whether action may be taken at node n.
func (n *Node) Allows(action string) bool {
	switch n.Type {
	case Task, Start:
	default:
		return false
	}
	switch action {
	case Approve:
		return true
	case Withdraw:
		return true // checked against who sent the task
	}
	return slices.Contains(n.Actions, action)
}

// StateName is the document's state while it waits at n.
func (n *Node) StateName() string {
	if n.State != "" {
		return n.State
	}
	return n.Name
}

// Eval reports whether c holds on the document's fields.
func (c *Condition) Eval(fields map[string]string) bool {
	v := fields[c.Field]
	switch c.Op {
	case "eq":
		return v == c.Value
	case "ne":
		return v != c.Value
	case "in":
		return slices.Contains(c.In, v)
	case "set":
		return v != ""
	case "unset":
		return v == ""
	}
	return false
}

// Problem is one thing wrong with a definition, naming the node.
type Problem struct {
	Node    string `json:"node,omitempty"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	if p.Node == "" {
		return p.Message
	}
	return fmt.Sprintf("节点 %q：%s", p.Node, p.Message)
}

// Problems are everything wrong with a definition.
type Problems []Problem

func (ps Problems) Error() string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return "流程定义有 " + fmt.Sprint(len(ps)) + " 处问题：" + strings.Join(s, "；")
}

var modes = []Mode{Single, All, Any, Ratio, Sequential}
var kinds = []AssigneeKind{Person, Role, Dept, DeptLeader, InCharge, StarterLeader, Previous, Chosen}
var ops = []string{"eq", "ne", "in", "set", "unset"}

// Validate checks that the definition can run: one start, an end, known
// types, modes and actions, edges between existing nodes, every node
// reachable from the start and able to reach an end, people for every
// task, conditions or a default on every exclusive choice, and 退回
// targets that come earlier in the flow. It returns nil or Problems.
func (d *Def) Validate() error {
	var ps Problems
	add := func(node, format string, args ...any) {
		ps = append(ps, Problem{Node: node, Message: fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(d.Key) == "" {
		add("", "缺少流程标识 key")
	}
	if strings.TrimSpace(d.Name) == "" {
		add("", "缺少流程名称 name")
	}
	if !slices.Contains(Kinds, d.Kind) {
		add("", "公文类别 kind 应为 发文、收文 或 签报，而不是 %q", d.Kind)
	}
	ids := map[string]*Node{}
	starts, ends := 0, 0
	for i := range d.Nodes {
		n := &d.Nodes[i]
		switch {
		case n.ID == "":
			add("", "第 %d 个节点没有 id", i+1)
			continue
		case ids[n.ID] != nil:
			add(n.ID, "id 重复")
			continue
		}
		ids[n.ID] = n
		if strings.TrimSpace(n.Name) == "" && (n.Type == Task || n.Type == Read || n.Type == Start) {
			add(n.ID, "缺少名称 name")
		}
		switch n.Type {
		case Start:
			starts++
		case End:
			ends++
		case Task, Read, Exclusive, Split, Join:
		default:
			add(n.ID, "类型 %q 未知（start、task、read、exclusive、split、join、end）", n.Type)
		}
		if n.Type == Task || n.Type == Read {
			if len(n.Assignees) == 0 {
				add(n.ID, "没有指定办理人 assignees")
			}
			for _, a := range n.Assignees {
				if !slices.Contains(kinds, a.Kind) {
					add(n.ID, "办理人类型 %q 未知", a.Kind)
				}
				if (a.Kind == Person || a.Kind == Role || a.Kind == Dept || a.Kind == Previous) && a.Ref == "" {
					add(n.ID, "办理人类型 %s 需要 ref", a.Kind)
				}
			}
		}
		if n.Type == Task {
			m := n.Mode
			if m == "" {
				m = Single
			}
			if !slices.Contains(modes, m) {
				add(n.ID, "多人办理方式 %q 未知（single、all、any、ratio、sequential）", n.Mode)
			}
			if m == Ratio && (n.Ratio <= 0 || n.Ratio > 1) {
				add(n.ID, "ratio 方式需要 0 到 1 之间的比例")
			}
		}
		for _, a := range n.Actions {
			if !slices.Contains(NodeActions, a) {
				add(n.ID, "操作 %q 未知（%s）", a, strings.Join(NodeActions, "、"))
			}
		}
		if len(n.ReturnTo) > 0 && !slices.Contains(n.Actions, Return) {
			add(n.ID, "列出了 return_to 却不允许退回（actions 中缺少 return）")
		}
		if n.Effect != "" && !slices.Contains(effects, n.Effect) {
			add(n.ID, "效果 effect %q 未知", n.Effect)
		}
		if dl := n.Deadline; dl != nil {
			if dl.WorkDays < 0 || dl.Hours < 0 || dl.WorkDays == 0 && dl.Hours == 0 {
				add(n.ID, "办理时限需要正的 work_days 或 hours")
			}
			switch dl.OnExpire {
			case "", Remind, AutoPass:
			case Escalate:
				if dl.EscalateTo == "" {
					add(n.ID, "超时升级 escalate 需要 escalate_to（一个角色）")
				}
			default:
				add(n.ID, "超时处理 on_expire %q 未知（remind、escalate、auto_pass）", dl.OnExpire)
			}
		}
	}
	if starts != 1 {
		add("", "应有且只有一个开始节点，现有 %d 个", starts)
	}
	if ends == 0 {
		add("", "没有结束节点")
	}
	for i, e := range d.Edges {
		if ids[e.From] == nil {
			add("", "第 %d 条连线的起点 %q 不存在", i+1, e.From)
		}
		if ids[e.To] == nil {
			add("", "第 %d 条连线的终点 %q 不存在", i+1, e.To)
		}
		if c := e.When; c != nil {
			if c.Field == "" || !slices.Contains(ops, c.Op) {
				add(e.From, "连线到 %q 的条件需要 field 和 op（eq、ne、in、set、unset）", e.To)
			}
		}
	}
	if len(ps) > 0 {
		return ps
	}
	for _, n := range d.Nodes {
		out, in := d.Out(n.ID), d.In(n.ID) // a start may be entered again by 退回
		switch n.Type {
		case Start:
			if len(out) == 0 {
				add(n.ID, "开始节点没有出去的连线")
			}
		case End:
			if len(out) > 0 {
				add(n.ID, "结束节点不能有出去的连线")
			}
		case Exclusive:
			defaults := 0
			for _, e := range out {
				if e.Default {
					defaults++
				} else if e.When == nil {
					add(n.ID, "条件分支到 %q 的连线既无条件也不是默认", e.To)
				}
			}
			if len(out) < 2 {
				add(n.ID, "条件分支至少需要两条出去的连线")
			}
			if defaults != 1 {
				add(n.ID, "条件分支需要正好一条默认连线 default，现有 %d 条", defaults)
			}
		case Split:
			if len(out) < 2 {
				add(n.ID, "并行分支至少需要两条出去的连线")
			}
		case Join:
			if len(in) < 2 {
				add(n.ID, "并行汇聚至少需要两条进入的连线")
			}
			if len(out) != 1 {
				add(n.ID, "并行汇聚需要正好一条出去的连线")
			}
		case Task, Read:
			if len(out) == 0 {
				add(n.ID, "没有出去的连线")
			}
			if n.Type == Read && len(out) != 1 {
				add(n.ID, "传阅节点需要正好一条出去的连线")
			}
		}
	}
	// Reachability: from the start forwards, and to an end backwards.
	start := d.StartNode()
	fwd := d.reach(start.ID, func(id string) []string {
		var s []string
		for _, e := range d.Out(id) {
			s = append(s, e.To)
		}
		return s
	})
	back := map[string]bool{}
	for _, n := range d.Nodes {
		if n.Type == End {
			for id := range d.reach(n.ID, func(id string) []string {
				var s []string
				for _, e := range d.In(id) {
					s = append(s, e.From)
				}
				return s
			}) {
				back[id] = true
			}
		}
	}
	for _, n := range d.Nodes {
		if !fwd[n.ID] {
			add(n.ID, "从开始节点到不了这里")
		} else if !back[n.ID] {
			add(n.ID, "从这里到不了结束节点")
		}
	}
	// Nodes inside a parallel branch (after a split, before its join):
	// 退回 there would leave the other branches' join waiting for ever.
	inBranch := map[string]bool{}
	for _, n := range d.Nodes {
		if n.Type != Split {
			continue
		}
		for id := range d.reach(n.ID, func(id string) []string {
			if ids[id].Type == Join {
				return nil
			}
			var s []string
			for _, e := range d.Out(id) {
				s = append(s, e.To)
			}
			return s
		}) {
			if id != n.ID && ids[id].Type != Join {
				inBranch[id] = true
			}
		}
	}
	for _, n := range d.Nodes {
		for _, t := range append(slices.Clone(n.ReturnTo), n.RejectTo) {
			if inBranch[t] {
				add(n.ID, "退回或不同意的目标 %q 在并行分支之内，退回后其他分支无法汇聚", t)
				continue
			}
			if t == "" {
				continue
			}
			tn := ids[t]
			switch {
			case tn == nil:
				add(n.ID, "退回或不同意的目标 %q 不存在", t)
			case tn.Type != Task && tn.Type != Start:
				add(n.ID, "退回或不同意的目标 %q 不是办理节点", t)
			case !d.reach(t, func(id string) []string {
				var s []string
				for _, e := range d.Out(id) {
					s = append(s, e.To)
				}
				return s
			})[n.ID]:
				add(n.ID, "退回或不同意的目标 %q 不在本节点之前", t)
			}
		}
		for _, a := range n.Assignees {
			if a.Kind == Previous && ids[a.Ref] == nil {
				add(n.ID, "previous 指向的节点 %q 不存在", a.Ref)
			}
		}
	}
	if len(ps) > 0 {
		return ps
	}
	return nil
}

func (d *Def) reach(from string, next func(string) []string) map[string]bool {
	seen := map[string]bool{from: true}
	stack := []string{from}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, n := range next(id) {
			if !seen[n] {
				seen[n] = true
				stack = append(stack, n)
			}
		}
	}
	return seen
}
