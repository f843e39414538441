package main

import (
	"encoding/json"
	"encoding/xml"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// curl runs Debian's curl and returns the status and body.
func curl(t *testing.T, args ...string) (string, string) {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	out, err := exec.Command("curl", append([]string{"-sS", "-w", "\n%{http_code}"}, args...)...).Output()
	if err != nil {
		t.Fatalf("curl %v: %v", args, err)
	}
	s := string(out)
	i := strings.LastIndexByte(s, '\n')
	return s[i+1:], s[:i]
}

// jsonKeys are the keys of the first object of a JSON array.
func jsonKeys(t *testing.T, body string) []string {
	t.Helper()
	var list []map[string]any
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list) == 0 {
		t.Fatalf("not a JSON array of objects: %v\n%s", err, body)
	}
	var keys []string
	for k := range list[0] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestOpen311 drives /open311/v2/ with curl as a third-party app would:
// services, a service definition, a request opened with a key the
// administrator issued on the staff web, the published requests, in JSON
// and in XML, with the specification's field names and errors.
func TestOpen311(t *testing.T) {
	ts := startDemoServer(t)
	api := "http://" + ts.addr("portal") + "/open311/v2/"
	root := newBrowsers(t)
	admin := person(t, root, "http://"+ts.addr("http"), screenshotDir(t))
	admin.signIn("admin", "admin2004")
	admin.visit("/portal/open311")
	admin.typeInto("#k-name", "掌上秀洲 App")
	admin.click("form[action='/portal/open311'] button")
	key := admin.text(".issued .secret")
	if !strings.HasPrefix(key, "o311_") {
		admin.shot("no-key")
		t.Fatalf("no key: %s", admin.text("main"))
	}
	admin.shot("key-issued")

	st, body := curl(t, api+"services.json")
	if st != "200" || !slices.Equal(jsonKeys(t, body), []string{"description", "group", "keywords", "metadata", "service_code", "service_name", "type"}) {
		t.Fatalf("services.json: %s %s", st, body)
	}
	st, body = curl(t, api+"services.xml")
	var services struct {
		XMLName  xml.Name `xml:"services"`
		Services []struct {
			Code string `xml:"service_code"`
			Type string `xml:"type"`
		} `xml:"service"`
	}
	if err := xml.Unmarshal([]byte(body), &services); st != "200" || err != nil || len(services.Services) == 0 || services.Services[0].Type != "realtime" {
		t.Fatalf("services.xml: %s %v %s", st, err, body)
	}
	st, body = curl(t, api+"services/szss.json")
	if st != "200" || !strings.Contains(body, `"attributes"`) || !strings.Contains(body, `"code":"kind"`) || !strings.Contains(body, `"datatype":"singlevaluelist"`) {
		t.Fatalf("a service definition: %s %s", st, body)
	}
	if st, body = curl(t, api+"services/nosuch.xml"); st != "404" || !strings.Contains(body, "<errors><error><code>404</code>") {
		t.Fatalf("an unknown service: %s %s", st, body)
	}

	post := []string{"-d", "service_code=szss", "--data-urlencode", "description=南虹路王江泾镇段的路灯一周没亮，晚上行人很不安全。",
		"-d", "lat=30.8235", "-d", "long=120.6912", "--data-urlencode", "attribute[kind]=complain", "-d", "attribute[consent]=yes",
		"-d", "phone=13957399999", "--data-urlencode", "first_name=明", "--data-urlencode", "last_name=李"}
	// Without a key, with a wrong one, with a wrong service_code.
	if st, body = curl(t, append([]string{api + "requests.json"}, post...)...); st != "403" || !strings.Contains(body, `"code":403`) {
		t.Fatalf("no key: %s %s", st, body)
	}
	if st, _ = curl(t, append([]string{api + "requests.json", "-d", "api_key=o311_wrong"}, post...)...); st != "403" {
		t.Fatalf("a wrong key: %s", st)
	}
	if st, body = curl(t, api+"requests.xml", "-d", "api_key="+key, "-d", "service_code=nosuch", "-d", "lat=30.8", "-d", "long=120.7"); st != "400" ||
		!strings.Contains(body, "<description>service_code nosuch not found</description>") {
		t.Fatalf("a wrong service_code: %s %s", st, body)
	}
	if st, body = curl(t, api+"requests.json", "-d", "api_key="+key, "-d", "service_code=szss", "-d", "description=x", "--data-urlencode", "attribute[kind]=complain"); st != "400" ||
		!strings.Contains(body, "location") {
		t.Fatalf("no location: %s %s", st, body)
	}
	st, body = curl(t, append([]string{api + "requests.json", "-d", "api_key=" + key}, post...)...)
	if st != "200" || !slices.Equal(jsonKeys(t, body), []string{"account_id", "service_notice", "service_request_id"}) {
		t.Fatalf("POST requests.json: %s %s", st, body)
	}
	var made []struct {
		ID     string `json:"service_request_id"`
		Notice string `json:"service_notice"`
	}
	json.Unmarshal([]byte(body), &made)
	code := regexp.MustCompile(`查询码 ([0-9A-Z]{12})`).FindStringSubmatch(made[0].Notice)
	if code == nil {
		t.Fatalf("no 查询码 in the notice: %s", made[0].Notice)
	}
	if got := ts.smsTo(t, "13957399999", regexp.MustCompile(`查询码 ([0-9A-Z]{12})`)); got != code[1] {
		t.Errorf("the SMS carried %s, the notice %s", got, code[1])
	}

	// The request, alone and in the list, JSON and XML.
	want := []string{"address", "address_id", "agency_responsible", "description", "expected_datetime", "lat", "long", "media_url", "requested_datetime",
		"service_code", "service_name", "service_notice", "service_request_id", "status", "status_notes", "updated_datetime", "zipcode"}
	st, body = curl(t, api+"requests/"+made[0].ID+".json")
	if st != "200" || !slices.Equal(jsonKeys(t, body), want) || !strings.Contains(body, `"status":"open"`) || strings.Contains(body, "13957399999") || strings.Contains(body, "李") {
		t.Fatalf("GET requests/%s.json: %s %s", made[0].ID, st, body)
	}
	st, body = curl(t, api+"requests.xml?service_code=szss&status=open")
	if st != "200" || !strings.Contains(body, "<service_request_id>"+made[0].ID+"</service_request_id>") || !strings.Contains(body, "<status>open</status>") {
		t.Fatalf("GET requests.xml: %s %s", st, body)
	}
	if st, body = curl(t, api+"requests.json?status=closed&service_request_id="+made[0].ID); st != "200" || body != "[]" {
		t.Fatalf("closed requests: %s %s", st, body)
	}
	if st, _ = curl(t, api+"requests.json?start_date=2026-01-01T00:00:00%2B08:00&end_date=2026-12-01T00:00:00%2B08:00"); st != "400" {
		t.Fatalf("a span over 90 days: %s", st)
	}
	if st, _ = curl(t, api+"requests/2099-000001.json"); st != "404" {
		t.Fatalf("an unknown request: %s", st)
	}
	if st, _ = curl(t, api+"tokens/abc.json"); st != "404" {
		t.Fatalf("a token: %s", st)
	}

	// A revoked key is refused at once.
	admin.visit("/portal/open311")
	admin.click("form[action$='/revoke'] button")
	if st, _ = curl(t, append([]string{api + "requests.json", "-d", "api_key=" + key}, post...)...); st != "403" {
		t.Fatalf("a revoked key: %s", st)
	}
}
