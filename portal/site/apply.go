package site

import (
	"errors"
	"net/http"

	"nanhu/internal/web"
	"nanhu/portal/cases"
)

// The 依申请公开 form (/yishenqing): an application for government
// information as article 29 of the 2019 regulation asks for it, the
// mobile confirmed by an SMS code as a letter's is. It becomes a case
// of type 依申请公开, answered within 20 working days.

type applyForm struct {
	letterForm
	Applicant, OrgName, USCC, OrgKind, IDNumber, Delivery, Carrier string
}

type applyView struct {
	chrome
	Form       applyForm
	OrgKinds   []string
	Deliveries []string
	Carriers   []string
	Problem    string
	Field      string
	Notice     string
	Case       *cases.Case
	Days       int
}

func readApply(r *http.Request) applyForm {
	f := applyForm{letterForm: readLetter(r), Applicant: r.PostFormValue("applicant"), OrgName: r.PostFormValue("org_name"),
		USCC: r.PostFormValue("uscc"), OrgKind: r.PostFormValue("org_kind"), IDNumber: r.PostFormValue("id_number"),
		Delivery: r.PostFormValue("delivery"), Carrier: r.PostFormValue("carrier")}
	if f.Applicant == "" {
		f.Applicant = cases.ApplicantPerson
	}
	return f
}

func (s *Site) renderApply(w http.ResponseWriter, r *http.Request, v *applyView, status int) error {
	private(w)
	v.chrome = newChrome(r, "xxfb", home, crumb{Name: "信息发布", Href: "/area/xxfb"}, crumb{Name: "依申请公开"})
	v.OrgKinds, v.Deliveries, v.Carriers, v.Days = cases.OrgKinds, cases.Deliveries, cases.Carriers, cases.DisclosureDays
	if v.Form.Key == "" {
		v.Form.Key = newFormKey()
	}
	return s.kit.RenderStatus(w, r, s.pages["yishenqing"], status, web.View{Title: "政府信息公开申请", Data: v})
}

func (s *Site) applyForm(w http.ResponseWriter, r *http.Request) error {
	return s.renderApply(w, r, &applyView{Form: applyForm{Applicant: cases.ApplicantPerson, Delivery: "电子邮件", Carrier: "电子"}}, http.StatusOK)
}

func (s *Site) applyCode(w http.ResponseWriter, r *http.Request) error {
	v := &applyView{Form: readApply(r)}
	status, err := s.sendCode(r, v.Form.Mobile, &v.Problem, &v.Field, &v.Notice)
	if err != nil {
		return err
	}
	return s.renderApply(w, r, v, status)
}

func (s *Site) applySubmit(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f := readApply(r)
	sub := cases.Submission{Channel: cases.Web, Kind: cases.Disclosure, Text: f.Text, Consent: false, Verify: f.Verify, Key: "web-" + f.Key,
		Writer:      cases.Writer{Name: f.Name, Mobile: f.Mobile, Mail: f.Mail, Address: f.Address},
		Application: &cases.Application{Type: f.Applicant, OrgName: f.OrgName, USCC: f.USCC, OrgKind: f.OrgKind, IDNumber: f.IDNumber, Delivery: f.Delivery, Carrier: f.Carrier}}
	c, err := s.letters.Store.Submit(ctx, sub)
	if inv, ok := errors.AsType[*cases.Invalid](err); ok {
		return s.renderApply(w, r, &applyView{Form: f, Problem: inv.Msg, Field: inv.Field}, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	return s.renderApply(w, r, &applyView{Case: &c}, http.StatusOK)
}
