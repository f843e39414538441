package open311

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"nanhu/portal/cases"
)

// fake is a store that takes every valid-looking submission.
type fake struct{ got []cases.Submission }

func (f *fake) Submit(ctx context.Context, s cases.Submission) (cases.Case, error) {
	if s.Text == "" {
		return cases.Case{}, &cases.Invalid{Field: "text", Msg: "请填写来信内容。"}
	}
	f.got = append(f.got, s)
	return cases.Case{Number: "2026-000001", Code: "ABCDEFGHJKLM", Due: time.Now()}, nil
}

func (f *fake) Listed(ctx context.Context, fl cases.Filter) ([]cases.Case, []time.Time, error) {
	return nil, nil, nil
}

func (f *fake) Categories() []cases.Category { return cases.Categories }

func (f *fake) Category(code string) (cases.Category, bool) { return cases.CategoryOf(code) }

func (f *fake) CheckKey(ctx context.Context, key string) (int64, error) {
	if key != "o311_good" {
		return 0, cases.ErrBadKey
	}
	return 1, nil
}

func post(h http.Handler, path, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestPostErrors(t *testing.T) {
	f := &fake{}
	h := New(Options{Store: f})
	for _, c := range []struct {
		body   string
		status int
		says   string
	}{
		{"service_code=szss", 403, "api_key"},
		{"api_key=o311_good", 400, "service_code is required"},
		{"api_key=o311_good&service_code=x", 400, "service_code x not found"},
		{"api_key=o311_good&service_code=szss&description=d&attribute[kind]=complain", 400, "location"},
		{"api_key=o311_good&service_code=szss&lat=91&long=1&attribute[kind]=complain", 400, "WGS 84"},
		{"api_key=o311_good&service_code=szss&lat=30&long=120&description=d", 400, "attribute[kind]"},
		{"api_key=o311_good&service_code=szss&lat=30&long=120&attribute[kind]=complain", 400, "description"},
		{"api_key=o311_good&service_code=szss&lat=30&long=120&description=d&attribute[kind]=complain", 200, "service_request_id"},
	} {
		w := post(h, Prefix+"requests.json", c.body)
		if w.Code != c.status || !strings.Contains(w.Body.String(), c.says) {
			t.Errorf("%s: %d %s", c.body, w.Code, w.Body)
		}
	}
	if w := post(h, Prefix+"requests.xml", "service_code=szss"); !strings.HasPrefix(w.Body.String(), xml.Header+"<errors><error><code>403</code>") {
		t.Errorf("an XML error: %s", w.Body)
	}
	if len(f.got) != 1 || f.got[0].Place == nil || f.got[0].Channel != cases.Open311 {
		t.Errorf("submissions: %+v", f.got)
	}
}

// FuzzPost: whatever a client posts gets one of the specification's
// answers, well formed, and never a 5xx.
func FuzzPost(f *testing.F) {
	f.Add("requests.json", "api_key=o311_good&service_code=szss&lat=30&long=120&description=d&attribute[kind]=complain")
	f.Add("requests.xml", "api_key=o311_good&service_code=szss&lat=NaN&long=1e400")
	f.Add("x.y", "%zz")
	h := New(Options{Store: &fake{}})
	f.Fuzz(func(t *testing.T, file, body string) {
		if file == "" || strings.ContainsAny(file, "/?#%") || strings.IndexFunc(file, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
			return // not a path a client can send
		}
		w := post(h, Prefix+file, body)
		if w.Code >= 500 {
			t.Fatalf("%s %q: %d %s", file, body, w.Code, w.Body)
		}
		if w.Code >= 300 && w.Code < 400 {
			return // the mux's redirect of an unclean path ("." or "..")
		}
		if strings.HasSuffix(file, ".xml") {
			var v struct{}
			if err := xml.Unmarshal(w.Body.Bytes(), &v); err != nil {
				t.Fatalf("not XML: %v %s", err, w.Body)
			}
			return
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("not JSON: %s", w.Body)
		}
	})
}
