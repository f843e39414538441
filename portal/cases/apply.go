package cases

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"nanhu/internal/workcal"
	"nanhu/portal/enterprise"
)

// Application is an application for government information (依申请公开),
// as article 29 of the 2019 regulation asks for it: the applicant (a
// person with their 身份证号, or an organisation with its 统一社会信用代码),
// the information wanted (the case's text) and how it is to be provided.
type Application struct {
	Type     string // ApplicantPerson or ApplicantOrg
	OrgName  string // the organisation's name (the case's writer is its contact)
	USCC     string // its 统一社会信用代码
	OrgKind  string // one of OrgKinds, as the annual report counts them
	IDNumber string // a person's 身份证号
	Delivery string // one of Deliveries
	Carrier  string // one of Carriers
	// Filled in by the store.
	Stopped  string // why the clock stands (补正, 征求意见), "" when it runs
	Extended int    // the extension granted, working days
	Result   string // a DisclosureResults code, once answered
	Reason   string // the result's reason, where it has them
	ResultAt time.Time
}

// Applicant types.
const (
	ApplicantPerson = "person" // 自然人
	ApplicantOrg    = "org"    // 法人或其他组织
)

// OrgKinds are the kinds of organisation of the annual report's table.
var OrgKinds = []string{"商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"}

// Deliveries are the ways of getting the information (获取信息的方式).
var Deliveries = []string{"邮寄", "电子邮件", "当面领取", "网上获取"}

// Carriers are the forms it is provided in (提供形式).
var Carriers = []string{"纸质", "电子"}

// checkApplication checks a 依申请公开 submission and gives it its title.
func checkApplication(sub *Submission) error {
	a := sub.Application
	if a == nil {
		return invalid("kind", "依申请公开请填写申请表。")
	}
	a.OrgName, a.USCC, a.IDNumber = clean(a.OrgName), enterprise.NormalCode(clean(a.USCC)), strings.ToUpper(clean(a.IDNumber))
	switch a.Type {
	case ApplicantPerson:
		a.OrgName, a.USCC, a.OrgKind = "", "", ""
		if err := checkIDNumber(a.IDNumber); err != nil {
			return err
		}
	case ApplicantOrg:
		a.IDNumber = ""
		switch {
		case a.OrgName == "" || utf8.RuneCountInString(a.OrgName) > 100:
			return invalid("org_name", "请填写单位名称（最多 100 个字）。")
		case enterprise.CheckCode(a.USCC) != nil:
			return invalid("uscc", "统一社会信用代码不对：%v。", enterprise.CheckCode(a.USCC))
		case !slices.Contains(OrgKinds, a.OrgKind):
			return invalid("org_kind", "请选择单位类型。")
		}
	default:
		return invalid("applicant", "请选择申请人类型：公民，或法人或其他组织。")
	}
	switch {
	case !slices.Contains(Deliveries, a.Delivery):
		return invalid("delivery", "请选择获取信息的方式。")
	case !slices.Contains(Carriers, a.Carrier):
		return invalid("carrier", "请选择信息的提供形式。")
	case a.Delivery == "电子邮件" && sub.Writer.Mail == "":
		return invalid("mail", "通过电子邮件获取，请填写电子邮箱。")
	case a.Delivery == "邮寄" && sub.Writer.Address == "":
		return invalid("address", "邮寄请填写通信地址。")
	case utf8.RuneCountInString(sub.Text) < 10:
		return invalid("text", "请具体描述所需的政府信息：名称、文号，或便于查找的其他特征（至少 10 个字）。")
	}
	return nil
}

// applicationTitle is the title an application gets from its text.
func applicationTitle(text string) string {
	t := []rune("申请公开：" + firstLine(text))
	if len(t) > 25 {
		t = append(t[:24], '…')
	}
	return string(t)
}

// checkIDNumber checks an 18-character 身份证号 (GB 11643-1999): its
// date of birth and its ISO 7064 MOD 11-2 check character.
func checkIDNumber(id string) error {
	bad := invalid("id_number", "身份证号不对，请核对 18 位号码。")
	if len(id) != 18 {
		return bad
	}
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		if id[i] < '0' || id[i] > '9' {
			return bad
		}
		sum += int(id[i]-'0') * weights[i]
	}
	if "10X98765432"[sum%11] != id[17] {
		return bad
	}
	if _, err := time.Parse("20060102", id[6:14]); err != nil {
		return bad
	}
	return nil
}

// Application is the application of case id; ErrNotFound when it has
// none.
func (s *Store) Application(ctx context.Context, id int64) (Application, error) {
	var a Application
	var at int64
	err := s.db.Reader().QueryRowContext(ctx, `SELECT applicant, org_name, uscc, org_kind, id_number, delivery, carrier, stopped, extended, result, reason, result_at
		FROM applications WHERE case_id = ?`, id).Scan(&a.Type, &a.OrgName, &a.USCC, &a.OrgKind, &a.IDNumber, &a.Delivery, &a.Carrier, &a.Stopped,
		&a.Extended, &a.Result, &a.Reason, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return a, ErrNotFound
	}
	a.ResultAt = fromMS(at)
	return a, err
}

var clockNames = map[string]string{CorrectionAsked: "补正通知", CorrectionReceived: "收到补正", ConsultStart: "征求第三方意见",
	ConsultEnd: "第三方意见收到", Extended: "延长答复期限"}

// ClockStep records a step of an application's clock (补正 asked or
// received, a consultation begun or ended, an extension of days) and
// moves the case's deadline as the regulation says. note goes to the
// applicant with a 补正 notice (what to correct).
func (s *Store) ClockStep(ctx context.Context, id int64, kind string, days int, note, by string) (Clock, error) {
	if clockNames[kind] == "" {
		return Clock{}, invalid("", "没有「%s」这一步。", kind)
	}
	note = clean(note)
	if kind == CorrectionAsked && note == "" {
		return Clock{}, invalid("note", "补正通知须写明需要补正的事项。")
	}
	now := s.opts.Now()
	var clock Clock
	err := s.write(ctx, func(tx *sql.Tx) error {
		c, err := scanCase(tx.QueryRowContext(ctx, `SELECT `+caseCols+` FROM cases WHERE id = ?`, id))
		if err != nil {
			return err
		}
		if c.Kind != Disclosure {
			return invalid("", "只有依申请公开有答复期限的这些步骤。")
		}
		if c.State == Replied || c.State == Closed || c.State == Rejected {
			return invalid("", "申请已%s。", PublicState(c.State))
		}
		events, err := clockEvents(ctx, tx, id)
		if err != nil {
			return err
		}
		events = append(events, ClockEvent{Kind: kind, At: now, Days: days})
		if clock, err = DisclosureClock(c.Received, events, s.opts.Calendar); err != nil {
			return invalid("", "%v。", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO clock_events (case_id, kind, at, days, by) VALUES (?, ?, ?, ?, ?)`, id, kind, ms(now), days, by); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE applications SET stopped = ?, extended = ? WHERE case_id = ?`, clock.Stopped, clock.Extended, id); err != nil {
			return err
		}
		line := clockNames[kind]
		if kind == Extended {
			line += fmt.Sprintf(" %d 个工作日", days)
		}
		if !clock.Due.IsZero() {
			c.Due = clock.Due
			if _, err := tx.ExecContext(ctx, `UPDATE cases SET due = ? WHERE id = ?`, ms(clock.Due), id); err != nil {
				return err
			}
			line += "，答复期限 " + clock.Due.In(workcal.Shanghai()).Format("2006-01-02")
		} else {
			line += "，" + clock.Stopped + "期间不计入答复期限"
		}
		if note != "" {
			line += "：" + note
		}
		if err := addEvent(ctx, tx, id, now, by, "clock-"+kind, line, true); err != nil {
			return err
		}
		switch kind {
		case CorrectionAsked:
			return s.tell(ctx, tx, c, "correction", "您的政府信息公开申请（工单编号 "+c.Number+"）需要补正："+note+"。请以查询码 "+c.Code+" 开头回复短信，或在网站“来信查询”中补充。")
		case Extended:
			return s.tell(ctx, tx, c, "disclosure-extend", "您的政府信息公开申请（工单编号 "+c.Number+"）答复期限延长至 "+c.Due.In(workcal.Shanghai()).Format("2006年1月2日")+"。")
		}
		return nil
	})
	if err == nil {
		s.out.Kick()
	}
	return clock, err
}

func clockEvents(ctx context.Context, tx *sql.Tx, id int64) ([]ClockEvent, error) {
	rows, err := tx.QueryContext(ctx, `SELECT kind, at, days FROM clock_events WHERE case_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ClockEvent
	for rows.Next() {
		var e ClockEvent
		var at int64
		if err := rows.Scan(&e.Kind, &at, &e.Days); err != nil {
			return nil, err
		}
		e.At = fromMS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// SetResult records how an application was answered, in the annual
// report's categories (a DisclosureResults code, and its reason where
// the category has reasons).
func (s *Store) SetResult(ctx context.Context, id int64, code, reason, by string) error {
	i := slices.IndexFunc(DisclosureResults, func(r struct {
		Code, Name string
		Reasons    []string
	}) bool {
		return r.Code == code
	})
	if i < 0 {
		return invalid("result", "请选择办理结果。")
	}
	res := DisclosureResults[i]
	if len(res.Reasons) > 0 && !slices.Contains(res.Reasons, reason) {
		return invalid("reason", "请选择「%s」的理由。", res.Name)
	}
	if len(res.Reasons) == 0 {
		reason = ""
	}
	now := s.opts.Now()
	return s.write(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `UPDATE applications SET result = ?, reason = ?, result_at = ? WHERE case_id = ?`, code, reason, ms(now), id)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		line := res.Name
		if reason != "" {
			line += "：" + reason
		}
		return addEvent(ctx, tx, id, now, by, "result", line, true)
	})
}

// Annual is the table of applications of the annual report on
// government information disclosure (政府信息公开工作年度报告, the 2021
// format's part 三): applications new and carried over, their results
// with the reasons, and what carries into the next year, by applicant.
type Annual struct {
	Year    int
	Columns []string // 自然人, the five kinds of organisation, 总计
	Rows    []AnnualRow
}

// AnnualRow is one line of the table; Level 0 is a section (一、…),
// 1 a result (（一）…), 2 a reason.
type AnnualRow struct {
	Label  string
	Level  int
	Values []int
}

// AnnualTable counts the year's applications from their records:
// received in the year, carried over from before it, answered in it (by
// result and reason), and carried into the next.
func (s *Store) AnnualTable(ctx context.Context, year int) (Annual, error) {
	from := time.Date(year, 1, 1, 0, 0, 0, 0, workcal.Shanghai())
	to := from.AddDate(1, 0, 0)
	cols := append(append([]string{"自然人"}, OrgKinds...), "总计")
	t := Annual{Year: year, Columns: cols}
	col := func(applicant, kind string) int {
		if applicant == ApplicantPerson {
			return 0
		}
		if i := slices.Index(OrgKinds, kind); i >= 0 {
			return i + 1
		}
		return len(OrgKinds)
	}
	newRow := func(label string, level int) *AnnualRow {
		t.Rows = append(t.Rows, AnnualRow{Label: label, Level: level, Values: make([]int, len(cols))})
		return &t.Rows[len(t.Rows)-1]
	}
	add := func(r *AnnualRow, c int) { r.Values[c]++; r.Values[len(cols)-1]++ }
	fresh := newRow("一、本年新收政府信息公开申请数量", 0)
	carried := newRow("二、上年结转政府信息公开申请数量", 0)
	newRow("三、本年度办理结果", 0)
	type key struct{ result, reason string }
	rows := map[key]int{}
	numerals := []string{"（一）", "（二）", "（三）", "（四）", "（五）", "（六）"}
	for i, r := range DisclosureResults {
		rows[key{r.Code, ""}] = len(t.Rows)
		newRow(numerals[i]+r.Name, 1)
		for j, why := range r.Reasons {
			rows[key{r.Code, why}] = len(t.Rows)
			newRow(fmt.Sprintf("%d．%s", j+1, why), 2)
		}
	}
	total := len(t.Rows)
	newRow("（七）总计", 1)
	next := len(t.Rows)
	newRow("四、结转下年度继续办理", 0)

	q, err := s.db.Reader().QueryContext(ctx, `SELECT a.applicant, a.org_kind, a.result, a.reason, a.result_at, c.received
		FROM applications a JOIN cases c ON c.id = a.case_id WHERE c.received < ? AND c.merged_into = 0`, ms(to))
	if err != nil {
		return t, fmt.Errorf("cases: the annual table: %w", err)
	}
	defer q.Close()
	for q.Next() {
		var applicant, kind, result, reason string
		var at, rec int64
		if err := q.Scan(&applicant, &kind, &result, &reason, &at, &rec); err != nil {
			return t, err
		}
		c := col(applicant, kind)
		received, answered := fromMS(rec), fromMS(at)
		open := func(moment time.Time) bool { return at == 0 || !answered.Before(moment) }
		if !received.Before(from) {
			add(fresh, c)
		} else if open(from) {
			add(carried, c)
		}
		if at != 0 && !answered.Before(from) && answered.Before(to) {
			if i, ok := rows[key{result, ""}]; ok {
				add(&t.Rows[i], c)
				if j, ok := rows[key{result, reason}]; ok && reason != "" {
					add(&t.Rows[j], c)
				}
				add(&t.Rows[total], c)
			}
		}
		if open(to) {
			add(&t.Rows[next], c)
		}
	}
	return t, q.Err()
}
