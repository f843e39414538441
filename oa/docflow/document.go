package docflow

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Types are the 15 document types of article 8 of the 2012 regulation,
// each with the direction it usually goes in ("" for 意见, which may go
// any way, and the types whose direction depends on the case).
var Types = []struct{ Name, Direction string }{
	{"决议", "下行"}, {"决定", "下行"}, {"命令（令）", "下行"}, {"公报", "下行"}, {"公告", "下行"},
	{"通告", "下行"}, {"意见", ""}, {"通知", "下行"}, {"通报", "下行"}, {"报告", "上行"},
	{"请示", "上行"}, {"批复", "下行"}, {"议案", "上行"}, {"函", "平行"}, {"纪要", "下行"},
}

// Directions of a document (行文方向).
var Directions = []string{"上行", "平行", "下行"}

// Secrecy levels (密级); "" is 非密.
var Secrecies = []string{"", "秘密", "机密", "绝密"}

// Urgencies (紧急程度); "" is 平件.
var Urgencies = []string{"", "加急", "特急"}

// Disclosures (公开属性).
var Disclosures = []string{"主动公开", "依申请公开", "不予公开"}

// Retentions are the 保管期限 of an archived document.
var Retentions = []string{"永久", "30年", "10年"}

// Handlings of a 收文: 阅件 (to be read) or 办件 (to be acted on).
var Handlings = []string{"办件", "阅件"}

// Signature is one 签发.
type Signature struct {
	Login string    `json:"login"`
	Name  string    `json:"name"`
	At    time.Time `json:"at"`
	For   string    `json:"for,omitempty"` // the organ signed for, in a 联合行文
}

// Document is a 公文 with every element of article 9 of the 2012
// regulation and GB/T 9704-2012, and the records of a 收文.
type Document struct {
	ID   int64  `json:"id"`
	Kind string `json:"kind"` // 发文, 收文 or 签报
	Flow string `json:"flow"`

	Type        string `json:"type"`      // 文种
	Direction   string `json:"direction"` // 行文方向
	CopyNo      string `json:"copy_no,omitempty"`
	Secrecy     string `json:"secrecy,omitempty"`
	SecrecyTerm string `json:"secrecy_term,omitempty"` // 保密期限, e.g. 5年
	Urgency     string `json:"urgency,omitempty"`

	Organ       string   `json:"organ"`                  // the 主办 发文机关 (department code)
	JointOrgans []string `json:"joint_organs,omitempty"` // the others of a 联合行文
	Number      string   `json:"number,omitempty"`       // 发文字号, given at 登记
	Year        int      `json:"year,omitempty"`
	Seq         int      `json:"seq,omitempty"`

	Signers        []Signature `json:"signers,omitempty"` // 签发人 and 签发时间
	Countersigners []string    `json:"countersigners,omitempty"`

	Title  string   `json:"title"`
	MainTo []string `json:"main_to,omitempty"` // 主送机关
	CopyTo []string `json:"copy_to,omitempty"` // 抄送机关

	Body        string `json:"body,omitempty"` // the typed 正文, or the text of the uploaded one
	BodyVersion int    `json:"body_version,omitempty"`
	BodyFile    string `json:"body_file,omitempty"` // the uploaded file's name, when uploaded
	AttachNote  string `json:"attach_note,omitempty"`

	SignOff string `json:"sign_off,omitempty"` // 发文机关署名
	DocDate string `json:"doc_date,omitempty"` // 成文日期, Arabic numerals
	Seal    string `json:"seal,omitempty"`     // 印章
	Remark  string `json:"remark,omitempty"`   // 附注

	PrintOrgan   string `json:"print_organ,omitempty"` // 印发机关
	PrintDate    string `json:"print_date,omitempty"`  // 印发日期
	Copies       int    `json:"copies,omitempty"`      // 印制份数
	Distribution string `json:"distribution,omitempty"`

	Disclosure       string `json:"disclosure,omitempty"`
	DisclosureReason string `json:"disclosure_reason,omitempty"`

	ArchiveNo string `json:"archive_no,omitempty"`
	Retention string `json:"retention,omitempty"`

	// 收文
	FromUnit    string    `json:"from_unit,omitempty"`
	OrigNumber  string    `json:"orig_number,omitempty"`
	InNumber    string    `json:"in_number,omitempty"`
	ReceivedBy  string    `json:"received_by,omitempty"`
	ReceivedAt  time.Time `json:"received_at,omitzero"`
	Handling    string    `json:"handling,omitempty"`
	LeadDept    string    `json:"lead_dept,omitempty"`
	AssistDepts []string  `json:"assist_depts,omitempty"`
	HandleBy    string    `json:"handle_by,omitempty"` // 办理时限, a date
	Reply       string    `json:"reply,omitempty"`
	RepliedAt   time.Time `json:"replied_at,omitzero"`

	State            string    `json:"state"`
	Starter          string    `json:"starter"`
	StarterDept      string    `json:"starter_dept"`
	Created          time.Time `json:"created"`
	Updated          time.Time `json:"updated"`
	SignedVersion    int       `json:"signed_version,omitempty"`
	ChangedAfterSign bool      `json:"changed_after_sign,omitempty"`
	IssuedAt         time.Time `json:"issued_at,omitzero"`
	Voided           bool      `json:"voided,omitempty"`
}

// Fields are the document's values that flow conditions test.
func (d *Document) Fields() map[string]string {
	changed := "否"
	if d.ChangedAfterSign {
		changed = "是"
	}
	return map[string]string{
		"kind": d.Kind, "type": d.Type, "direction": d.Direction, "urgency": d.Urgency,
		"secrecy": d.Secrecy, "organ": d.Organ, "handling": d.Handling, "disclosure": d.Disclosure,
		"changed_after_sign": changed, "number": d.Number, "lead_dept": d.LeadDept,
	}
}

// Classified reports whether the document is marked 秘密 or above.
func (d *Document) Classified() bool { return d.Secrecy != "" }

// UrgencyName is the urgency as the workbench shows it.
func (d *Document) UrgencyName() string {
	if d.Urgency == "" {
		return "平件"
	}
	return d.Urgency
}

// DirectionOf is the usual direction of a document type.
func DirectionOf(typ string) string {
	for _, t := range Types {
		if t.Name == typ {
			return t.Direction
		}
	}
	return ""
}

// Draft is what a person fills in to start a document.
type Draft struct {
	Flow        string   `json:"flow"`
	Type        string   `json:"type"`
	Direction   string   `json:"direction,omitempty"`
	Title       string   `json:"title"`
	Urgency     string   `json:"urgency,omitempty"`
	Secrecy     string   `json:"secrecy,omitempty"`
	SecrecyTerm string   `json:"secrecy_term,omitempty"`
	Organ       string   `json:"organ"`
	JointOrgans []string `json:"joint_organs,omitempty"`
	MainTo      []string `json:"main_to,omitempty"`
	CopyTo      []string `json:"copy_to,omitempty"`
	Body        string   `json:"body,omitempty"`
	AttachNote  string   `json:"attach_note,omitempty"`
	Remark      string   `json:"remark,omitempty"`
	Disclosure  string   `json:"disclosure,omitempty"`
	Reason      string   `json:"disclosure_reason,omitempty"`
	CopyNo      string   `json:"copy_no,omitempty"`
	Copies      int      `json:"copies,omitempty"`
	Distrib     string   `json:"distribution,omitempty"`
	// 收文
	FromUnit    string   `json:"from_unit,omitempty"`
	OrigNumber  string   `json:"orig_number,omitempty"`
	Handling    string   `json:"handling,omitempty"`
	LeadDept    string   `json:"lead_dept,omitempty"`
	AssistDepts []string `json:"assist_depts,omitempty"`
	HandleBy    string   `json:"handle_by,omitempty"`
	Retention   string   `json:"retention,omitempty"`
}

// FieldError is a problem with one field of a draft, for the form to
// show beside it.
type FieldError struct {
	Field, Message string
}

// FieldErrors are a draft's problems.
type FieldErrors []FieldError

func (fe FieldErrors) Error() string {
	s := make([]string, len(fe))
	for i, e := range fe {
		s[i] = e.Message
	}
	return strings.Join(s, "；")
}

// Has reports whether field has an error, and its message.
func (fe FieldErrors) Has(field string) string {
	for _, e := range fe {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

func cleanList(in []string) []string {
	var out []string
	for _, s := range in {
		// One entry a line (or ；): a 主送 such as 各镇人民政府、街道办事处，区政府各部门
		// is one phrase, its 、 and ， part of it.
		for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '；' || r == '\n' }) {
			if p = strings.TrimSpace(p); p != "" && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// check normalises a draft and says what is wrong with it; kind is the
// flow's kind. organs are the codes of the issuing organs.
func (dr *Draft) check(kind string, organs map[string]bool) FieldErrors {
	var fe FieldErrors
	bad := func(f, m string, a ...any) { fe = append(fe, FieldError{f, fmt.Sprintf(m, a...)}) }
	dr.Title = strings.TrimSpace(dr.Title)
	switch n := utf8.RuneCountInString(dr.Title); {
	case n == 0:
		bad("title", "请填写标题。")
	case n > 200:
		bad("title", "标题不能超过 200 个字（现有 %d 个）。", n)
	}
	dr.Type = strings.TrimSpace(dr.Type)
	known := false
	for _, t := range Types {
		if t.Name == dr.Type {
			known = true
		}
	}
	if !known {
		bad("type", "请选择文种（《党政机关公文处理工作条例》第八条的 15 种之一）。")
	}
	if dr.Direction == "" {
		dr.Direction = DirectionOf(dr.Type)
	}
	if dr.Direction == "" && known {
		bad("direction", "「%s」可以上行、平行或下行，请选择行文方向。", dr.Type)
	} else if dr.Direction != "" && !slices.Contains(Directions, dr.Direction) {
		bad("direction", "行文方向只能是上行、平行或下行。")
	}
	if !slices.Contains(Urgencies, dr.Urgency) {
		bad("urgency", "紧急程度只能是特急、加急或不标注。")
	}
	if !slices.Contains(Secrecies, dr.Secrecy) {
		bad("secrecy", "密级只能是秘密、机密、绝密或不标注。")
	}
	if dr.Secrecy == "" {
		dr.SecrecyTerm = ""
	}
	if dr.Organ == "" || !organs[dr.Organ] {
		if kind == "收文" {
			bad("organ", "请选择收文机关。")
		} else {
			bad("organ", "请选择有机关代字的发文机关。")
		}
	}
	dr.JointOrgans = cleanList(dr.JointOrgans)
	for _, o := range dr.JointOrgans {
		if !organs[o] || o == dr.Organ {
			bad("joint_organs", "联合发文机关 %s 不是另一个有机关代字的机关。", o)
		}
	}
	dr.MainTo, dr.CopyTo, dr.AssistDepts = cleanList(dr.MainTo), cleanList(dr.CopyTo), cleanList(dr.AssistDepts)
	if dr.CopyNo != "" {
		if len(dr.CopyNo) != 6 || strings.Trim(dr.CopyNo, "0123456789") != "" {
			bad("copy_no", "份号是 6 位阿拉伯数字，例如 000001。")
		}
	}
	if dr.Disclosure != "" && !slices.Contains(Disclosures, dr.Disclosure) {
		bad("disclosure", "公开属性只能是主动公开、依申请公开或不予公开。")
	}
	if dr.Disclosure == "不予公开" && strings.TrimSpace(dr.Reason) == "" {
		bad("disclosure_reason", "不予公开须说明理由。")
	}
	if dr.Retention != "" && !slices.Contains(Retentions, dr.Retention) {
		bad("retention", "保管期限只能是永久、30年或10年。")
	}
	if dr.Copies < 0 || dr.Copies > 100000 {
		bad("copies", "印制份数应在 0 到 100000 之间。")
	}
	if kind == "收文" {
		if strings.TrimSpace(dr.FromUnit) == "" {
			bad("from_unit", "请填写来文单位。")
		}
		if dr.Handling == "" {
			dr.Handling = "办件"
		}
		if !slices.Contains(Handlings, dr.Handling) {
			bad("handling", "请选择阅件或办件。")
		}
		if dr.HandleBy != "" {
			if _, err := time.Parse("2006-01-02", dr.HandleBy); err != nil {
				bad("handle_by", "办理时限请写成 2026-12-31 这样的日期。")
			}
		}
		if dr.Urgency != "" && dr.HandleBy == "" {
			bad("handle_by", "紧急公文须标明办理时限。")
		}
	}
	if utf8.RuneCountInString(dr.Body) > 200000 {
		bad("body", "正文过长（超过 20 万字），请以文件上传。")
	}
	return fe
}

// apply copies the draft's fields onto d.
func (dr *Draft) apply(d *Document) {
	d.Type, d.Direction, d.Title, d.Urgency = dr.Type, dr.Direction, dr.Title, dr.Urgency
	d.Secrecy, d.SecrecyTerm, d.Organ, d.JointOrgans = dr.Secrecy, dr.SecrecyTerm, dr.Organ, dr.JointOrgans
	d.MainTo, d.CopyTo, d.AttachNote, d.Remark = dr.MainTo, dr.CopyTo, dr.AttachNote, dr.Remark
	d.Disclosure, d.DisclosureReason, d.CopyNo, d.Copies, d.Distribution = dr.Disclosure, dr.Reason, dr.CopyNo, dr.Copies, dr.Distrib
	d.FromUnit, d.OrigNumber, d.Handling, d.LeadDept, d.AssistDepts, d.HandleBy = dr.FromUnit, dr.OrigNumber, dr.Handling, dr.LeadDept, dr.AssistDepts, dr.HandleBy
	if dr.Retention != "" {
		d.Retention = dr.Retention
	}
}

// DraftOf is the document's editable fields as a draft.
func DraftOf(d *Document) Draft {
	return Draft{Flow: d.Flow, Type: d.Type, Direction: d.Direction, Title: d.Title, Urgency: d.Urgency, Secrecy: d.Secrecy,
		SecrecyTerm: d.SecrecyTerm, Organ: d.Organ, JointOrgans: d.JointOrgans, MainTo: d.MainTo, CopyTo: d.CopyTo,
		Body: d.Body, AttachNote: d.AttachNote, Remark: d.Remark, Disclosure: d.Disclosure, Reason: d.DisclosureReason,
		CopyNo: d.CopyNo, Copies: d.Copies, Distrib: d.Distribution, FromUnit: d.FromUnit, OrigNumber: d.OrigNumber,
		Handling: d.Handling, LeadDept: d.LeadDept, AssistDepts: d.AssistDepts, HandleBy: d.HandleBy, Retention: d.Retention}
}

// ChineseDate is a date as GB/T 9704 writes the 成文日期: Arabic
// numerals, the year in full, no leading zeros (2026年12月4日).
func ChineseDate(t time.Time) string {
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}

// FormatNumber is a 发文字号: 机关代字〔年份〕序号号, with 六角括号, the
// year in full, and no leading zeros or 第.
func FormatNumber(daizi string, year, seq int) string {
	return fmt.Sprintf("%s〔%d〕%d号", daizi, year, seq)
}
