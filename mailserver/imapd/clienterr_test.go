package imapd

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCheckMUTF7(t *testing.T) {
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{"INBOX", true}, {"a&-b", true}, {"&UWxRcZCue7E-/x", true}, {"&Jjo-", true}, {"收件箱", true},
		{"&Jjo-&Jjo-", false}, {"a&AGE-b", false}, {"x&Jjo", false}, {"&Jj=-", false}, {"&2D3-", false},
		{"tab\there", false}, {"&AGEAYQ-", false},
	} {
		if err := checkMUTF7(c.name); (err == nil) != c.ok {
			t.Errorf("checkMUTF7(%q) = %v, want ok=%v", c.name, err, c.ok)
		}
	}
}

func TestCheckNumSet(t *testing.T) {
	for set, ok := range map[string]bool{
		"1": true, "1:*": true, "*": true, "$": true, "1,3:5,7:*": true, "4294967295": true,
		"0": false, "0:*": false, "4294967296": false, "1:99999999999999999999": false, "5,0": false,
	} {
		if err := checkNumSet(set); (err == nil) != ok {
			t.Errorf("checkNumSet(%q) = %v, want ok=%v", set, err, ok)
		}
	}
}

func TestCheckCommand(t *testing.T) {
	for _, c := range []struct{ name, args, status string }{
		{"CREATE", `收件箱`, "BAD"},
		{"CREATE", `"收件箱"`, ""},
		{"RENAME", `a "&Jjo-&Jjo-"`, "NO"},
		{"LIST", `(SUBSCRIBED) "" ("INBOX" "&Jjo")`, "OK"},
		{"LIST", `"" * RETURN (STATUS (MESSAGES))`, ""},
		{"UID MOVE", `1:* "a&AGE-b"`, "NO"},
		{"UID SEARCH", `UID 0:5`, "BAD"},
		{"SEARCH", `LARGER 99999999999 SUBJECT 0`, ""},
		{"SEARCH", `HEADER X-Num 0 1:2`, ""},
		{"STORE", `1:4294967296 +FLAGS (\Seen)`, "BAD"},
		{"NOOP", ``, ""},
	} {
		if got, reason := checkCommand(c.name, c.args); got != c.status {
			t.Errorf("%s %s: %q (%s), want %q", c.name, c.args, got, reason, c.status)
		}
	}
}

// FuzzCheckCommand: the checks never panic, and a name as encodeMUTF7
// writes it always passes.
func FuzzCheckCommand(f *testing.F) {
	f.Add("CREATE", `"&Jjo-&Jjo-"`, "公文/收文")
	f.Add("LIST", `(SUBSCRIBED) "" ("a" b) RETURN (CHILDREN)`, "a&b")
	f.Add("SEARCH", `OR (UID 1:*) NOT (FROM "x\"y") 4294967296`, "")
	f.Fuzz(func(t *testing.T, name, args, box string) {
		checkCommand(strings.ToUpper(name), args)
		parseID(args)
		if !utf8.ValidString(box) || strings.ContainsFunc(box, func(r rune) bool { return r < 0x20 || r == 0x7f || r == utf8.RuneError }) {
			return
		}
		if err := checkMUTF7(encodeMUTF7(box)); err != nil {
			t.Errorf("encodeMUTF7(%q) = %q, which checkMUTF7 refuses: %v", box, encodeMUTF7(box), err)
		}
	})
}
