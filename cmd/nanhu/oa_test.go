package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"nanhu/oa/docflow"
	"nanhu/oa/org"
	"nanhu/queue"
	"nanhu/queue/contract"
)

var docPath = regexp.MustCompile(`/oa/docs/(\d+)`)

// TestFawenInBrowser walks a whole 发文 through the pages with demo people,
// as the issue describes it: 黄磊 drafts a 特急 通知, 杨静 核稿 and sends it
// to two department heads for 会签, they countersign in parallel, the last
// chooses 张伟 to sign, 张伟 — offline — signs by replying "1" to the SMS
// through the simulated modem, 赵丽 复核 and registers it (秀政发〔年〕1号),
// 印制用印 and 核发, and 吴芳 archives it. Each person sees it in their
// 待办 at the right moment and the page always says where it is.
func TestFawenInBrowser(t *testing.T) {
	ts := startDemoServer(t)
	const title = "秀洲区人民政府关于做好2027年元旦春节期间安全生产工作的通知"
	year := time.Now().In(shanghai(t)).Year()
	w := newDocWalk(t, ts, title, true)
	as, open, approve := w.as, w.open, w.approve

	// 黄磊 drafts.
	hl := as("huanglei")
	hl.visit("/oa")
	hl.shot("huanglei-oa")
	hl.click("a.button.primary[href^='/oa/new']")
	hl.typeInto("#title", title)
	hl.do(chromedp.SetValue(chromedp.CSS("#urgency"), "特急"), chromedp.SetValue(chromedp.CSS("#organ"), "qzf"))
	hl.typeInto("#main_to", "各镇人民政府、街道办事处，区政府各部门")
	hl.typeInto("#body", "为切实做好元旦春节期间安全生产工作，现将有关事项通知如下。")
	hl.shot("draft-form")
	hl.click("form.doc-form button[type=submit]")
	m := docPath.FindStringSubmatch(hl.location())
	if m == nil {
		t.Fatalf("saving the draft went to %s: %s", hl.location(), hl.body())
	}
	w.doc = "/oa/docs/" + m[1]
	doc := w.doc
	hl.shot("draft-saved")
	approve(hl, "核稿：杨静")

	// 杨静 finds it in her 待办, its step, its sender and its link.
	yjList := as("yangjing")
	yjList.visit("/oa")
	if row := yjList.text("table tbody"); !strings.Contains(row, title) || !strings.Contains(row, "核稿") || !strings.Contains(row, "黄磊") {
		t.Fatalf("杨静's 待办: %q", row)
	}
	yjList.shot("yangjing-todo")

	// 杨静 核稿 and sends it to two heads for 会签.
	yj := open("yangjing", "核稿")
	yj.shot("review")
	yj.do(chromedp.Click(chromedp.CSS("input[name=route][value=countersign]")),
		chromedp.Click(chromedp.CSS("input[name='people.countersign.countersign'][value=suntao]")),
		chromedp.Click(chromedp.CSS("input[name='people.countersign.countersign'][value=hubin]")))
	yj.typeInto("textarea[name=opinion]", "文字已核，请财政局、发改局会签。")
	approve(yj, "会签：孙涛")

	// The two heads countersign in parallel; the last chooses the signer.
	st := open("suntao", "会签")
	st.typeInto("textarea[name=opinion]", "同意，经费由区财政统筹。")
	approve(st, "同意完成")
	hb := open("hubin", "会签")
	hb.shot("countersign-last")
	hb.do(chromedp.Click(chromedp.CSS("input[name='people.sign.sign'][value=zhangwei]")))
	approve(hb, "签发：张伟")
	if where := hb.text("#where"); !strings.Contains(where, "签发：张伟") {
		t.Errorf("after 会签 the page says %q", where)
	}
	hb.shot("to-sign")

	// 张伟 is offline: the SMS for 签发 reaches his phone, and his reply
	// "1" signs the document.
	deadline := time.Now().Add(60 * time.Second)
	for {
		carried := simMessages(t, ts)
		if strings.Contains(carried, "+8613800000102") && strings.Contains(carried, "安全生产工作的通知") && strings.Contains(carried, "回复1同意") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no 签发 SMS to 张伟; the network carried: %s", carried)
		}
		time.Sleep(200 * time.Millisecond)
	}
	simInbound(t, ts, `{"from":"+8613800000102","text":"1"}`)
	zl := as("zhaoli")
	deadline = time.Now().Add(60 * time.Second)
	for {
		zl.visit("/oa")
		if strings.Contains(zl.text("main"), title) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the SMS reply did not sign the document; 赵丽's 待办: %s", zl.text("main"))
		}
		time.Sleep(300 * time.Millisecond)
	}
	zl = open("zhaoli", "复核")
	if body := zl.body(); !strings.Contains(body, "短信") || !strings.Contains(body, "张伟") {
		t.Errorf("the trail does not show 张伟 signing by SMS: %s", body)
	}
	zl.shot("signed-by-sms")

	// A second "1" for the same 签发 (a phone that sent it twice, or a
	// reply that crossed a signature in the browser) reaches OA after the
	// task is done: it changes nothing and is answered by SMS, with why.
	done, err := ts.oa.Docs().Done(context.Background(), "zhangwei", 10)
	if err != nil || len(done) == 0 {
		t.Fatalf("张伟's done tasks: %v %v", done, err)
	}
	again := contract.OAAction{V: contract.OAActionVersion, ID: contract.NewID(), TodoID: docflow.TodoID(done[0].ID), Login: "zhangwei",
		Action: "approve", Source: contract.SourceSMS, SourceRef: "sms-again"}
	if err := queue.Publish(context.Background(), ts.queue, again); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(60 * time.Second)
	for !strings.Contains(simMessages(t, ts), "未能办理") {
		if time.Now().After(deadline) {
			t.Fatalf("no SMS told 张伟 why his second reply did nothing; the network carried: %s", simMessages(t, ts))
		}
		time.Sleep(200 * time.Millisecond)
	}
	var carried []struct{ To, Text string }
	json.Unmarshal([]byte(simMessages(t, ts)), &carried)
	for _, m := range carried {
		if strings.Contains(m.Text, "未能办理") {
			if m.To != "+8613800000102" {
				t.Errorf("the refusal went to %s, not 张伟's phone", m.To)
			}
			t.Logf("refusal SMS: %s", m.Text)
		}
	}
	approve(zl, "登记：赵丽")
	approve(zl, "印制用印：赵丽")
	number := fmt.Sprintf("秀政发〔%d〕1号", year)
	if body := zl.body(); !strings.Contains(body, number) {
		t.Fatalf("after 登记 the page lacks %s: %s", number, body)
	}
	zl.shot("registered")
	approve(zl, "核发：赵丽")
	approve(zl, "归档：吴芳")
	wf := open("wufang", "归档")
	approve(wf, "同意完成")
	if where := wf.text("#where"); !strings.Contains(where, "已归档") {
		t.Errorf("at the end the page says %q", where)
	}
	wf.shot("archived")
	// The register lists it, and the print view has the red header.
	zl.visit("/oa/registers/outgoing")
	if body := zl.text("main"); !strings.Contains(body, number) || !strings.Contains(body, title) {
		t.Errorf("the 发文登记簿 lacks the document: %s", body)
	}
	zl.shot("register")
	zl.visit(doc + "/print")
	if body := zl.body(); !strings.Contains(body, "秀洲区人民政府文件") || !strings.Contains(body, "核稿意见") {
		t.Errorf("print view: %s", body)
	}
	zl.shot("print")

	// Someone outside the flow and the organ's office sees nothing of it.
	hp := as("heping")
	hp.visit(doc)
	if body := hp.body(); !strings.Contains(body, "页面不存在") {
		t.Errorf("another department's person sees the document: %s", body)
	}
	hp.visit("/oa/search?q=" + "安全生产")
	if strings.Contains(hp.text("main"), title) {
		t.Error("search shows another department's document")
	}
	yj.visit("/oa/search?q=安全生产")
	if !strings.Contains(yj.text("main"), title) {
		t.Errorf("search 安全生产 does not find the document for 杨静: %s", yj.text("main"))
	}
	yj.shot("search")

	// The leader's workbench, the 收文登记簿, 委托 and flow management.
	zw := as("zhangwei")
	zw.visit("/oa/leader")
	if body := zw.text("main"); !strings.Contains(body, "待签发") || !strings.Contains(body, "各部门超期待办") {
		t.Errorf("leader's workbench: %s", body)
	}
	zw.shot("leader")
	zw.visit("/oa/delegations")
	zw.do(chromedp.SetValue(chromedp.CSS("#delegate"), "lina"))
	zw.click("form[action='/oa/delegations'] button[type=submit]")
	if body := zw.text("main"); !strings.Contains(body, "委托已设置") || !strings.Contains(body, "生效中") {
		t.Errorf("delegation: %s", body)
	}
	zw.shot("delegation")
	zw.click("form[action$='/revoke'] button")
	if body := zw.text("main"); !strings.Contains(body, "已收回") {
		t.Errorf("收回: %s", body)
	}
	ad := as("admin")
	ad.visit("/admin/flows")
	ad.shot("flows")
	ad.visit("/admin/flows/签报")
	ad.do(chromedp.SetValue(chromedp.CSS("#json"), `{"key":"签报","name":"签报","kind":"签报","nodes":[{"id":"draft","type":"start","name":"起草"},{"id":"x","type":"task","name":"审批"},{"id":"end","type":"end"}],"edges":[{"from":"draft","to":"x"},{"from":"x","to":"end"}]}`))
	ad.click("button[name=do][value=validate]")
	if body := ad.text("main"); !strings.Contains(body, `节点 "x"：没有指定办理人`) {
		t.Errorf("flow validation: %s", body)
	}
	ad.shot("flow-invalid")

	// 撤回, 退回, 转办 and 加签, clicked as people would.
	const title2 = "秀洲区人民政府关于开展冬季消防安全检查的通知"
	hl.visit("/oa/new?flow=" + url.QueryEscape("发文"))
	hl.typeInto("#title", title2)
	hl.do(chromedp.SetValue(chromedp.CSS("#organ"), "qzf"))
	hl.click("form.doc-form button[type=submit]")
	doc2 := docPath.FindString(hl.location())
	approve(hl, "核稿：杨静")
	hl.click("button[name=action][value=withdraw]")
	if where := hl.text("#where"); !strings.Contains(where, "拟稿：黄磊") {
		t.Fatalf("after 撤回 the page says %q", where)
	}
	hl.shot("withdrawn")
	approve(hl, "核稿：杨静")
	yj.visit(doc2) // 杨静 opens it: no more 撤回
	hl.visit(doc2)
	if strings.Contains(hl.body(), "撤回「") {
		t.Error("撤回 is offered after the next person opened the document")
	}
	yj.visit(doc2)
	yj.typeInto("textarea[name=opinion]", "请补充检查范围。")
	yj.do(chromedp.SetValue(chromedp.CSS("select[name=target]"), "draft"))
	yj.click("button[name=action][value=return]")
	hl.visit(doc2)
	if where := hl.text("#where"); !strings.Contains(where, "拟稿：黄磊") || !strings.Contains(hl.body(), "请补充检查范围") {
		t.Fatalf("after 退回: %q", where)
	}
	hl.shot("returned")
	approve(hl, "核稿：杨静")
	yj.visit(doc2)
	yj.do(chromedp.SetValue(chromedp.CSS("select[name=transfer_to]"), "liuyang"))
	yj.click("button[name=action][value=transfer]")
	ly := as("liuyang")
	ly.visit(doc2)
	if where := ly.text("#where"); !strings.Contains(where, "核稿：刘洋") {
		t.Fatalf("after 转办: %q", where)
	}
	ly.do(chromedp.SetValue(chromedp.CSS("select[name=addsign_to]"), "yangjing"))
	ly.click("button[name=action][value=add_sign]")
	yj.visit(doc2)
	if where := yj.text("#where"); !strings.Contains(where, "核稿：杨静") {
		t.Fatalf("after 加签 before 刘洋: %q", where)
	}
	approve(yj, "同意完成")
	ly.visit(doc2)
	ly.do(chromedp.Click(chromedp.CSS("input[name=route][value=sign]")),
		chromedp.Click(chromedp.CSS("input[name='people.sign.sign'][value=lina]")))
	approve(ly, "签发：李娜")
	ly.shot("after-add-sign")
	if body := ly.body(); !strings.Contains(body, "转办") || !strings.Contains(body, "加签") || !strings.Contains(body, "撤回") || !strings.Contains(body, "退回") {
		t.Errorf("the trail lacks an action: %s", body)
	}
}

// TestOAAPI drives the JSON API as another system would, with Basic
// authentication: a draft, its actions, the refusals with stable codes,
// and a POST from a page session without its form token.
func TestOAAPI(t *testing.T) {
	ts := startDemoServer(t)
	base := "http://" + ts.addr("http")
	call := func(login, method, path, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.SetBasicAuth(login, org.DemoPassword)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		json.Unmarshal(b, &m)
		return resp.StatusCode, m
	}
	code, m := call("huanglei", "GET", "/api/v1/oa/flows", "")
	if code != 200 || !bytes.Contains(mustJSON(m), []byte("发文")) {
		t.Fatalf("flows: %d %v", code, m)
	}
	code, m = call("huanglei", "POST", "/api/v1/oa/documents",
		`{"flow":"发文","type":"通知","title":"关于开展冬季消防安全检查的通知","urgency":"加急","organ":"qzf","main_to":["各镇人民政府"],"body":"正文"}`)
	if code != 201 {
		t.Fatalf("create: %d %v", code, m)
	}
	id, task := int(m["id"].(float64)), int(m["task"].(float64))
	code, m = call("huanglei", "POST", "/api/v1/oa/tasks/"+strconv.Itoa(task)+"/actions", `{"action":"approve"}`)
	if code != 200 {
		t.Fatalf("approve 拟稿: %d %v", code, m)
	}
	next := int(m["tasks"].([]any)[0].(map[string]any)["id"].(float64))
	// 杨静 must choose a route: the answer says so, with the options.
	code, m = call("yangjing", "POST", fmt.Sprintf("/api/v1/oa/tasks/%d/actions", next), `{"action":"approve"}`)
	if code != 422 || m["code"] != "choose_next" || m["options"] == nil {
		t.Fatalf("approve without choosing: %d %v", code, m)
	}
	// Someone else's task, an action the node does not allow, another
	// department's document: refused with stable codes, nothing changed.
	for _, c := range []struct {
		login, method, path, body string
		status                    int
		code                      string
	}{
		{"lina", "POST", fmt.Sprintf("/api/v1/oa/tasks/%d/actions", next), `{"action":"approve","next":{"step":"sign","assignees":["zhangwei"]}}`, 403, "forbidden"},
		{"yangjing", "POST", fmt.Sprintf("/api/v1/oa/tasks/%d/actions", next), `{"action":"reject","opinion":"不行"}`, 409, "not_allowed"},
		{"heping", "GET", fmt.Sprintf("/api/v1/oa/documents/%d", id), "", 404, "not_found"},
		{"yangjing", "POST", fmt.Sprintf("/api/v1/oa/tasks/%d/actions", next), `{"action":"approve","bogus":1}`, 400, "bad_json"},
	} {
		code, m := call(c.login, c.method, c.path, c.body)
		if code != c.status || m["code"] != c.code {
			t.Errorf("%s %s %s as %s: %d %v, want %d %s", c.method, c.path, c.body, c.login, code, m, c.status, c.code)
		}
	}
	code, m = call("yangjing", "POST", fmt.Sprintf("/api/v1/oa/tasks/%d/actions", next),
		`{"action":"approve","opinion":"已核","next":{"step":"sign","assignees":["zhangwei"]}}`)
	if code != 200 {
		t.Fatalf("approve 核稿: %d %v", code, m)
	}
	code, m = call("zhangwei", "GET", "/api/v1/oa/tasks", "")
	if code != 200 || !bytes.Contains(mustJSON(m), []byte("关于开展冬季消防安全检查的通知")) || !bytes.Contains(mustJSON(m), []byte(`"step":"签发"`)) {
		t.Fatalf("张伟's tasks: %d %v", code, m)
	}
	code, m = call("huanglei", "GET", fmt.Sprintf("/api/v1/oa/documents/%d", id), "")
	if code != 200 || len(m["holders"].([]any)) != 1 || len(m["trail"].([]any)) < 3 {
		t.Fatalf("document: %d %v", code, m)
	}
	code, m = call("zhaoli", "GET", "/api/v1/oa/registers/outgoing?organ=qzf", "")
	if code != 200 {
		t.Fatalf("register: %d %v", code, m)
	}
	// A page POST without the form token is refused.
	req, _ := http.NewRequest("POST", base+fmt.Sprintf("/oa/tasks/%d/act", next), strings.NewReader("action=approve"))
	req.SetBasicAuth("zhangwei", org.DemoPassword)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == 200 || resp.StatusCode == 303 {
		t.Errorf("a form POST without a session and token: %s", resp.Status)
	}
	code, m = call("zhangwei", "GET", "/api/v1/oa/tasks", "")
	if code != 200 || !bytes.Contains(mustJSON(m), []byte(`"step":"签发"`)) {
		t.Errorf("the refused POST changed something: %v", m)
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// TestFlowAndVerifyCommands: `nanhu flow` lists, validates and publishes
// flows; `nanhu oa verify` finds a trail record changed behind its back.
func TestFlowAndVerifyCommands(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	d, err := org.Open(ctx, org.DefaultOptions(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.SetDomains(ctx, []string{"nanhu.local"}); err != nil {
		t.Fatal(err)
	}
	if err := d.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	o := docflow.DefaultOptions(data)
	o.Org = d
	s, err := docflow.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Create(ctx, "huanglei", docflow.Draft{Flow: "签报", Type: "请示", Title: "关于购置办公设备的请示", Organ: "qzf"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	d.Close()
	run := func(fn func([]string, dirIO) error, args ...string) (string, error) {
		var out, errb bytes.Buffer
		err := fn(append(args, "--data", data), dirIO{in: strings.NewReader(""), out: &out, err: &errb})
		return out.String(), err
	}
	out, err := run(runFlow, "list")
	if err != nil || !strings.Contains(out, "发文") || !strings.Contains(out, "收文") || !strings.Contains(out, "签报") {
		t.Fatalf("flow list: %v\n%s", err, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"key":"请假","name":"请假","kind":"签报","nodes":[{"id":"s","type":"start","name":"申请"},{"id":"a","type":"task","name":"审批"},{"id":"e","type":"end"}],"edges":[{"from":"s","to":"a"},{"from":"a","to":"e"}]}`), 0o600)
	if _, err := run(runFlow, "validate", bad); err == nil || !strings.Contains(err.Error(), `节点 "a"：没有指定办理人`) {
		t.Fatalf("validate a flow without people: %v", err)
	}
	good := filepath.Join(t.TempDir(), "good.json")
	os.WriteFile(good, []byte(`{"key":"请假","name":"请假","kind":"签报","nodes":[{"id":"s","type":"start","name":"申请"},{"id":"a","type":"task","name":"审批","assignees":[{"kind":"starter_leader"}]},{"id":"e","type":"end"}],"edges":[{"from":"s","to":"a"},{"from":"a","to":"e"}]}`), 0o600)
	if out, err := run(runFlow, "publish", good); err != nil || !strings.Contains(out, "version 1") {
		t.Fatalf("publish: %v %s", err, out)
	}
	if out, err := run(runFlow, "show", "请假"); err != nil || !strings.Contains(out, `"version": 1`) {
		t.Fatalf("show: %v %s", err, out)
	}
	if out, err := run(runOA, "verify"); err != nil || !strings.Contains(out, "holds") {
		t.Fatalf("verify: %v %s", err, out)
	}
	// Someone with the file edits history: verify says where.
	db, err := sql.Open("sqlite3", filepath.Join(data, docflow.FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TRIGGER trail_no_update`, `UPDATE trail SET actor = 'zhangwei' WHERE seq = 1`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	if _, err := run(runOA, "verify"); err == nil || !strings.Contains(err.Error(), "record 1") {
		t.Fatalf("verify after tampering: %v", err)
	}
}
