package queue

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"nanhu/queue/contract"
)

// TestDocCurlExample runs the package comment's curl command against an
// embedded nsqd, and a consumer gets the to-do.
func TestDocCurlExample(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var line string
	for l := range strings.SplitSeq(string(doc), "\n") {
		if strings.Contains(l, "curl -d '") {
			line = strings.TrimSpace(strings.TrimPrefix(l, "//"))
		}
	}
	body, url, ok := strings.Cut(strings.TrimPrefix(line, "curl -d '"), "' '")
	if !ok || !strings.HasSuffix(url, "'") {
		t.Fatalf("no curl example in doc.go: %q", line)
	}
	url = strings.TrimSuffix(url, "'")
	if !strings.HasPrefix(url, "http://127.0.0.1:4151/pub?topic=oa.todo") {
		t.Fatalf("the example posts to %s", url)
	}
	q, _ := newTestQueue(t, nil)
	url = strings.Replace(url, "127.0.0.1:4151", q.HTTPAddr(), 1)
	got := make(chan contract.TodoEvent, 1)
	if _, err := Consume(q, "routing", func(_ context.Context, ev contract.TodoEvent) error { got <- ev; return nil }); err != nil {
		t.Fatal(err)
	}
	var answer []byte
	if curl, err := exec.LookPath("curl"); err == nil {
		answer, err = exec.Command(curl, "-sS", "-d", body, url).CombinedOutput()
		if err != nil {
			t.Fatalf("curl: %v: %s", err, answer)
		}
	} else {
		resp, err := http.Post(url, "application/json", bytes.NewBufferString(body))
		if err != nil {
			t.Fatal(err)
		}
		answer, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if strings.TrimSpace(string(answer)) != "OK" {
		t.Fatalf("nsqd answered %q", answer)
	}
	ev := recv(t, got, 5*time.Second)
	if ev.ID != "demo-0001" || ev.Todo.Assignee != "zhangwei" || ev.Todo.Urgency != contract.UrgencyTop ||
		ev.Todo.DocNumber != "秀政发〔2004〕12号" || !ev.Todo.Allows("return") {
		t.Fatalf("got %+v", ev)
	}
}
