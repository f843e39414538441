// Package pages is the SMS gateway's administration pages: the modems with
// their signal, a test SMS, the latest SMS sent and received, and, when
// the modem is simulated, what its network carried and a form that makes
// an SMS arrive, under a clear 模拟 banner.
package pages

import (
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"nanhu/hardware/modemsim"
	"nanhu/internal/web"
	"nanhu/smsgateway"
)

//go:embed templates
var templates embed.FS

// Options are what the pages need.
type Options struct {
	Kit     *web.Kit
	Gateway *smsgateway.Gateway // nil: this server runs no gateway
	Sim     *modemsim.Sim       // nil: real modems
	Logger  *slog.Logger
}

// Pages serves the SMS pages.
type Pages struct {
	opts      Options
	kit       *web.Kit
	g         *smsgateway.Gateway
	sim       *modemsim.Sim
	log       *slog.Logger
	overview  *web.Page
	simulated *web.Page
}

// New parses the templates.
func New(o Options) *Pages {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Pages{opts: o, kit: o.Kit, g: o.Gateway, sim: o.Sim, log: o.Logger,
		overview:  o.Kit.MustPage(templates, "templates/sms.html"),
		simulated: o.Kit.MustPage(templates, "templates/sim.html")}
}

var admin = web.AnyRole("admin")

// Routes registers the pages on mux.
func (p *Pages) Routes(mux *http.ServeMux) {
	rt := p.kit.Router(mux)
	rt.Page("GET /admin/sms", admin, p.smsOverview)
	rt.Page("POST /admin/sms/send", admin, p.smsSend)
	if p.sim != nil {
		rt.Page("GET /admin/sms/sim", admin, p.simPage)
		rt.Page("POST /admin/sms/sim/inbound", admin, p.simInbound)
	}
	p.kit.AddNav(web.NavItem{Label: "短信", Path: "/admin/sms", Rule: admin, Group: "管理", Order: 130})
}

// normalizeNumber writes a mobile number as the gateway takes it: a
// Chinese mobile of 11 digits gets +86; spaces and dashes go.
func normalizeNumber(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '　' {
			return -1
		}
		if r >= '０' && r <= '９' {
			return r - '０' + '0'
		}
		return r
	}, strings.TrimSpace(s))
	digits := strings.TrimPrefix(s, "+")
	if strings.IndexFunc(digits, func(r rune) bool { return !unicode.IsDigit(r) }) >= 0 {
		return s
	}
	switch {
	case len(digits) == 11 && digits[0] == '1' && !strings.HasPrefix(s, "+"):
		return "+86" + digits
	case len(digits) == 13 && strings.HasPrefix(digits, "86") && !strings.HasPrefix(s, "+"):
		return "+" + digits
	}
	return s
}

// formKey is a fresh idempotency key for a form: the same form sent twice
// (a double click, a reload) sends one SMS.
func formKey() string {
	b := make([]byte, 12)
	rand.Read(b)
	return "web-" + hex.EncodeToString(b)
}

// sentRow is a sent SMS with its state in words.
type sentRow struct {
	smsgateway.Message
	StateLabel string
}

var stateLabels = map[smsgateway.State]string{
	"queued": "排队中", "sending": "发送中", "sent": "已发出", "delivered": "已送达", "failed": "失败",
}

// modemRow is a modem as the page shows it: its state and network in
// Chinese (the API keeps the English words).
type modemRow struct {
	smsgateway.ModemStatus
	StateLabel, NetworkLabel string
}

var modemStateLabels = map[string]string{
	smsgateway.ModemStarting: "正在初始化", smsgateway.ModemUp: "正常", smsgateway.ModemDown: "故障",
}

// networkLabels name the +CREG statuses (3GPP TS 27.007 7.2).
var networkLabels = map[int]string{
	0: "未注册（未搜索网络）", 1: "已注册（本地网）", 2: "未注册（正在搜索网络）",
	3: "注册被拒绝", 4: "注册状态未知", 5: "已注册（漫游）",
}

func modemRowOf(m smsgateway.ModemStatus) modemRow {
	r := modemRow{ModemStatus: m, StateLabel: modemStateLabels[m.State], NetworkLabel: networkLabels[m.Registration]}
	if r.StateLabel == "" {
		r.StateLabel = m.State
	}
	if r.NetworkLabel == "" {
		r.NetworkLabel = m.RegistrationText
	}
	return r
}

type overviewView struct {
	Running   bool
	Simulated bool
	Modems    []modemRow
	Sent      []sentRow
	Received  []smsgateway.InboundMessage
	Form      *web.Form
	Key       string
}

func (p *Pages) smsOverview(w http.ResponseWriter, r *http.Request) error {
	return p.renderOverview(w, r, web.NewForm(nil), http.StatusOK)
}

func (p *Pages) renderOverview(w http.ResponseWriter, r *http.Request, f *web.Form, status int) error {
	v := overviewView{Running: p.g != nil, Simulated: p.sim != nil, Form: f, Key: formKey()}
	if p.g != nil {
		ctx := r.Context()
		for _, m := range p.g.Modems() {
			v.Modems = append(v.Modems, modemRowOf(m))
		}
		var err error
		sent, err := p.g.List(ctx, smsgateway.Filter{Limit: 20})
		if err != nil {
			return err
		}
		for _, m := range sent {
			v.Sent = append(v.Sent, sentRow{Message: m, StateLabel: stateLabels[m.State]})
		}
		if v.Received, err = p.g.Inbound(ctx, smsgateway.InboundFilter{Limit: 10}); err != nil {
			return err
		}
	}
	return p.kit.RenderStatus(w, r, p.overview, status, web.View{Title: "短信", Data: v})
}

// smsSend is POST /admin/sms/send: a test SMS.
func (p *Pages) smsSend(w http.ResponseWriter, r *http.Request) error {
	if p.g == nil {
		return &web.Error{Status: http.StatusServiceUnavailable, Message: "本服务器不发送短信：短信经消息队列由 nanhu smsgw 主机发送。"}
	}
	f := web.NewForm(r)
	to, text := normalizeNumber(f.Get("to")), strings.TrimSpace(r.PostFormValue("text"))
	if to == "" {
		f.Fail("to", "请填写手机号码，例如 13900000001。")
	}
	if text == "" {
		f.Fail("text", "请填写短信内容。")
	}
	if f.OK() {
		m, err := p.g.Send(r.Context(), smsgateway.Request{To: to, Text: text, IdempotencyKey: f.Get("key"), RequestedBy: web.LoginOf(r)})
		switch {
		case errors.Is(err, smsgateway.ErrInvalid):
			if strings.Contains(err.Error(), "phone number") {
				f.Fail("to", "号码格式不对：请写 11 位手机号，或 +86 开头的国际格式。")
			} else {
				f.Fail("text", "短信无法发送："+strings.TrimPrefix(err.Error(), smsgateway.ErrInvalid.Error()+": "))
			}
		case errors.Is(err, smsgateway.ErrKeyReused):
			f.Fail("", "此表单已经提交过，请刷新页面再发。")
		case err != nil:
			return err
		default:
			p.log.Info("test SMS on the web", "id", m.ID, "to", m.To, "by", web.LoginOf(r))
			return p.kit.Redirect(w, r, "/admin/sms", "短信已排队（编号 "+strconv.FormatInt(m.ID, 10)+"），状态见下表。")
		}
	}
	return p.renderOverview(w, r, f, http.StatusUnprocessableEntity)
}

type simView struct {
	Carried []modemsim.Carried
	Status  modemsim.Status
	Form    *web.Form
}

// simPage is GET /admin/sms/sim: the simulated network.
func (p *Pages) simPage(w http.ResponseWriter, r *http.Request) error {
	return p.renderSim(w, r, web.NewForm(nil), http.StatusOK)
}

func (p *Pages) renderSim(w http.ResponseWriter, r *http.Request, f *web.Form, status int) error {
	carried := p.sim.Messages()
	// Newest first, at most 50.
	for i, j := 0, len(carried)-1; i < j; i, j = i+1, j-1 {
		carried[i], carried[j] = carried[j], carried[i]
	}
	if len(carried) > 50 {
		carried = carried[:50]
	}
	return p.kit.RenderStatus(w, r, p.simulated, status, web.View{Title: "模拟短信网络", Data: simView{Carried: carried, Status: p.sim.Status(), Form: f}})
}

// simInbound is POST /admin/sms/sim/inbound: an SMS arrives from a phone.
func (p *Pages) simInbound(w http.ResponseWriter, r *http.Request) error {
	f := web.NewForm(r)
	from, text := normalizeNumber(f.Get("from")), strings.TrimSpace(r.PostFormValue("text"))
	if from == "" {
		f.Fail("from", "请填写发信人号码。")
	}
	if text == "" {
		f.Fail("text", "请填写短信内容。")
	}
	if f.OK() {
		res, err := p.sim.Inbound(from, text)
		switch {
		case errors.Is(err, modemsim.ErrBadRequest):
			f.Fail("from", "无法模拟：号码或内容有误（"+err.Error()+"）。")
		case errors.Is(err, modemsim.ErrNoNetwork):
			f.Fail("", "模拟的调制解调器当前没有网络（可能注入了故障）。")
		case errors.Is(err, modemsim.ErrStorageFull):
			f.Fail("", "模拟的 SIM 卡存储已满。")
		case err != nil:
			return err
		default:
			p.log.Info("simulated inbound SMS on the web", "from", from, "parts", res.Parts, "by", web.LoginOf(r))
			return p.kit.Redirect(w, r, "/admin/sms/sim", "模拟短信已到达调制解调器（"+strconv.Itoa(res.Parts)+" 条）。网关读取后会出现在“短信”页的收到列表中。")
		}
	}
	return p.renderSim(w, r, f, http.StatusUnprocessableEntity)
}
