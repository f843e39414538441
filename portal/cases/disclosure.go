package cases

import (
	"errors"
	"fmt"
	"time"

	"nanhu/internal/workcal"
)

// The clock of an application for government information (依申请公开),
// as the 政府信息公开条例 (2019) sets it:
//
//   - art. 33: the answer within 20 working days of receipt; one
//     extension, approved by the head of the office's work on
//     disclosure, of at most 20 working days;
//   - art. 30: a 补正 notice goes out once, within 7 working days of
//     receipt; the time limit is then counted from the day the corrected
//     application arrives (it starts again), and stops until then;
//   - art. 32: the time third parties take to give their opinion (at most
//     15 working days) does not count.

// stoppedCorrection is why a clock stands while a 补正 is awaited.
const stoppedCorrection = "等待申请人补正"

// Clock events.
const (
	CorrectionAsked    = "correction-asked"    // 补正通知 sent
	CorrectionReceived = "correction-received" // the corrected application in
	ConsultStart       = "consult-start"       // 征求第三方意见 begun
	ConsultEnd         = "consult-end"         // the opinion in, or its time over
	Extended           = "extended"            // 延期 approved, Days working days
)

// ClockEvent is a step of an application's clock.
type ClockEvent struct {
	Kind string
	At   time.Time
	Days int // Extended
}

// Clock is where an application's time limit stands.
type Clock struct {
	// Due is the last day of the answer, the end of that working day;
	// zero while the clock is stopped.
	Due time.Time
	// Stopped says why it is (补正, 征求意见), "" when it runs.
	Stopped string
	// Extended is the extension granted, in working days.
	Extended int
}

// The limits of the regulation.
const (
	DisclosureDays = 20
	MaxExtension   = 20
	CorrectionDays = 7
	ConsultDays    = 15
)

// DisclosureClock works out an application's time limit from its receipt
// and its events, in order, on cal (weekdays alone when nil). It refuses
// events the regulation does not allow: a late or second 补正 notice, a
// second or too long extension, a consultation past 15 working days is
// counted as ended on its 15th.
func DisclosureClock(received time.Time, events []ClockEvent, cal *workcal.Calendar) (Clock, error) {
	working := workcal.Weekday
	if cal != nil {
		working = cal.IsWorkingDay
	}
	add := func(t time.Time, n int) time.Time {
		return workcal.AddWorkingDays(t.In(workcal.Shanghai()), n, working)
	}
	between := func(a, b time.Time) int {
		n := 0
		for d := a.In(workcal.Shanghai()).AddDate(0, 0, 1); !dayAfter(d, b.In(workcal.Shanghai())); d = d.AddDate(0, 0, 1) {
			if working(d) {
				n++
			}
		}
		return n
	}
	var c Clock
	start, used := received, 0 // the clock runs from start, having used days before it
	asked, consulting := false, false
	var consultFrom time.Time
	for i, e := range events {
		if i > 0 && e.At.Before(events[i-1].At) {
			return c, errors.New("依申请公开：办理记录的时间顺序不对")
		}
		switch e.Kind {
		case CorrectionAsked:
			if asked {
				return c, errors.New("补正通知只能一次性发出")
			}
			if between(received, e.At) > CorrectionDays {
				return c, fmt.Errorf("补正通知应在收到申请之日起 %d 个工作日内发出", CorrectionDays)
			}
			asked, c.Stopped = true, stoppedCorrection
		case CorrectionReceived:
			if c.Stopped != stoppedCorrection {
				return c, errors.New("没有待补正的通知")
			}
			start, used, c.Stopped = e.At, 0, ""
		case ConsultStart:
			if c.Stopped != "" {
				return c, errors.New("期限停止计算时不能再征求意见")
			}
			used += between(start, e.At)
			consulting, consultFrom, c.Stopped = true, e.At, "征求第三方意见"
		case ConsultEnd:
			if !consulting {
				return c, errors.New("没有进行中的征求意见")
			}
			end := e.At
			if limit := add(consultFrom, ConsultDays); end.After(limit) {
				end = limit // the third party's time is over; the clock runs again
			}
			start, consulting, c.Stopped = end, false, ""
		case Extended:
			if c.Extended > 0 {
				return c, errors.New("答复期限只能延长一次")
			}
			if e.Days <= 0 || e.Days > MaxExtension {
				return c, fmt.Errorf("延长的期限最长 %d 个工作日", MaxExtension)
			}
			c.Extended = e.Days
		default:
			return c, fmt.Errorf("依申请公开：没有「%s」这一步", e.Kind)
		}
	}
	if c.Stopped != "" {
		return c, nil
	}
	left := DisclosureDays + c.Extended - used
	d := add(start, max(left, 0))
	c.Due = time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 59, 0, d.Location())
	return c, nil
}

// dayAfter reports whether a's date is after b's.
func dayAfter(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	if ay != by {
		return ay > by
	}
	if am != bm {
		return am > bm
	}
	return ad > bd
}

// The answers of the 2021 annual report's table (政府信息公开工作年度报告
// 格式), with their reasons.
var DisclosureResults = []struct {
	Code, Name string
	Reasons    []string
}{
	{"open", "予以公开", nil},
	{"partly", "部分公开（区分处理的）", nil},
	{"refused", "不予公开", []string{"属于国家秘密", "其他法律行政法规禁止公开", "危及“三安全一稳定”", "保护第三方合法权益", "属于三类内部事务信息",
		"属于四类过程性信息", "属于行政执法案卷", "属于行政查询事项"}},
	{"unable", "无法提供", []string{"本机关不掌握相关政府信息", "没有现成信息需要另行制作", "补正后申请内容仍不明确"}},
	{"notprocessed", "不予处理", []string{"信访举报投诉类申请", "重复申请", "要求提供公开出版物", "无正当理由大量反复申请", "要求行政机关确认或重新出具已获取信息"}},
	{"other", "其他处理", []string{"申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "其他"}},
}
