// Package cases keeps citizens' cases (来信): inquiries, suggestions,
// complaints, requests for help, reports and applications for
// information, whatever channel they came by (the portal's 领导信箱 and
// 咨询投诉 forms, SMS, mail, Open311, an operator's 代录). Each case has a
// public 查询码 — random, unguessable, never sequential — apart from its
// internal 工单编号, a deadline in working days by its type, and a trail
// to which every change of state adds a line and from which nothing is
// ever removed.
//
// The store is the portal's side of a case: intake, the public lookup and
// the states the handling in OA reports back (portal.case and oa.case
// events carry them across the queue). The public sees coarse states
// only: 已受理, 办理中, 已答复, 已办结, 不予受理.
package cases

import (
	"time"

	"nanhu/queue/contract"
)

// Channel is how a case came in.
type Channel string

// The channels.
const (
	Web     Channel = "web"
	SMS     Channel = "sms"
	Mail    Channel = "mail"
	Open311 Channel = "open311"
	Phone   Channel = "phone" // entered by an operator (代录)
)

// ChannelNames are the channels in words.
var ChannelNames = map[Channel]string{Web: "网站", SMS: "短信", Mail: "邮件", Open311: "Open311 接口", Phone: "电话代录"}

// Kind is a case's type.
type Kind string

// The types of case.
const (
	Consult    Kind = "consult"    // 咨询
	Suggest    Kind = "suggest"    // 建议
	Complain   Kind = "complain"   // 投诉
	Help       Kind = "help"       // 求助
	Report     Kind = "report"     // 举报
	Disclosure Kind = "disclosure" // 依申请公开
)

// Kinds are the types in the order forms list them.
var Kinds = []Kind{Consult, Suggest, Complain, Help, Report, Disclosure}

// KindNames are the types in words.
var KindNames = map[Kind]string{Consult: "咨询", Suggest: "建议", Complain: "投诉", Help: "求助", Report: "举报", Disclosure: "依申请公开"}

// DefaultLimits are the working days a case of each type has for its
// answer, from common 12345 practice: 咨询 and 求助 3; 建议, 投诉 and 举报
// 13; 依申请公开 20 (the regulation's, extendable once by 20).
var DefaultLimits = map[Kind]int{Consult: 3, Help: 3, Suggest: 13, Complain: 13, Report: 13, Disclosure: 20}

// State is where a case is in its handling.
type State string

// The states. The public sees them through PublicState.
const (
	Received State = "received" // 待审查: in, not yet looked at
	Accepted State = "accepted" // 已受理
	Rejected State = "rejected" // 不予受理, with the reason
	Assigned State = "assigned" // 已分办: with its departments
	Replied  State = "replied"  // 已答复
	Closed   State = "closed"   // 已办结
)

// StateNames are the internal states in words (staff pages).
var StateNames = map[State]string{Received: "待审查", Accepted: "已受理", Rejected: "不予受理", Assigned: "办理中", Replied: "已答复", Closed: "已办结"}

// PublicState is what the public sees of a state: 已受理, 办理中,
// 已答复, 已办结 or 不予受理. A case not yet looked at is shown as
// received (已受理): the citizen's submission is in.
func PublicState(s State) string {
	switch s {
	case Assigned:
		return "办理中"
	case Replied:
		return "已答复"
	case Closed:
		return "已办结"
	case Rejected:
		return "不予受理"
	}
	return "已受理"
}

// Writer is who wrote. Area is the 区划代码 of the address (6 or 12
// digits), when known.
type Writer struct {
	Name, Mobile, Mail, Address, Area string
}

// Submission is what a channel hands in to open a case.
type Submission struct {
	Channel  Channel
	Kind     Kind
	Category string // a code of the category list, "" when unknown
	Writer   Writer
	// Confidential keeps the writer's identity from the handling
	// department (保密); Anonymous is a 举报 without a name.
	Confidential, Anonymous bool
	Title, Text             string
	// Consent is the writer's 公开意愿: the case and its reply may be
	// published once a reviewer approves.
	Consent bool
	// Key makes a submission idempotent: a second submission with the
	// same key (a form's token, an Open311 client's request) returns the
	// case the first opened. "" for none.
	Key string
	// By is the operator who entered a phone case (代录).
	By string
	// Place is where the matter is, when the channel knows it (Open311's
	// lat and long).
	Place *Place
	// APIKey is the Open311 key it came with.
	APIKey int64
	// Verify is the SMS code the web writer received (StartVerification):
	// a web case opens only with the right one, which it uses up.
	Verify string
	// Files are the writer's attachments (pictures, documents), checked
	// by their first bytes.
	Files []File
	// Application is the form of a 依申请公开 (Kind Disclosure): who
	// applies and how the information is to be delivered. Text is the
	// description of the information wanted.
	Application *Application
}

// Case is a case as the staff see it.
type Case struct {
	ID                               int64
	Number                           string // 工单编号: 年份-序号, gapless per year
	Code                             string // 查询码
	Channel                          Channel
	Kind                             Kind
	Category                         string
	Writer                           Writer
	Confidential, Anonymous, Consent bool
	Title, Text                      string
	State                            State
	Received, Due                    time.Time
	// DuplicateOf is an earlier case of the same writer with nearly the
	// same text, within the window (0: none): the dispatcher sees it and
	// may merge the two.
	DuplicateOf int64
	// Reply is the answer as the citizen reads it, once replied.
	Reply   string
	Replied time.Time
	// Reason is why the case was not accepted.
	Reason string
	Place  *Place
	APIKey int64
	// Dept is the 主办 department OA assigned it to.
	Dept   string
	Closed time.Time
	// Rating is the citizen's 1 (非常满意) to 5 (非常不满意), 0 until rated.
	Rating int
	Rated  time.Time
	// Rework counts the times the case was handled again (重办).
	Rework int
	// MergedInto is the case this one was merged into (0: none).
	MergedInto int64
}

// Ratings are the five levels of 好差评, Ratings[1] to Ratings[5].
var Ratings = contract.Ratings

// File is an attachment of a case.
type File struct {
	ID          int64
	Name        string
	ContentType string // from its kind, never from the sender
	Size        int64
	Data        []byte // nil in lists
}

// Place is a point (WGS 84).
type Place struct{ Lat, Long float64 }

// Event is a line of a case's trail.
type Event struct {
	At     time.Time
	By     string // a login, "citizen", or the channel
	Action string // opened, info-added, accepted, rejected, assigned, extended, replied, closed, merged
	Note   string
	// Public lines are shown on the lookup page.
	Public bool
}

// View is a case as the public lookup shows it.
type View struct {
	Code     string
	Kind     Kind
	Title    string
	Text     string
	State    string // PublicState
	Received time.Time
	Due      time.Time
	Reply    string
	Replied  time.Time
	Reason   string
	Trail    []Event // the public lines
	Rating   int
	// RateBy is the last day the reply may be rated, or the case
	// reopened (zero: not now).
	RateBy time.Time
}

// Name is the channel in words.
func (c Channel) Name() string { return ChannelNames[c] }

// Name is the type in words.
func (k Kind) Name() string { return KindNames[k] }

// Name is the state in words (staff pages).
func (s State) Name() string { return StateNames[s] }

// RatingName is the citizen's rating in words ("" until rated).
func (c Case) RatingName() string { return contract.RatingName(c.Rating) }

// ActionName is the trail line's action in words.
func (e Event) ActionName() string { return ActionName(e.Action) }
