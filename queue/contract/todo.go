package contract

import "time"

// TodoVersion is the version of TodoEvent this build writes and reads.
const TodoVersion = 1

// TodoEventType says what happened to a to-do.
type TodoEventType string

// The kinds of TodoEvent.
const (
	TodoCreated    TodoEventType = "created"    // a new to-do waits for its assignee
	TodoReassigned TodoEventType = "reassigned" // the to-do moved to another assignee (转办, 委托); PreviousAssignee had it
	TodoDone       TodoEventType = "done"       // acted on, withdrawn or otherwise closed; nothing more to notify
	TodoOverdue    TodoEventType = "overdue"    // its due time passed while open (催办 starts here)
)

// Urgency is a document's 紧急程度 as the workbench shows it.
type Urgency string

// The three urgencies, most urgent first.
const (
	UrgencyTop    Urgency = "特急" // notified at once, through quiet hours, never gathered into a digest
	UrgencyHigh   Urgency = "加急"
	UrgencyNormal Urgency = "平件"
)

// TodoEvent is the message on oa.todo (version 1): a to-do was created,
// reassigned, done or became overdue.
//
//	{"v":1,"id":"01JD…","type":"created","at":"2026-11-25T09:30:00+08:00",
//	 "todo":{"id":"todo-8812","assignee":"zhangwei","title":"关于加强电子政务建设的通知",
//	  "doc_number":"秀政发〔2004〕12号","urgency":"特急","due":"2026-11-26T17:00:00+08:00",
//	  "actions":["approve","return"]}}
type TodoEvent struct {
	V    int           `json:"v"`
	ID   string        `json:"id"`   // event id (NewID), not the to-do's
	Type TodoEventType `json:"type"` // created, reassigned, done, overdue
	// At is when it happened in the workflow; optional.
	At time.Time `json:"at,omitzero"`
	// PreviousAssignee is the login that had the to-do before, on
	// "reassigned".
	PreviousAssignee string `json:"previous_assignee,omitempty"`
	Todo             Todo   `json:"todo"`
}

// Todo is the to-do as it stands after the event.
type Todo struct {
	ID       string `json:"id"`       // the to-do's id in oa/, stable across its events
	Assignee string `json:"assignee"` // login of the official who must act
	Title    string `json:"title"`    // e.g. 关于加强电子政务建设的通知
	// DocNumber is the document's 发文字号, e.g. 秀政发〔2004〕12号;
	// empty for a to-do without a numbered document.
	DocNumber string  `json:"doc_number,omitempty"`
	Urgency   Urgency `json:"urgency"` // 特急, 加急 or 平件
	// Due is the deadline with its offset (Asia/Shanghai, +08:00);
	// absent for a to-do without one.
	Due time.Time `json:"due,omitzero"`
	// Actions are what the flow allows at this step, e.g. "approve",
	// "return", "reject", "transfer"; an SMS reply may ask only for one
	// of these.
	Actions []string `json:"actions,omitempty"`
	// Step is the name of the workflow step, e.g. 签发; optional.
	Step string `json:"step,omitempty"`
	// URL opens the to-do in the workbench; optional.
	URL string `json:"url,omitempty"`
}

// Topic returns "oa.todo".
func (TodoEvent) Topic() string { return TopicTodo }

// Version returns TodoVersion.
func (TodoEvent) Version() int { return TodoVersion }

// EventID returns e.ID.
func (e TodoEvent) EventID() string { return e.ID }

// Validate checks the rules of version 1: an event id; a known type; the
// to-do's id and assignee; for every type but "done" a title and a known
// urgency; actions as lowercase words without repeats.
func (e TodoEvent) Validate() error {
	const t = TopicTodo
	if err := checkVersion(t, e.V, TodoVersion); err != nil {
		return err
	}
	if err := checkID(t, "id", e.ID); err != nil {
		return err
	}
	switch e.Type {
	case TodoCreated, TodoReassigned, TodoDone, TodoOverdue:
	default:
		return invalid(t, "type %q is not one of created, reassigned, done, overdue", e.Type)
	}
	if err := checkID(t, "todo.id", e.Todo.ID); err != nil {
		return err
	}
	if err := checkLogin(t, "todo.assignee", e.Todo.Assignee); err != nil {
		return err
	}
	if e.PreviousAssignee != "" {
		if err := checkLogin(t, "previous_assignee", e.PreviousAssignee); err != nil {
			return err
		}
	}
	full := e.Type != TodoDone
	if err := checkText(t, "todo.title", e.Todo.Title, 500, full, false); err != nil {
		return err
	}
	if err := checkText(t, "todo.doc_number", e.Todo.DocNumber, 64, false, false); err != nil {
		return err
	}
	switch e.Todo.Urgency {
	case UrgencyTop, UrgencyHigh, UrgencyNormal:
	case "":
		if full {
			return invalid(t, "todo.urgency is empty (特急, 加急 or 平件)")
		}
	default:
		return invalid(t, "todo.urgency %q is not one of 特急, 加急, 平件", e.Todo.Urgency)
	}
	seen := make(map[string]bool, len(e.Todo.Actions))
	for _, a := range e.Todo.Actions {
		if err := checkToken(t, "todo.actions", a); err != nil {
			return err
		}
		if seen[a] {
			return invalid(t, "todo.actions lists %q twice", a)
		}
		seen[a] = true
	}
	if len(e.Todo.Actions) > 16 {
		return invalid(t, "todo.actions lists %d actions, at most 16 are allowed", len(e.Todo.Actions))
	}
	if err := checkText(t, "todo.step", e.Todo.Step, 64, false, false); err != nil {
		return err
	}
	return checkText(t, "todo.url", e.Todo.URL, 2048, false, false)
}

// Allows reports whether the to-do's flow allows action.
func (t Todo) Allows(action string) bool {
	for _, a := range t.Actions {
		if a == action {
			return true
		}
	}
	return false
}
