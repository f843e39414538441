package contract

import (
	"slices"
	"strings"
	"time"
)

// Versions of the case messages this build writes and reads.
const (
	PortalCaseVersion = 1
	OACaseVersion     = 1
)

// The types of a PortalCase.
const (
	CaseOpened    = "opened"     // a new case, from any channel
	CaseInfoAdded = "info_added" // the citizen added to it (Info)
	CaseRated     = "rated"      // the citizen rated the answer (Rating)
	CaseReopened  = "reopened"   // the citizen asked for 重办 (Note is why)
	CaseMerged    = "merged"     // the dispatcher merged it into another case (Note is that case's 工单编号)
)

// Ratings are the five levels of 好差评 a PortalCase's Rating names,
// Ratings[1] (非常满意) to Ratings[5] (非常不满意).
var Ratings = [...]string{"", "非常满意", "满意", "基本满意", "不满意", "非常不满意"}

// RatingName is level n in words, "" when n is none of the five.
func RatingName(n int) string {
	if n < 1 || n >= len(Ratings) {
		return ""
	}
	return Ratings[n]
}

// PortalCaseTypes are the types of a PortalCase.
var PortalCaseTypes = []string{CaseOpened, CaseInfoAdded, CaseRated, CaseReopened, CaseMerged}

// PortalCase is the message on portal.case (version 1): something
// happened to a citizen's case on the portal's side. OA starts its
// 来信办理 flow on "opened" and "reopened", notes "info_added" on the
// running flow, and opens a 整改 task when a rating is 不满意 or worse.
//
// A writer who asked for 保密, and an anonymous 举报, reach OA without
// name, mobile or address: the portal leaves them out.
//
//	{"v":1,"id":"01JD…","type":"opened","case":42,"number":"2026-000042","kind":"投诉",
//	 "category":"szss","channel":"web","title":"…","text":"…","writer":"王某","mobile":"+8613…",
//	 "received":"2026-12-04T09:30:00+08:00","due":"2026-12-23"}
type PortalCase struct {
	V    int    `json:"v"`
	ID   string `json:"id"`
	Type string `json:"type"`
	// Case is the portal's id of the case; Number its 工单编号.
	Case   int64  `json:"case"`
	Number string `json:"number"`
	// Kind is the type in words: 咨询, 建议, 投诉, 求助, 举报, 依申请公开.
	Kind     string `json:"kind,omitempty"`
	Category string `json:"category,omitempty"` // a code of the category list
	Channel  string `json:"channel,omitempty"`  // web, sms, mail, open311, phone
	Title    string `json:"title,omitempty"`
	Text     string `json:"text,omitempty"`
	// Writer, Mobile and Address are empty when the writer asked for 保密
	// (Confidential) or wrote anonymously.
	Writer       string `json:"writer,omitempty"`
	Mobile       string `json:"mobile,omitempty"`
	Address      string `json:"address,omitempty"`
	Confidential bool   `json:"confidential,omitempty"`
	Anonymous    bool   `json:"anonymous,omitempty"`
	// Received is when the case came in; Due the last day of its answer
	// (YYYY-MM-DD, on the working-day calendar).
	Received time.Time `json:"received,omitzero"`
	Due      string    `json:"due,omitempty"`
	// Info is what was added (info_added).
	Info string `json:"info,omitempty"`
	// Rating is 1 非常满意, 2 满意, 3 基本满意, 4 不满意 or 5 非常不满意 (rated).
	Rating int `json:"rating,omitempty"`
	// Note is the reason of a reopening, or the comment of a rating.
	Note string    `json:"note,omitempty"`
	At   time.Time `json:"at,omitzero"`
}

// Topic returns "portal.case".
func (PortalCase) Topic() string { return TopicPortalCase }

// Version returns PortalCaseVersion.
func (PortalCase) Version() int { return PortalCaseVersion }

// EventID returns c.ID.
func (c PortalCase) EventID() string { return c.ID }

// Validate checks the rules of version 1.
func (c PortalCase) Validate() error {
	const t = TopicPortalCase
	if err := checkVersion(t, c.V, PortalCaseVersion); err != nil {
		return err
	}
	if err := checkID(t, "id", c.ID); err != nil {
		return err
	}
	if !slices.Contains(PortalCaseTypes, c.Type) {
		return invalid(t, "type %q is not one of %v", c.Type, PortalCaseTypes)
	}
	if c.Case <= 0 {
		return invalid(t, "case must be a positive id")
	}
	if err := checkID(t, "number", c.Number); err != nil {
		return err
	}
	if c.Type == CaseOpened {
		if err := checkText(t, "title", c.Title, 200, true, false); err != nil {
			return err
		}
	}
	if c.Mobile != "" {
		if err := checkE164(t, "mobile", c.Mobile); err != nil {
			return err
		}
		if c.Confidential {
			return invalid(t, "a confidential writer's mobile must not be sent")
		}
	}
	if (c.Confidential || c.Anonymous) && (c.Writer != "" || c.Address != "") {
		return invalid(t, "a confidential or anonymous writer's identity must not be sent")
	}
	if c.Due != "" {
		if _, err := time.Parse(time.DateOnly, c.Due); err != nil {
			return invalid(t, "due %q is not a date YYYY-MM-DD", c.Due)
		}
	}
	if c.Type == CaseRated && (c.Rating < 1 || c.Rating > 5) {
		return invalid(t, "rating must be 1 to 5")
	}
	for _, f := range []struct {
		name, s   string
		max       int
		multiline bool
	}{{"kind", c.Kind, 16, false}, {"category", c.Category, 32, false}, {"channel", c.Channel, 16, false},
		{"text", c.Text, 20000, true}, {"writer", c.Writer, 100, false}, {"address", c.Address, 200, false},
		{"info", c.Info, 20000, true}, {"note", c.Note, 2000, true}} {
		if err := checkText(t, f.name, f.s, f.max, false, f.multiline); err != nil {
			return err
		}
	}
	if c.Type == CaseInfoAdded && c.Info == "" {
		return invalid(t, "info_added without info")
	}
	return nil
}

// The actions an OACase reports.
const (
	CaseAccepted = "accepted" // 受理
	CaseRejected = "rejected" // 不予受理 (Note is the reason)
	CaseAssigned = "assigned" // 分办 (Note names the departments)
	CaseExtended = "extended" // 延期 (Days)
	CaseReplied  = "replied"  // 答复 approved (Note is the reply's text)
	CaseClosed   = "closed"   // 办结
)

// OACaseActions are the actions of an OACase.
var OACaseActions = []string{CaseAccepted, CaseRejected, CaseAssigned, CaseExtended, CaseReplied, CaseClosed}

// OACase is the message on oa.case (version 1): a step of a case's
// handling in OA. The portal moves the case's public state, adds the
// trail line and tells the citizen.
//
//	{"v":1,"id":"01JD…","case":42,"action":"replied","by":"梁晓燕","note":"答复的正文…",
//	 "at":"2026-12-08T15:00:00+08:00"}
type OACase struct {
	V      int    `json:"v"`
	ID     string `json:"id"`
	Case   int64  `json:"case"`
	Action string `json:"action"`
	// By is the official's name, for the trail.
	By   string `json:"by"`
	Note string `json:"note,omitempty"`
	// Dept is the 主办 department's name (assigned): the statistics
	// count the case as its.
	Dept string `json:"dept,omitempty"`
	// Days is an extension's working days.
	Days int       `json:"days,omitempty"`
	At   time.Time `json:"at,omitzero"`
}

// Topic returns "oa.case".
func (OACase) Topic() string { return TopicOACase }

// Version returns OACaseVersion.
func (OACase) Version() int { return OACaseVersion }

// EventID returns c.ID.
func (c OACase) EventID() string { return c.ID }

// Validate checks the rules of version 1.
func (c OACase) Validate() error {
	const t = TopicOACase
	if err := checkVersion(t, c.V, OACaseVersion); err != nil {
		return err
	}
	if err := checkID(t, "id", c.ID); err != nil {
		return err
	}
	if c.Case <= 0 {
		return invalid(t, "case must be a positive id")
	}
	if !slices.Contains(OACaseActions, c.Action) {
		return invalid(t, "action %q is not one of %v", c.Action, OACaseActions)
	}
	if err := checkText(t, "by", c.By, 100, true, false); err != nil {
		return err
	}
	if err := checkText(t, "dept", c.Dept, 100, c.Action == CaseAssigned, false); err != nil {
		return err
	}
	needNote := c.Action == CaseRejected || c.Action == CaseReplied || c.Action == CaseAssigned
	if err := checkText(t, "note", c.Note, 20000, needNote, true); err != nil {
		return err
	}
	if c.Action == CaseExtended && (c.Days < 1 || c.Days > 60) {
		return invalid(t, "days must be 1 to 60")
	}
	return nil
}

// MailCaseVersion is the version of MailCase this build writes and reads.
const MailCaseVersion = 1

// MailCase is the message on mail.case (version 1): a mail that reached
// one of the case addresses (xinxiang@…). The mail server hands it over
// decoded (any charset to UTF-8, the text parts only) and never calls
// the portal; the portal opens a case from it, or adds it to the case
// whose 查询码 the subject carries.
//
//	{"v":1,"id":"01JD…","to":"xinxiang@xiuzhou.gov.cn","from":"wang@example.com","from_name":"王芳",
//	 "subject":"关于小区路灯的建议","text":"…","message_id":"abc@example.com","received":"…"}
type MailCase struct {
	V         int       `json:"v"`
	ID        string    `json:"id"`
	To        string    `json:"to"`
	From      string    `json:"from"`
	FromName  string    `json:"from_name,omitempty"`
	Subject   string    `json:"subject,omitempty"`
	Text      string    `json:"text"`
	MessageID string    `json:"message_id,omitempty"`
	Received  time.Time `json:"received"`
}

// Topic returns "mail.case".
func (MailCase) Topic() string { return TopicMailCase }

// Version returns MailCaseVersion.
func (MailCase) Version() int { return MailCaseVersion }

// EventID returns m.ID.
func (m MailCase) EventID() string { return m.ID }

// Validate checks the rules of version 1.
func (m MailCase) Validate() error {
	const t = TopicMailCase
	if err := checkVersion(t, m.V, MailCaseVersion); err != nil {
		return err
	}
	if err := checkID(t, "id", m.ID); err != nil {
		return err
	}
	for _, a := range []struct{ name, s string }{{"to", m.To}, {"from", m.From}} {
		if at := strings.LastIndexByte(a.s, '@'); at <= 0 || at == len(a.s)-1 || len(a.s) > 254 || strings.ContainsAny(a.s, " \t\r\n<>") {
			return invalid(t, "%s %q is not a mail address", a.name, a.s)
		}
	}
	if m.Received.IsZero() {
		return invalid(t, "received is missing")
	}
	for _, f := range []struct {
		name, s   string
		max       int
		multiline bool
	}{{"from_name", m.FromName, 200, false}, {"subject", m.Subject, 1000, false}, {"text", m.Text, 100000, true}, {"message_id", m.MessageID, 998, false}} {
		if err := checkText(t, f.name, f.s, f.max, false, f.multiline); err != nil {
			return err
		}
	}
	return nil
}
