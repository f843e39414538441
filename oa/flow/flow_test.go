package flow

import (
	"errors"
	"strings"
	"testing"
)

func TestStandardFlowsValidate(t *testing.T) {
	defs, err := Standard()
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, d := range defs {
		keys[d.Key] = true
	}
	for _, k := range []string{"发文", "收文", "签报"} {
		if !keys[k] {
			t.Errorf("standard flow %s missing", k)
		}
	}
}

func TestValidateNamesNodeAndProblem(t *testing.T) {
	base := `{"key":"t","name":"测试","kind":"签报","nodes":[%s],"edges":[%s]}`
	cases := []struct {
		name, nodes, edges, want string
	}{
		{"no start", `{"id":"a","type":"task","name":"A","assignees":[{"kind":"person","ref":"x"}]},{"id":"e","type":"end"}`, `{"from":"a","to":"e"}`, "开始节点"},
		{"task without people", `{"id":"s","type":"start","name":"S"},{"id":"a","type":"task","name":"A"},{"id":"e","type":"end"}`, `{"from":"s","to":"a"},{"from":"a","to":"e"}`, `节点 "a"：没有指定办理人`},
		{"unknown mode", `{"id":"s","type":"start","name":"S"},{"id":"a","type":"task","name":"A","mode":"most","assignees":[{"kind":"person","ref":"x"}]},{"id":"e","type":"end"}`, `{"from":"s","to":"a"},{"from":"a","to":"e"}`, `节点 "a"：多人办理方式`},
		{"unreachable", `{"id":"s","type":"start","name":"S"},{"id":"a","type":"task","name":"A","assignees":[{"kind":"person","ref":"x"}]},{"id":"e","type":"end"}`, `{"from":"s","to":"e"},{"from":"a","to":"e"}`, `节点 "a"：从开始节点到不了这里`},
		{"dead end", `{"id":"s","type":"start","name":"S"},{"id":"a","type":"task","name":"A","assignees":[{"kind":"person","ref":"x"}]},{"id":"b","type":"task","name":"B","assignees":[{"kind":"person","ref":"x"}]},{"id":"e","type":"end"}`, `{"from":"s","to":"a"},{"from":"s","to":"e"},{"from":"a","to":"b"},{"from":"b","to":"a"}`, `从这里到不了结束节点`},
		{"exclusive without default", `{"id":"s","type":"start","name":"S"},{"id":"x","type":"exclusive"},{"id":"e","type":"end"}`, `{"from":"s","to":"x"},{"from":"x","to":"e","when":{"field":"a","op":"eq","value":"1"}},{"from":"x","to":"e","when":{"field":"a","op":"eq","value":"2"}}`, `节点 "x"：条件分支需要正好一条默认连线`},
		{"return forward", `{"id":"s","type":"start","name":"S"},{"id":"a","type":"task","name":"A","actions":["return"],"return_to":["b"],"assignees":[{"kind":"person","ref":"x"}]},{"id":"b","type":"task","name":"B","assignees":[{"kind":"person","ref":"x"}]},{"id":"e","type":"end"}`, `{"from":"s","to":"a"},{"from":"a","to":"b"},{"from":"b","to":"e"}`, `不在本节点之前`},
		{"edge to nowhere", `{"id":"s","type":"start","name":"S"},{"id":"e","type":"end"}`, `{"from":"s","to":"zz"}`, `终点 "zz" 不存在`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse([]byte(strings.ReplaceAll(strings.ReplaceAll(base, "[%s],\"edges\":[%s]", "["+tc.nodes+"],\"edges\":["+tc.edges+"]"), "%s", "")))
			if err != nil {
				t.Fatal(err)
			}
			err = d.Validate()
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("Validate = %v, want Problems", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate = %v\nwant it to say %q", err, tc.want)
			}
		})
	}
}

func TestParseRejectsUnknownField(t *testing.T) {
	if _, err := Parse([]byte(`{"key":"t","nmae":"x"}`)); err == nil || !strings.Contains(err.Error(), "nmae") {
		t.Errorf("Parse = %v", err)
	}
}

func FuzzParse(f *testing.F) {
	b, _ := standard.ReadFile("standard/fawen.json")
	f.Add(b)
	f.Add([]byte(`{"key":"t"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(data)
		if err != nil {
			return
		}
		_ = d.Validate() // must not panic, whatever the graph
	})
}
