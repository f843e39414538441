// Package open311 is the portal's Open311 GeoReport v2 interface, under
// /open311/v2/ on the portal listener: third-party apps list the services
// (the cases' categories), open cases (POST requests, with a key the
// site's administrator issues and revokes) and follow the published ones.
// Every answer comes as JSON or XML, after the path's .json or .xml, with
// the specification's field names and its errors.
//
// The public status is only open or closed, with status_notes (the
// portal's public state) and expected_datetime (the deadline). Requests
// list only cases whose writers consented to publication, and never a
// writer's name or number.
package open311

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"nanhu/internal/workcal"
	"nanhu/portal/cases"
)

// Store is what the interface needs of the cases.
type Store interface {
	Submit(ctx context.Context, s cases.Submission) (cases.Case, error)
	Listed(ctx context.Context, f cases.Filter) ([]cases.Case, []time.Time, error)
	CheckKey(ctx context.Context, key string) (int64, error)
	// Categories are the services; Category one of them by code.
	Categories() []cases.Category
	Category(code string) (cases.Category, bool)
}

// Options configure the handler.
type Options struct {
	Store Store
	// Agency is agency_responsible: 嘉兴市秀洲区人民政府.
	Agency string
	Logger *slog.Logger
}

// Handler serves /open311/v2/.
type Handler struct {
	opts Options
	mux  *http.ServeMux
	log  *slog.Logger
}

// Prefix is where the interface answers.
const Prefix = "/open311/v2/"

// New makes the handler.
func New(o Options) *Handler {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{opts: o, mux: http.NewServeMux(), log: o.Logger}
	h.mux.HandleFunc("GET "+Prefix+"{file}", h.top)
	h.mux.HandleFunc("POST "+Prefix+"{file}", h.post)
	h.mux.HandleFunc("GET "+Prefix+"services/{file}", h.service)
	h.mux.HandleFunc("GET "+Prefix+"requests/{file}", h.request)
	h.mux.HandleFunc("GET "+Prefix+"tokens/{file}", h.token)
	h.mux.HandleFunc(Prefix, func(w http.ResponseWriter, r *http.Request) {
		fail(w, r, formatOf(r.URL.Path), http.StatusNotFound, "no such resource: see services, requests and tokens")
	})
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, r)
}

// split cuts "services.json" into "services" and "json".
func split(file string) (name, format string, ok bool) {
	name, format, ok = strings.Cut(file, ".")
	if !ok || (format != "json" && format != "xml") {
		return name, formatOf(file), false // the error in the form the path ends with
	}
	return name, format, true
}

func formatOf(path string) string {
	if strings.HasSuffix(path, ".xml") {
		return "xml"
	}
	return "json"
}

// apiError is one of the specification's errors.
type apiError struct {
	XMLName     xml.Name `json:"-" xml:"error"`
	Code        int      `json:"code" xml:"code"`
	Description string   `json:"description" xml:"description"`
}

type errorList struct {
	XMLName xml.Name   `xml:"errors"`
	Errors  []apiError `xml:"error"`
}

func fail(w http.ResponseWriter, r *http.Request, format string, status int, msg string) {
	e := apiError{Code: status, Description: msg}
	write(w, format, status, []apiError{e}, errorList{Errors: []apiError{e}})
}

// write answers with v as JSON, or x as XML.
func write(w http.ResponseWriter, format string, status int, v, x any) {
	var body []byte
	var err error
	if format == "xml" {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		body, err = xml.Marshal(x)
		body = append([]byte(xml.Header), body...)
	} else {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		body, err = json.Marshal(v)
	}
	if err != nil {
		http.Error(w, "encoding failed", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(status)
	w.Write(body)
}

// service is a service of the list.
type service struct {
	XMLName     xml.Name `json:"-" xml:"service"`
	ServiceCode string   `json:"service_code" xml:"service_code"`
	ServiceName string   `json:"service_name" xml:"service_name"`
	Description string   `json:"description" xml:"description"`
	Metadata    bool     `json:"metadata" xml:"metadata"`
	Type        string   `json:"type" xml:"type"`
	Keywords    string   `json:"keywords" xml:"keywords"`
	Group       string   `json:"group" xml:"group"`
}

type serviceList struct {
	XMLName  xml.Name  `xml:"services"`
	Services []service `xml:"service"`
}

func serviceOf(c cases.Category) service {
	return service{ServiceCode: c.Code, ServiceName: c.Name, Description: c.Description, Metadata: true, Type: "realtime",
		Keywords: strings.Join(c.Keywords, ","), Group: c.Group}
}

func (h *Handler) top(w http.ResponseWriter, r *http.Request) {
	name, format, ok := split(r.PathValue("file"))
	if !ok {
		fail(w, r, format, http.StatusNotFound, "ask for .json or .xml")
		return
	}
	switch name {
	case "services":
		var list []service
		for _, c := range h.opts.Store.Categories() {
			list = append(list, serviceOf(c))
		}
		write(w, format, http.StatusOK, list, serviceList{Services: list})
	case "requests":
		h.requests(w, r, format, nil)
	default:
		fail(w, r, format, http.StatusNotFound, "no such resource: "+name)
	}
}

// attribute is a service definition's attribute.
type attribute struct {
	Variable    bool        `json:"variable" xml:"variable"`
	Code        string      `json:"code" xml:"code"`
	Datatype    string      `json:"datatype" xml:"datatype"`
	Required    bool        `json:"required" xml:"required"`
	Description string      `json:"description" xml:"description"`
	Order       int         `json:"order" xml:"order"`
	Values      []attrValue `json:"values" xml:"values>value"`
}

type attrValue struct {
	Key  string `json:"key" xml:"key"`
	Name string `json:"name" xml:"name"`
}

type definition struct {
	XMLName     xml.Name    `json:"-" xml:"service_definition"`
	ServiceCode string      `json:"service_code" xml:"service_code"`
	Attributes  []attribute `json:"attributes" xml:"attributes>attribute"`
}

// attributes are what every service asks: the type of the case, and
// whether it may be published.
func attributes() []attribute {
	kinds := attribute{Variable: true, Code: "kind", Datatype: "singlevaluelist", Required: true, Description: "来信类型", Order: 1}
	for _, k := range cases.Kinds {
		if k != cases.Disclosure {
			kinds.Values = append(kinds.Values, attrValue{Key: string(k), Name: cases.KindNames[k]})
		}
	}
	consent := attribute{Variable: true, Code: "consent", Datatype: "singlevaluelist", Description: "办结后是否同意公开来信和答复（去掉个人信息）", Order: 2,
		Values: []attrValue{{"yes", "同意公开"}, {"no", "不公开"}}}
	return []attribute{kinds, consent}
}

func (h *Handler) service(w http.ResponseWriter, r *http.Request) {
	code, format, ok := split(r.PathValue("file"))
	if !ok {
		fail(w, r, format, http.StatusNotFound, "ask for .json or .xml")
		return
	}
	if _, ok := h.opts.Store.Category(code); !ok {
		fail(w, r, format, http.StatusNotFound, "service_code "+code+" not found")
		return
	}
	d := definition{ServiceCode: code, Attributes: attributes()}
	write(w, format, http.StatusOK, d, d)
}

// request is a service request as the specification lists it.
type request struct {
	XMLName           xml.Name `json:"-" xml:"request"`
	ServiceRequestID  string   `json:"service_request_id" xml:"service_request_id"`
	Status            string   `json:"status" xml:"status"`
	StatusNotes       string   `json:"status_notes" xml:"status_notes"`
	ServiceName       string   `json:"service_name" xml:"service_name"`
	ServiceCode       string   `json:"service_code" xml:"service_code"`
	Description       string   `json:"description" xml:"description"`
	AgencyResponsible string   `json:"agency_responsible" xml:"agency_responsible"`
	ServiceNotice     string   `json:"service_notice" xml:"service_notice"`
	RequestedDatetime string   `json:"requested_datetime" xml:"requested_datetime"`
	UpdatedDatetime   string   `json:"updated_datetime" xml:"updated_datetime"`
	ExpectedDatetime  string   `json:"expected_datetime" xml:"expected_datetime"`
	Address           string   `json:"address" xml:"address"`
	AddressID         string   `json:"address_id" xml:"address_id"`
	Zipcode           string   `json:"zipcode" xml:"zipcode"`
	Lat               *float64 `json:"lat" xml:"lat,omitempty"`
	Long              *float64 `json:"long" xml:"long,omitempty"`
	MediaURL          string   `json:"media_url" xml:"media_url"`
}

type requestList struct {
	XMLName  xml.Name  `xml:"service_requests"`
	Requests []request `xml:"request"`
}

const stamp = time.RFC3339 // W3C datetime, as the specification asks

var china = workcal.Shanghai()

func (h *Handler) requestOf(c cases.Case, updated time.Time) request {
	q := request{ServiceRequestID: c.Number, Status: "open", StatusNotes: cases.PublicState(c.State), ServiceCode: c.Category,
		Description: c.Text, AgencyResponsible: h.opts.Agency, RequestedDatetime: c.Received.In(china).Format(stamp),
		UpdatedDatetime: updated.In(china).Format(stamp), ExpectedDatetime: c.Due.In(china).Format(stamp)}
	if c.State == cases.Closed {
		q.Status = "closed"
	}
	if c.Reply != "" && (c.State == cases.Replied || c.State == cases.Closed) {
		q.StatusNotes += "：" + c.Reply
	}
	if cat, ok := h.opts.Store.Category(c.Category); ok {
		q.ServiceName = cat.Name
	}
	if c.Place != nil {
		lat, long := c.Place.Lat, c.Place.Long
		q.Lat, q.Long = &lat, &long
	}
	return q
}

// requests lists published requests; numbers, when given, are the ones
// asked for.
func (h *Handler) requests(w http.ResponseWriter, r *http.Request, format string, numbers []string) {
	q := r.URL.Query()
	f := cases.Filter{Numbers: numbers, Category: q.Get("service_code")}
	if ids := q.Get("service_request_id"); ids != "" && numbers == nil {
		for _, id := range strings.Split(ids, ",") {
			if id = strings.TrimSpace(id); id != "" {
				f.Numbers = append(f.Numbers, id)
			}
		}
	}
	if f.Category != "" {
		if _, ok := h.opts.Store.Category(f.Category); !ok {
			fail(w, r, format, http.StatusBadRequest, "service_code "+f.Category+" not found")
			return
		}
	}
	var err error
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"start_date", &f.From}, {"end_date", &f.To}} {
		if v := q.Get(p.name); v != "" {
			if *p.t, err = time.Parse(time.RFC3339, v); err != nil {
				fail(w, r, format, http.StatusBadRequest, p.name+" is not a W3C datetime (2026-12-06T09:00:00+08:00)")
				return
			}
		}
	}
	if len(f.Numbers) == 0 {
		// Without ids: the last 90 days, at most 1,000, as the
		// specification says; a wider span is refused.
		switch {
		case f.To.IsZero() && f.From.IsZero():
			f.From = time.Now().AddDate(0, 0, -90)
		case !f.From.IsZero() && !f.To.IsZero() && f.To.Sub(f.From) > 90*24*time.Hour:
			fail(w, r, format, http.StatusBadRequest, "start_date and end_date may span at most 90 days")
			return
		case f.From.IsZero():
			f.From = f.To.AddDate(0, 0, -90)
		}
	}
	switch q.Get("status") {
	case "":
	case "open":
		f.OnlyOpen = true
	case "closed":
		f.OnlyClosed = true
	default:
		fail(w, r, format, http.StatusBadRequest, "status is open or closed")
		return
	}
	list, updated, err := h.opts.Store.Listed(r.Context(), f)
	if err != nil {
		h.log.Error("open311: list requests", "err", err)
		fail(w, r, format, http.StatusInternalServerError, "the service is unavailable; try again later")
		return
	}
	if numbers != nil && len(list) == 0 {
		fail(w, r, format, http.StatusNotFound, "service_request_id "+numbers[0]+" not found")
		return
	}
	out := []request{}
	for i, c := range list {
		out = append(out, h.requestOf(c, updated[i]))
	}
	write(w, format, http.StatusOK, out, requestList{Requests: out})
}

func (h *Handler) request(w http.ResponseWriter, r *http.Request) {
	id, format, ok := split(r.PathValue("file"))
	if !ok {
		fail(w, r, format, http.StatusNotFound, "ask for .json or .xml")
		return
	}
	h.requests(w, r, format, []string{id})
}

func (h *Handler) token(w http.ResponseWriter, r *http.Request) {
	t, format, ok := split(r.PathValue("file"))
	if !ok {
		fail(w, r, format, http.StatusNotFound, "ask for .json or .xml")
		return
	}
	// Every service is realtime: a request has its id at once, and no
	// token is ever issued.
	fail(w, r, format, http.StatusNotFound, "token "+t+" not found: requests here get their service_request_id at once")
}

// created is POST requests' answer.
type created struct {
	XMLName          xml.Name `json:"-" xml:"request"`
	ServiceRequestID string   `json:"service_request_id" xml:"service_request_id"`
	ServiceNotice    string   `json:"service_notice" xml:"service_notice"`
	AccountID        *string  `json:"account_id" xml:"account_id,omitempty"`
}

type createdList struct {
	XMLName  xml.Name  `xml:"service_requests"`
	Requests []created `xml:"request"`
}

// maxPost bounds a request's form.
const maxPost = 64 << 10

func (h *Handler) post(w http.ResponseWriter, r *http.Request) {
	name, format, ok := split(r.PathValue("file"))
	if !ok || name != "requests" {
		fail(w, r, format, http.StatusNotFound, "POST requests.json or requests.xml")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxPost)
	if err := r.ParseForm(); err != nil {
		fail(w, r, format, http.StatusBadRequest, "the form could not be read (at most 64 KiB, application/x-www-form-urlencoded)")
		return
	}
	ctx := r.Context()
	key, err := h.opts.Store.CheckKey(ctx, r.PostForm.Get("api_key"))
	if errors.Is(err, cases.ErrBadKey) {
		fail(w, r, format, http.StatusForbidden, "api_key is missing, unknown or revoked")
		return
	}
	if err != nil {
		fail(w, r, format, http.StatusInternalServerError, "the service is unavailable; try again later")
		return
	}
	f := r.PostForm
	code := f.Get("service_code")
	if code == "" {
		fail(w, r, format, http.StatusBadRequest, "service_code is required")
		return
	}
	if _, ok := h.opts.Store.Category(code); !ok {
		fail(w, r, format, http.StatusBadRequest, "service_code "+code+" not found")
		return
	}
	sub := cases.Submission{Channel: cases.Open311, Category: code, Kind: cases.Kind(f.Get("attribute[kind]")), Text: f.Get("description"),
		Consent: f.Get("attribute[consent]") == "yes", APIKey: key,
		Writer: cases.Writer{Name: strings.TrimSpace(f.Get("last_name") + f.Get("first_name")), Mobile: f.Get("phone"), Mail: f.Get("email"),
			Address: f.Get("address_string")}}
	if lat, long := f.Get("lat"), f.Get("long"); lat != "" || long != "" {
		la, err1 := strconv.ParseFloat(lat, 64)
		lo, err2 := strconv.ParseFloat(long, 64)
		if err1 != nil || err2 != nil || la < -90 || la > 90 || lo < -180 || lo > 180 {
			fail(w, r, format, http.StatusBadRequest, "lat and long must be WGS 84 degrees")
			return
		}
		sub.Place = &cases.Place{Lat: la, Long: lo}
	}
	if sub.Place == nil && sub.Writer.Address == "" && f.Get("address_id") == "" {
		fail(w, r, format, http.StatusBadRequest, "a location is required: lat and long, address_string or address_id")
		return
	}
	if sub.Kind == "" {
		fail(w, r, format, http.StatusBadRequest, "attribute[kind] is required: consult, suggest, complain, help or report")
		return
	}
	if sub.Kind == cases.Disclosure {
		fail(w, r, format, http.StatusBadRequest, "attribute[kind] disclosure is applied for on the portal's 依申请公开 form")
		return
	}
	c, err := h.opts.Store.Submit(ctx, sub)
	if inv, ok := errors.AsType[*cases.Invalid](err); ok {
		field := inv.Field
		if field == "text" {
			field = "description"
		}
		fail(w, r, format, http.StatusBadRequest, strings.TrimSpace(field+": "+inv.Msg))
		return
	}
	if err != nil {
		h.log.Error("open311: open a case", "err", err)
		fail(w, r, format, http.StatusInternalServerError, "the service is unavailable; try again later")
		return
	}
	notice := fmt.Sprintf("来信已收到，查询码 %s，答复期限 %s。", c.Code, c.Due.In(china).Format("2006-01-02"))
	out := []created{{ServiceRequestID: c.Number, ServiceNotice: notice}}
	write(w, format, http.StatusOK, out, createdList{Requests: out})
}
