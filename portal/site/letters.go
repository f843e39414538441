package site

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"

	"nanhu/internal/ratelimit"
	"nanhu/internal/web"
	"nanhu/portal/cases"
)

// The letter pages: a citizen writes (/xiexin) after confirming their
// mobile with a code sent by SMS, and follows the case by its 查询码
// (/chaxun). No image CAPTCHA: the SMS code, its limits per number and
// per address, and the form token keep robots out. The pages are never
// cached.

// Letters is what the letter pages need.
type Letters struct {
	Store   *cases.Store
	Limiter *ratelimit.Limiter
	// Send sends an SMS (through the queue and the gateway): to is the
	// 11-digit mobile, key names it for the gateway's sent-once rule.
	Send func(ctx context.Context, to, text, key, reason string) error
	// UnratedAs is the level an answer not rated in time counts as
	// (cases.Options.UnratedAs), for the statistics page to say so.
	UnratedAs int
}

type letterForm struct {
	Kind, Title, Text, Name, Mobile, Mail, Address, Verify, Key string
	Confidential, Consent                                       bool
}

type letterView struct {
	chrome
	Form    letterForm
	Kinds   []kindChoice
	Problem string
	Field   string // the field the problem is about
	Notice  string
	Case    *cases.Case
	View    *cases.View
	Code    string
	Hotline string
}

type publishedView struct {
	chrome
	List []cases.Publication
	One  *cases.Publication
	Page int
	More bool
}

// published is the 来信选登: letters whose writers consented, with their
// replies, as a reviewer passed them (personal data taken out).
func (s *Site) published(w http.ResponseWriter, r *http.Request) error {
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1)
	const per = 20
	list, err := s.letters.Store.Published(r.Context(), (page-1)*per, per+1)
	if err != nil {
		return err
	}
	v := &publishedView{chrome: s.letterChrome(r, "来信选登"), Page: page}
	if len(list) > per {
		list, v.More = list[:per], true
	}
	v.List = list
	w.Header().Set("Cache-Control", "public, max-age=60")
	return s.kit.RenderStatus(w, r, s.pages["laixin"], http.StatusOK, web.View{Title: "来信选登", Data: v})
}

func (s *Site) publishedOne(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return web.NotFound("来信")
	}
	p, err := s.letters.Store.PublishedOne(r.Context(), id)
	if errors.Is(err, cases.ErrNotFound) {
		return web.NotFound("来信")
	}
	if err != nil {
		return err
	}
	v := &publishedView{chrome: newChrome(r, "hdjl", home, crumb{Name: "互动交流", Href: "/area/hdjl"}, crumb{Name: "来信选登", Href: "/laixin"},
		crumb{Name: p.Title}), One: &p}
	w.Header().Set("Cache-Control", "public, max-age=60")
	return s.kit.RenderStatus(w, r, s.pages["laixin"], http.StatusOK, web.View{Title: p.Title, Data: v})
}

type kindChoice struct {
	Kind cases.Kind
	Name string
	Days int
}

func (s *Site) letterRoutes(rt *web.Router) {
	rt.Page("GET /xiexin", web.Public, s.letterForm)
	rt.Page("POST /xiexin/code", web.Public, s.letterCode)
	rt.Page("POST /xiexin", web.Public, s.letterSubmit)
	rt.Page("GET /chaxun", web.Public, s.lookupForm)
	rt.Page("POST /chaxun", web.Public, s.lookupCase)
	rt.Page("POST /chaxun/pingjia", web.Public, s.rateCase)
	rt.Page("POST /chaxun/chongban", web.Public, s.reopenCase)
	rt.Page("GET /yishenqing", web.Public, s.applyForm)
	rt.Page("POST /yishenqing/code", web.Public, s.applyCode)
	rt.Page("POST /yishenqing", web.Public, s.applySubmit)
	rt.Page("GET /laixin", web.Public, s.published)
	rt.Page("GET /laixin/{id}", web.Public, s.publishedOne)
	rt.Page("GET /jiandu", web.Public, s.jiandu)
	rt.Page("GET /jiandu.xlsx", web.Public, s.jianduExcel)
}

func (s *Site) letterChrome(r *http.Request, name string) chrome {
	return newChrome(r, "hdjl", home, crumb{Name: "互动交流", Href: "/area/hdjl"}, crumb{Name: name})
}

func (s *Site) renderLetter(w http.ResponseWriter, r *http.Request, v *letterView, status int) error {
	private(w)
	v.chrome = s.letterChrome(r, "我要写信")
	v.Hotline = s.info().Hotline
	for _, k := range cases.Kinds {
		if k == cases.Disclosure {
			continue // 依申请公开 has its own form
		}
		v.Kinds = append(v.Kinds, kindChoice{Kind: k, Name: cases.KindNames[k], Days: cases.DefaultLimits[k]})
	}
	if v.Form.Key == "" {
		v.Form.Key = newFormKey()
	}
	return s.kit.RenderStatus(w, r, s.pages["xiexin"], status, web.View{Title: "我要写信", Data: v})
}

// newFormKey names one filling-in of a form: a second press of its
// button opens no second case.
func newFormKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Site) letterForm(w http.ResponseWriter, r *http.Request) error {
	f := letterForm{Kind: string(cases.Consult)}
	if k := r.URL.Query().Get("kind"); cases.KindNames[cases.Kind(k)] != "" {
		f.Kind = k
	}
	return s.renderLetter(w, r, &letterView{Form: f}, http.StatusOK)
}

func readLetter(r *http.Request) letterForm {
	return letterForm{Kind: r.PostFormValue("kind"), Title: r.PostFormValue("title"), Text: r.PostFormValue("text"), Name: r.PostFormValue("name"),
		Mobile: r.PostFormValue("mobile"), Mail: r.PostFormValue("mail"), Address: r.PostFormValue("address"), Verify: r.PostFormValue("verify"),
		Key: r.PostFormValue("key"), Confidential: r.PostFormValue("confidential") == "1", Consent: r.PostFormValue("consent") == "1"}
}

// masked is a mobile as a page may show it: 139****1111.
func masked(m string) string {
	if len(m) != 11 {
		return m
	}
	return m[:3] + "****" + m[7:]
}

func (s *Site) letterCode(w http.ResponseWriter, r *http.Request) error {
	f := readLetter(r)
	v := &letterView{Form: f}
	status, err := s.sendCode(r, f.Mobile, &v.Problem, &v.Field, &v.Notice)
	if err != nil {
		return err
	}
	return s.renderLetter(w, r, v, status)
}

// sendCode sends a 6-digit code by SMS to mobile, for a form that opens a
// case; the page says what happened (notice) or why not (problem, field).
func (s *Site) sendCode(r *http.Request, mobile string, problem, field, notice *string) (int, error) {
	code, id, err := s.letters.Store.StartVerification(r.Context(), mobile, visitorIP(r).String())
	if inv, ok := errors.AsType[*cases.Invalid](err); ok {
		*problem, *field = inv.Msg, "mobile"
		if errors.Is(err, cases.ErrTooMany) {
			return http.StatusTooManyRequests, nil
		}
		return http.StatusUnprocessableEntity, nil // a number that is none
	}
	if err != nil {
		return 0, err
	}
	text := "【" + s.info().Name + "】您的验证码：" + code + "，10分钟内有效。如非本人操作，请忽略本短信。"
	// The key is unique even if the store is ever restored from a backup
	// and its ids come again: the gateway sends a key once, for ever.
	nonce := make([]byte, 6)
	rand.Read(nonce)
	if err := s.letters.Send(r.Context(), mobile, text, "case-verify-"+itoa(id)+"-"+hex.EncodeToString(nonce), "case.verify"); err != nil {
		s.log.Error("send a verification code", "err", err)
		return 0, &web.Error{Status: http.StatusServiceUnavailable, Message: "短信暂时发不出去，请稍后再试，或拨打政务服务热线。", Cause: err}
	}
	*notice = "验证码已发送到 " + masked(mobile) + "，10 分钟内有效。"
	return http.StatusOK, nil
}

// uploads are the files of a multipart form's field, read whole (the
// kit bounds the request).
func uploads(r *http.Request, field string) ([]cases.File, error) {
	if r.MultipartForm == nil {
		return nil, nil
	}
	var out []cases.File
	for _, fh := range r.MultipartForm.File[field] {
		if fh.Filename == "" && fh.Size == 0 {
			continue // an empty file input
		}
		f, err := fh.Open()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, err
		}
		out = append(out, cases.File{Name: fh.Filename, Data: data})
	}
	return out, nil
}

func (s *Site) letterSubmit(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f := readLetter(r)
	sub := cases.Submission{Channel: cases.Web, Kind: cases.Kind(f.Kind), Title: f.Title, Text: f.Text, Confidential: f.Confidential, Consent: f.Consent,
		Writer: cases.Writer{Name: f.Name, Mobile: f.Mobile, Mail: f.Mail, Address: f.Address}, Verify: f.Verify, Key: "web-" + f.Key}
	if sub.Kind == cases.Disclosure {
		sub.Kind = "" // its own form, not this one
	}
	files, err := uploads(r, "files")
	if err != nil {
		return err
	}
	sub.Files = files
	c, err := s.letters.Store.Submit(ctx, sub)
	if inv, ok := errors.AsType[*cases.Invalid](err); ok {
		return s.renderLetter(w, r, &letterView{Form: f, Problem: inv.Msg, Field: inv.Field}, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	private(w)
	v := &letterView{chrome: s.letterChrome(r, "来信已收到"), Case: &c}
	return s.kit.RenderStatus(w, r, s.pages["xiexin-done"], http.StatusOK, web.View{Title: "来信已收到", Data: v})
}

func (s *Site) lookupForm(w http.ResponseWriter, r *http.Request) error {
	private(w)
	v := &letterView{chrome: s.letterChrome(r, "来信查询")}
	return s.kit.RenderStatus(w, r, s.pages["chaxun"], http.StatusOK, web.View{Title: "来信查询", Data: v})
}

// lookupCase shows a case by its 查询码. Wrong codes count against the
// address as failed sign-ins do, so codes cannot be guessed; a wrong code
// and a malformed one get the same answer.
func (s *Site) lookupCase(w http.ResponseWriter, r *http.Request) error {
	return s.caseAction(w, r, "", func(ctx context.Context, code string) error {
		_, err := s.letters.Store.ByCode(ctx, code)
		return err
	})
}

// rateCase takes the citizen's 好差评 of the reply, from the lookup page
// (the 查询码 is the credential, checked as the lookup checks it).
func (s *Site) rateCase(w http.ResponseWriter, r *http.Request) error {
	level, _ := strconv.Atoi(r.PostFormValue("rating"))
	return s.caseAction(w, r, "评价已收到，谢谢您。", func(ctx context.Context, code string) error {
		_, err := s.letters.Store.Rate(ctx, code, level, cases.Web, r.PostFormValue("note"), "")
		return err
	})
}

// reopenCase is the citizen's request to handle the case again (重办).
func (s *Site) reopenCase(w http.ResponseWriter, r *http.Request) error {
	return s.caseAction(w, r, "已申请重办，来信重新交承办部门办理。", func(ctx context.Context, code string) error {
		_, err := s.letters.Store.Reopen(ctx, code, r.PostFormValue("reason"))
		return err
	})
}

// caseAction does what the citizen asked on the case with the posted
// 查询码 and shows the case again, with notice or the reason it was
// refused. Wrong codes count as the lookup's do.
func (s *Site) caseAction(w http.ResponseWriter, r *http.Request, notice string, do func(ctx context.Context, code string) error) error {
	private(w)
	ctx := r.Context()
	code := cases.NormalCode(r.PostFormValue("code"))
	v := &letterView{chrome: s.letterChrome(r, "来信查询"), Code: code}
	ip := visitorIP(r)
	const key = "chaxun"
	if wait := s.letters.Limiter.AuthLocked(ip, key); wait > 0 {
		v.Problem = "查询次数过多，请 " + itoa(int64(wait.Minutes())+1) + " 分钟后再试。"
		return s.kit.RenderStatus(w, r, s.pages["chaxun"], http.StatusTooManyRequests, web.View{Title: "来信查询", Data: v})
	}
	status := http.StatusOK
	err := do(ctx, code)
	if errors.Is(err, cases.ErrNotFound) {
		s.letters.Limiter.AuthFailed(ip, key).Wait(ctx)
		v.Problem = "没有查到这个查询码的来信，请核对后再输入（12 位字母和数字）。"
		return s.kit.RenderStatus(w, r, s.pages["chaxun"], http.StatusNotFound, web.View{Title: "来信查询", Data: v})
	}
	if inv, ok := errors.AsType[*cases.Invalid](err); ok {
		v.Problem, status = inv.Msg, http.StatusUnprocessableEntity
	} else if err != nil {
		return err
	} else {
		v.Notice = notice
	}
	view, err := s.letters.Store.Lookup(ctx, code)
	if err != nil {
		return err
	}
	v.View = &view
	return s.kit.RenderStatus(w, r, s.pages["chaxun"], status, web.View{Title: "来信查询", Data: v})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
