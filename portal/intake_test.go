package portal

import "testing"

func TestLeadingCode(t *testing.T) {
	for _, c := range []struct {
		text, code, rest string
		ok               bool
	}{
		{"VXKHJRNFUJ5A 补充：已经一周了", "VXKHJRNFUJ5A", "补充：已经一周了", true},
		{"vxkh jrnf uj5a：又坏了", "VXKHJRNFUJ5A", "又坏了", true},
		{"VXKH-JRNF-UJ5A, still broken", "VXKHJRNFUJ5A", "still broken", true},
		{"VXKHJRNFUJ5A", "", "", false},    // a code alone adds nothing
		{"路灯不亮，请维修", "", "", false},        // no code
		{"VXKHJRNF 路灯", "", "", false},     // too short
		{"12345 路灯坏了，请维修。", "", "", false}, // a hotline number, not a code
	} {
		code, rest, ok := leadingCode(c.text)
		if code != c.code || rest != c.rest || ok != c.ok {
			t.Errorf("leadingCode(%q) = %q, %q, %v", c.text, code, rest, ok)
		}
	}
}

func FuzzLeadingCode(f *testing.F) {
	f.Add("VXKHJRNFUJ5A 补充")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		code, rest, ok := leadingCode(s)
		if ok && (len(code) != 12 || rest == "") {
			t.Fatalf("%q: %q %q", s, code, rest)
		}
	})
}
