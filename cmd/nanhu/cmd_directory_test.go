package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"nanhu/oa/org"
)

// dirRun runs one directory command with stdin and returns its output.
func dirRun(t *testing.T, run func([]string, dirIO) error, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(args, dirIO{in: strings.NewReader(stdin), out: &out, err: &errOut})
	return out.String(), err
}

func TestDirectoryCommands(t *testing.T) {
	data := filepath.Join(t.TempDir(), "new", "data") // an empty folder: the first command writes org.db
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	steps := []struct {
		name    string
		run     func([]string, dirIO) error
		stdin   string
		args    []string
		wantOut []string // substrings of the output
		wantErr string   // substring of the error; "" for success
	}{
		{"dept organ", runDept, "", []string{"add", "qzf", "--name", "区政府", "--kind", "organ", "--data", data},
			[]string{"Added department qzf"}, ""},
		{"dept flags first", runDept, "", []string{"add", "--data", data, "--name=区政府办公室", "--parent", "qzf", "bgs"},
			[]string{"Added department bgs"}, ""},
		{"dept section", runDept, "", []string{"add", "msk", "--name", "秘书科", "--parent", "bgs", "--kind", "section", "--data", data}, nil, ""},
		{"dept bad kind", runDept, "", []string{"add", "x", "--name", "x", "--kind", "bureau", "--data", data}, nil, "kind"},
		{"dept no name", runDept, "", []string{"add", "x", "--data", data}, nil, "name is required"},
		{"dept unknown parent", runDept, "", []string{"add", "x", "--name", "x", "--parent", "nope", "--data", data}, nil, `no parent department "nope"`},

		{"user add stdin", runUser, "nanhu2004\n", []string{"add", "ZhangSan", "--name", "张三", "--password-stdin",
			"--mobile", "+8613800000001", "--dept", "bgs", "--title", "主任", "--role", "leader", "--role", "staff", "--quota", "1GiB", "--data", data},
			[]string{"Added user zhangsan (张三) <zhangsan@nanhu.local>"}, ""},
		{"user add generated", runUser, "", []string{"add", "lisi", "--name", "李四", "--dept", "msk", "--data", data},
			[]string{"Added user lisi", "Password (shown only this once): "}, ""},
		{"user add crlf stdin", runUser, "wangwu-pass\r\n", []string{"add", "wangwu", "--password-stdin", "--name", "王五", "--data", data}, nil, ""},
		{"user add duplicate", runUser, "nanhu2004\n", []string{"add", "zhangsan", "--name", "x", "--password-stdin", "--data", data}, nil, "already exists"},
		{"user add empty stdin", runUser, "", []string{"add", "zhaoliu", "--name", "赵六", "--password-stdin", "--data", data}, nil, "no password"},
		{"user add short password", runUser, "short\n", []string{"add", "zhaoliu", "--name", "赵六", "--password-stdin", "--data", data}, nil, "at least 8"},
		{"user add bad mobile", runUser, "", []string{"add", "zhaoliu", "--name", "赵六", "--mobile", "138", "--data", data}, nil, "international form"},
		{"user add bad quota", runUser, "", []string{"add", "zhaoliu", "--name", "赵六", "--quota", "lots", "--data", data}, nil, "size"},
		{"user add no name", runUser, "", []string{"add", "zhaoliu", "--data", data}, nil, "name is required"},
		{"user add two logins", runUser, "", []string{"add", "a", "b", "--name", "x", "--data", data}, nil, "wrong number of arguments"},
		{"user unknown flag", runUser, "", []string{"add", "a", "--name", "x", "--nmae", "y", "--data", data}, nil, "-nmae"},
		{"user unknown verb", runUser, "", []string{"remove", "a", "--data", data}, nil, `unknown subcommand "remove"`},
		{"user no verb", runUser, "", nil, nil, "subcommand is needed"},
		{"user passwd", runUser, "changed-pw\n", []string{"passwd", "lisi", "--password-stdin", "--data", data}, []string{"Changed the password of lisi"}, ""},
		{"user passwd unknown", runUser, "changed-pw\n", []string{"passwd", "ghost", "--password-stdin", "--data", data}, nil, `no user "ghost"`},
		{"user disable", runUser, "", []string{"disable", "wangwu", "--data", data}, []string{"Disabled the account wangwu"}, ""},
		{"user disable unknown", runUser, "", []string{"disable", "ghost", "--data", data}, nil, `no user "ghost"`},

		{"list add", runList, "", []string{"add", "bgs", "--dept", "bgs", "--member", "wangwu", "--data", data}, []string{"Added list bgs@nanhu.local"}, ""},
		{"list add taken", runList, "", []string{"add", "zhangsan", "--member", "lisi", "--data", data}, nil, "already belongs to user"},
		{"list add empty", runList, "", []string{"add", "empty", "--data", data}, nil, "needs a department or at least one member"},
		{"list members", runList, "", []string{"members", "BGS@nanhu.local", "--data", data}, []string{"lisi\nwangwu\nzhangsan\n"}, ""},
		{"list members unknown", runList, "", []string{"members", "nope", "--data", data}, nil, "no list nope@nanhu.local"},

		{"alias to login", runAlias, "", []string{"add", "postmaster", "zhangsan", "--data", data}, []string{"postmaster@nanhu.local → zhangsan"}, ""},
		{"alias to list", runAlias, "", []string{"add", "office", "bgs", "--data", data}, []string{"office@nanhu.local → bgs@nanhu.local"}, ""},
		{"alias to alias", runAlias, "", []string{"add", "--data", data, "pm", "postmaster@NANHU.local"}, nil, ""},
		{"alias to nothing", runAlias, "", []string{"add", "x", "nobody", "--data", data}, nil, "not a user, alias or list"},
		{"alias remote target", runAlias, "", []string{"add", "x", "someone@example.com", "--data", data}, nil, "not in a local domain"},
		{"alias list", runAlias, "", []string{"list", "--data", data},
			[]string{"office@nanhu.local      bgs@nanhu.local", "pm@nanhu.local          postmaster@nanhu.local"}, ""},

		{"user list", runUser, "", []string{"list", "--data", data},
			[]string{"LOGIN", "zhangsan  张三  zhangsan@nanhu.local", "+8613800000001", "bgs(主任)", "leader,staff", "wangwu    王五", "yes"}, ""},
		{"dept list", runDept, "", []string{"list", "--data", data},
			[]string{"qzf  区政府  [organ]\n  bgs  区政府办公室  [department]\n    msk  秘书科  [section]\n"}, ""},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			out, err := dirRun(t, s.run, s.stdin, s.args...)
			if s.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), s.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, s.wantErr)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error %q is more than one line", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("error: %v", err)
			}
			for _, w := range s.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}

	if fi, err := os.Stat(data); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("data folder: %v, %v", fi.Mode(), err)
	}
	d, err := org.Open(ctx, org.DefaultOptions(data))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	u, err := d.Authenticate(ctx, "zhangsan@nanhu.local", "nanhu2004")
	if err != nil {
		t.Fatalf("zhangsan cannot log in: %v", err)
	}
	if u.QuotaBytes != 1<<30 || !slices.Equal(u.Roles, []string{"leader", "staff"}) || u.Departments[0] != (org.Membership{Dept: "bgs", Title: "主任"}) {
		t.Errorf("zhangsan = %+v", u)
	}
	if _, err := d.Authenticate(ctx, "lisi", "changed-pw"); err != nil {
		t.Errorf("lisi after passwd: %v", err)
	}
	if _, err := d.Authenticate(ctx, "wangwu", "wangwu-pass"); !errors.Is(err, org.ErrDisabled) {
		t.Errorf("wangwu after disable: %v", err)
	}
	if got, _ := d.Resolve(ctx, "pm@nanhu.local"); !slices.Equal(got, []string{"zhangsan"}) {
		t.Errorf("pm resolves to %v", got)
	}
	// enable again
	if _, err := dirRun(t, runUser, "", "enable", "wangwu", "--data", data); err != nil {
		t.Fatal(err)
	}
	if got, _ := d.Resolve(ctx, "office@nanhu.local"); !slices.Equal(got, []string{"lisi", "wangwu", "zhangsan"}) {
		t.Errorf("office resolves to %v", got)
	}
}

// TestDirectoryBesideServer runs commands while another handle, as `nanhu
// serve` would hold, has the same file open, and checks the server sees the
// changes at once.
func TestDirectoryBesideServer(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	server, err := org.Open(ctx, org.DefaultOptions(data))
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	if err := server.SetDomains(ctx, []string{"xiucheng.gov.cn", "nanhu.local"}); err != nil {
		t.Fatal(err)
	}
	if err := server.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	out, err := dirRun(t, runUser, "chenjing-pw\n", "add", "chenjing", "--name", "陈静", "--dept", "xfj", "--password-stdin", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	// The CLI uses the domains the server set.
	if !strings.Contains(out, "<chenjing@xiucheng.gov.cn, chenjing@nanhu.local>") {
		t.Errorf("output %q", out)
	}
	if _, err := server.Authenticate(ctx, "chenjing@nanhu.local", "chenjing-pw"); err != nil {
		t.Errorf("server does not see the new user: %v", err)
	}
	got, err := server.Resolve(ctx, "xinfang@xiucheng.gov.cn")
	if err != nil || !slices.Contains(got, "chenjing") {
		t.Errorf("xinfang list = %v, %v", got, err)
	}
	out, err = dirRun(t, runList, "", "members", "xfj", "--data", data)
	if err != nil || out != "chenjing\nliangxiaoyan\nluogang\n" {
		t.Errorf("list members xfj = %q, %v", out, err)
	}
}

// TestRegisteredCommandsUseStdio calls the commands the way main does, with
// os.Stdin and os.Stdout replaced by pipes.
func TestRegisteredCommandsUseStdio(t *testing.T) {
	data := t.TempDir()
	for _, name := range []string{"user", "dept", "alias", "list"} {
		if _, ok := commands[name]; !ok {
			t.Fatalf("command %q not registered", name)
		}
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	oldIn, oldOut := os.Stdin, os.Stdout
	os.Stdin, os.Stdout = inR, outW
	defer func() { os.Stdin, os.Stdout = oldIn, oldOut }()

	inW.WriteString("pipe-password\n")
	inW.Close()
	runErr := commands["user"].run([]string{"add", "piper", "--name", "派珀", "--password-stdin", "--data", data})
	outW.Close()
	os.Stdin, os.Stdout = oldIn, oldOut
	out, _ := io.ReadAll(outR)
	if runErr != nil {
		t.Fatal(runErr)
	}
	if !strings.Contains(string(out), "Added user piper (派珀)") {
		t.Errorf("stdout = %q", out)
	}
	d, err := org.Open(context.Background(), org.DefaultOptions(data))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Authenticate(context.Background(), "piper", "pipe-password"); err != nil {
		t.Errorf("password from the pipe: %v", err)
	}
}

func TestDirectoryHelp(t *testing.T) {
	var errOut bytes.Buffer
	err := runUser([]string{"add", "-h"}, dirIO{in: strings.NewReader(""), out: io.Discard, err: &errOut})
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(errOut.String(), "usage: nanhu user add LOGIN --name NAME") {
		t.Errorf("help: %v\n%s", err, errOut.String())
	}
}

func TestParseInterleaved(t *testing.T) {
	tests := []struct {
		args    []string
		pos     []string
		name    string
		force   bool
		members []string
		err     bool
	}{
		{[]string{"zhangsan", "--name", "张三"}, []string{"zhangsan"}, "张三", false, nil, false},
		{[]string{"--name", "张三", "zhangsan"}, []string{"zhangsan"}, "张三", false, nil, false},
		{[]string{"-name=张三", "zhangsan", "--force"}, []string{"zhangsan"}, "张三", true, nil, false},
		{[]string{"a", "--member", "x", "b", "--member=y"}, []string{"a", "b"}, "", false, []string{"x", "y"}, false},
		{[]string{"a", "--", "--name", "-"}, []string{"a", "--name", "-"}, "", false, nil, false},
		{[]string{"a", "-"}, []string{"a", "-"}, "", false, nil, false},
		{[]string{"a", "--force=false", "b"}, []string{"a", "b"}, "", false, nil, false},
		{[]string{"a", "--name"}, nil, "", false, nil, true},
		{[]string{"a", "--nope", "b"}, nil, "", false, nil, true},
	}
	for _, tt := range tests {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		name := fs.String("name", "", "")
		force := fs.Bool("force", false, "")
		var members repeated
		fs.Var(&members, "member", "")
		pos, err := parseInterleaved(fs, tt.args)
		if tt.err {
			if err == nil {
				t.Errorf("%q: no error", tt.args)
			}
			continue
		}
		if err != nil || !slices.Equal(pos, tt.pos) || *name != tt.name || *force != tt.force || !slices.Equal(members, tt.members) {
			t.Errorf("%q: pos %q name %q force %v members %q err %v", tt.args, pos, *name, *force, members, err)
		}
	}
}

func TestDisplayWidth(t *testing.T) {
	for s, want := range map[string]int{"": 0, "abc": 3, "张三": 4, "bgs(主任)": 9, "ＡＢ": 4} {
		if got := displayWidth(s); got != want {
			t.Errorf("displayWidth(%q) = %d, want %d", s, got, want)
		}
	}
}

func FuzzParseInterleaved(f *testing.F) {
	f.Add("zhangsan\x00--name\x00张三\x00--password-stdin")
	f.Add("--\x00-x")
	f.Add("--member=a\x00b\x00--member\x00c")
	f.Fuzz(func(t *testing.T, joined string) {
		args := strings.Split(joined, "\x00")
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		fs.String("name", "", "")
		fs.Bool("password-stdin", false, "")
		var members repeated
		fs.Var(&members, "member", "")
		pos, err := parseInterleaved(fs, args)
		if err != nil {
			return
		}
		// Every positional argument comes from the input, in order.
		i := 0
		for _, p := range pos {
			for i < len(args) && args[i] != p {
				i++
			}
			if i == len(args) {
				t.Fatalf("positional %q not in input %q (in order)", p, args)
			}
			i++
		}
	})
}

// TestAdminCommandsFindTheDataFolder runs administration commands from a
// directory with no data folder, on a folder that is not Nanhu's, and
// through the server's --config: the first two are refused with the
// reason and create nothing.
func TestAdminCommandsFindTheDataFolder(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, args := range [][]string{{"list"}, {"add", "chenjing", "--name", "陈静"}} {
		_, err := dirRun(t, runUser, "", args...)
		if err == nil || !strings.Contains(err.Error(), "there is no data folder") || !strings.Contains(err.Error(), "--config") {
			t.Errorf("user %s without a data folder: %v", args[0], err)
		}
	}
	if err := runBackup([]string{filepath.Join(t.TempDir(), "b")}); err == nil || !strings.Contains(err.Error(), "there is no data folder") {
		t.Errorf("backup without a data folder: %v", err)
	}
	if err := runDNS([]string{"--domain", "nanhu.local"}); err == nil || !strings.Contains(err.Error(), "there is no data folder") {
		t.Errorf("dns without a data folder: %v", err)
	}
	if entries, _ := os.ReadDir("."); len(entries) != 0 {
		t.Errorf("refused commands left %v behind", entries)
	}

	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "notes.txt"), []byte("x"), 0o600)
	if _, err := dirRun(t, runDept, "", "list", "--data", other); err == nil || !strings.Contains(err.Error(), "not a Nanhu data folder") {
		t.Errorf("dept list on another folder: %v", err)
	}
	if _, err := os.Stat(filepath.Join(other, "org.db")); err == nil {
		t.Error("org.db was made in a folder that is not Nanhu's")
	}

	// A folder of another user's: files made here would be the wrong owner's.
	if os.Geteuid() == 0 {
		theirs := t.TempDir()
		if err := os.Chown(theirs, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		if _, err := dirRun(t, runUser, "", "list", "--data", theirs); err == nil || !strings.Contains(err.Error(), "run the command as that user") {
			t.Errorf("user list on another user's folder: %v", err)
		}
	}

	// --create makes a new server's folder.
	made := filepath.Join(t.TempDir(), "new")
	if _, err := dirRun(t, runDept, "", "add", "qzf", "--name", "区政府", "--create", "--data", made); err != nil {
		t.Errorf("dept add --create: %v", err)
	}
	if fi, err := os.Stat(made); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("the folder --create made: %v %v", fi, err)
	}

	// Through the server's configuration file.
	data := filepath.Join(t.TempDir(), "srv")
	os.Mkdir(data, 0o700)
	conf := filepath.Join(t.TempDir(), "nanhu.toml")
	os.WriteFile(conf, []byte("data = \""+data+"\"\n"), 0o600)
	if _, err := dirRun(t, runUser, "a-long-password\n", "add", "chenjing", "--name", "陈静", "--password-stdin", "--config", conf); err != nil {
		t.Fatalf("user add --config: %v", err)
	}
	out, err := dirRun(t, runUser, "", "list", "--config", conf)
	if err != nil || !strings.Contains(out, "chenjing") {
		t.Errorf("user list --config: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(data, "org.db")); err != nil {
		t.Errorf("the config's data folder was not used: %v", err)
	}
	if _, err := dirRun(t, runUser, "", "list", "--config", filepath.Join(t.TempDir(), "missing.toml")); err == nil || !strings.Contains(err.Error(), "missing.toml") {
		t.Errorf("a missing config file: %v", err)
	}
}
