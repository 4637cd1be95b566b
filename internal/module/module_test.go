package module

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var testSpec = Spec{
	Name: "fabric_test",
	Options: map[string]Option{
		"name":     {Type: Str, Required: true, Aliases: []string{"n"}},
		"state":    {Type: Str, Default: "present", Choices: []any{"present", "absent"}},
		"count":    {Type: Int, Default: int64(1)},
		"force":    {Type: Bool, Default: false},
		"password": {Type: Str, NoLog: true},
		"hosts":    {Type: List, Elements: Str},
		"config":   {Type: Dict},
		"file":     {Type: Path},
	},
	MutuallyExclusive: [][]string{{"config", "file"}},
	RequiredIf:        []RequiredIf{{Option: "state", Value: "absent", Requires: []string{"file"}}},
	SupportsCheckMode: true,
}

func run(t *testing.T, args string, body Body) map[string]any {
	t.Helper()
	out := Execute(testSpec, []byte(args), body)
	// What Ansible reads must always be valid JSON.
	var buf bytes.Buffer
	Write(&buf, out)
	var back map[string]any
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatalf("output is not JSON: %v: %s", err, buf.String())
	}
	return back
}

func ok(*Context) (Result, error) { return Result{Msg: "fine"}, nil }

func TestValidation(t *testing.T) {
	tests := []struct {
		name    string
		args    string
		wantErr string // substring of msg; empty means success
	}{
		{"minimal", `{"name": "x"}`, ""},
		{"alias", `{"n": "x"}`, ""},
		{"wrapped", `{"ANSIBLE_MODULE_ARGS": {"name": "x"}}`, ""},
		{"internal args ignored", `{"name": "x", "_ansible_verbosity": 3, "_ansible_version": "2.19", "_ansible_whatever": 1}`, ""},
		{"missing required", `{}`, "missing required arguments: name"},
		{"unknown option", `{"name": "x", "colour": "red"}`, "Unsupported parameters for (fabric_test) module: colour"},
		{"bad choice", `{"name": "x", "state": "gone"}`, "value of state must be one of: present, absent, got: gone"},
		{"bad int", `{"name": "x", "count": "many"}`, "argument 'count' is of type str"},
		{"fractional int", `{"name": "x", "count": 1.5}`, "argument 'count'"},
		{"bad bool", `{"name": "x", "force": "perhaps"}`, "argument 'force'"},
		{"string bool", `{"name": "x", "force": "yes"}`, ""},
		{"bad dict", `{"name": "x", "config": [1]}`, "argument 'config'"},
		{"mutually exclusive", `{"name": "x", "config": {}, "file": "/f"}`, "mutually exclusive: config|file"},
		{"required if", `{"name": "x", "state": "absent"}`, "state is absent but all of the following are missing: file"},
		{"alias twice", `{"name": "x", "n": "y"}`, "given more than once"},
		{"not json", `name=x`, "not a JSON object"},
		{"json array", `[1,2]`, "not a JSON object"},
		{"json null", `null`, "not a JSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := run(t, tc.args, ok)
			failed, _ := out["failed"].(bool)
			msg, _ := out["msg"].(string)
			if tc.wantErr == "" {
				if failed {
					t.Fatalf("unexpected failure: %s", msg)
				}
				return
			}
			if !failed || !strings.Contains(msg, tc.wantErr) {
				t.Fatalf("want failure containing %q, got failed=%v msg=%q", tc.wantErr, failed, msg)
			}
		})
	}
}

func TestDefaultsAndCoercion(t *testing.T) {
	var got struct {
		Name  string   `json:"name"`
		State string   `json:"state"`
		Count int      `json:"count"`
		Force bool     `json:"force"`
		Hosts []string `json:"hosts"`
	}
	run(t, `{"name": 7, "count": "3", "force": "on", "hosts": "a, b"}`, func(c *Context) (Result, error) {
		return Result{}, c.Decode(&got)
	})
	if got.Name != "7" || got.State != "present" || got.Count != 3 || !got.Force || len(got.Hosts) != 2 || got.Hosts[1] != "b" {
		t.Fatalf("decoded %+v", got)
	}
}

func TestModes(t *testing.T) {
	body := func(c *Context) (Result, error) {
		return Result{Changed: true, Data: map[string]any{"check": c.CheckMode()},
			Diff: []Diff{{Before: "old\n", After: "new\n"}}}, nil
	}
	tests := []struct {
		name      string
		args      string
		wantCheck bool
		wantDiff  bool
	}{
		{"plain", `{"name": "x"}`, false, false},
		{"check", `{"name": "x", "_ansible_check_mode": true}`, true, false},
		{"diff", `{"name": "x", "_ansible_diff": true}`, false, true},
		{"check and diff", `{"name": "x", "_ansible_check_mode": true, "_ansible_diff": true}`, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := run(t, tc.args, body)
			if out["check"] != tc.wantCheck {
				t.Errorf("check = %v, want %v", out["check"], tc.wantCheck)
			}
			if _, has := out["diff"]; has != tc.wantDiff {
				t.Errorf("diff present = %v, want %v", has, tc.wantDiff)
			}
			if out["changed"] != true {
				t.Errorf("changed = %v", out["changed"])
			}
		})
	}
}

func TestCheckModeUnsupportedSkips(t *testing.T) {
	spec := testSpec
	spec.SupportsCheckMode = false
	called := false
	out := Execute(spec, []byte(`{"name": "x", "_ansible_check_mode": true}`), func(*Context) (Result, error) {
		called = true
		return Result{}, nil
	})
	if called || out["skipped"] != true {
		t.Fatalf("body ran or not skipped: %v", out)
	}
}

func TestNoLogValuesNeverPrinted(t *testing.T) {
	secret := "s3cr3t-value"
	body := func(c *Context) (Result, error) {
		c.Warn("warning mentions %s", secret)
		return Result{Data: map[string]any{"nested": map[string]any{"v": "pw=" + secret},
				"typed": struct{ P string }{secret}},
				Diff: []Diff{{Before: secret, After: "x"}}},
			errors.New("login with " + secret + " failed")
	}
	out := Execute(testSpec, []byte(`{"name": "x", "password": "`+secret+`", "_ansible_diff": true}`), body)
	var buf bytes.Buffer
	if code := Write(&buf, out); code != 1 {
		t.Fatalf("exit code %d, want 1", code)
	}
	if strings.Contains(buf.String(), secret) {
		t.Fatalf("secret leaked: %s", buf.String())
	}
	if !strings.Contains(buf.String(), "********") {
		t.Fatalf("expected masked value in output: %s", buf.String())
	}
}

// A secret beside readable values (a file's content beside its path): the
// content is masked everywhere, the path is still shown.
func TestSecretKeysMaskOnlyTheirValues(t *testing.T) {
	spec := Spec{Name: "fabric_test", Options: map[string]Option{
		"files": {Type: List, Elements: Dict, SecretKeys: []string{"content"}},
		"one":   {Type: Dict, SecretKeys: []string{"content"}},
	}}
	secret := "-----BEGIN PRIVATE KEY----- abc"
	args := `{"files": [{"path": "/k/priv_sk", "content": "` + secret + `"}], "one": {"path": "/k/b", "content": "` + secret + `2"}}`
	var seen string
	out := Execute(spec, []byte(args), func(c *Context) (Result, error) {
		seen = c.Params["files"].([]any)[0].(map[string]any)["content"].(string)
		return Result{Msg: "wrote /k/priv_sk: " + secret}, nil
	})
	var buf bytes.Buffer
	Write(&buf, out)
	if seen != secret {
		t.Fatalf("the module read %q, want the content itself", seen)
	}
	if strings.Contains(buf.String(), "PRIVATE KEY") {
		t.Fatalf("secret leaked: %s", buf.String())
	}
	if !strings.Contains(buf.String(), "/k/priv_sk") || !strings.Contains(buf.String(), "/k/b") {
		t.Fatalf("paths hidden too: %s", buf.String())
	}
}

func TestTaskNoLogHidesResult(t *testing.T) {
	out := run(t, `{"name": "x", "_ansible_no_log": true}`, func(*Context) (Result, error) {
		return Result{Changed: true, Msg: "detail", Data: map[string]any{"k": "v"}}, nil
	})
	if _, has := out["k"]; has || out["changed"] != true {
		t.Fatalf("no_log result not hidden: %v", out)
	}
}

func TestPanicBecomesFailure(t *testing.T) {
	out := run(t, `{"name": "x", "password": "pw-123"}`, func(*Context) (Result, error) {
		panic("boom pw-123")
	})
	msg, _ := out["msg"].(string)
	if out["failed"] != true || !strings.Contains(msg, "failed unexpectedly: boom") || strings.Contains(msg, "pw-123") {
		t.Fatalf("panic not turned into a scrubbed failure: %v", out)
	}
}

func TestWriteExitCodes(t *testing.T) {
	var buf bytes.Buffer
	if Write(&buf, map[string]any{"changed": false}) != 0 {
		t.Fatal("success should exit 0")
	}
	if Write(&buf, map[string]any{"failed": true}) != 1 {
		t.Fatal("failure should exit 1")
	}
	if Write(&buf, map[string]any{"bad": make(chan int)}) != 1 {
		t.Fatal("unencodable result should fail")
	}
}

func TestArgsData(t *testing.T) {
	file := filepath.Join(t.TempDir(), "args")
	if err := os.WriteFile(file, []byte(`{"from": "file"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, want, wantErr string
		args                []string
	}{
		{name: "the file Ansible writes", args: []string{file}, want: `{"from": "file"}`},
		{name: "standard input", args: []string{"-"}, want: `{"from": "stdin"}`},
		{name: "no argument", wantErr: "usage: fabric_test <args-file>|-"},
		{name: "two arguments", args: []string{file, "-"}, wantErr: "usage: fabric_test"},
		{name: "a missing file", args: []string{file + ".gone"}, wantErr: "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ArgsData("fabric_test", tc.args, strings.NewReader(`{"from": "stdin"}`))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// FuzzExecute: no argument file, however malformed, makes a module panic or
// print something that is not a JSON object.
func FuzzExecute(f *testing.F) {
	for _, seed := range []string{
		`{"name": "x"}`, `{"ANSIBLE_MODULE_ARGS": {"n": 1}}`, `{"name": "x", "hosts": [1, {"a": null}], "count": 1e400}`,
		`{"name": "x", "config": "{\"a\": 1}", "password": ""}`, `[]`, `"str"`, ``, `{"count": -0.0, "force": 2}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out := Execute(testSpec, data, func(c *Context) (Result, error) {
			var v map[string]any
			return Result{Data: map[string]any{"echo": c.Params}}, c.Decode(&v)
		})
		var buf bytes.Buffer
		Write(&buf, out)
		var back map[string]any
		if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
			t.Fatalf("not a JSON object: %q", buf.String())
		}
		if _, has := back["changed"]; !has && back["failed"] != true {
			t.Fatalf("neither changed nor failed: %v", back)
		}
	})
}

func TestStatesRun(t *testing.T) {
	states := States[string]{"present": func(_ *Context, a string) (Result, error) { return Result{Msg: "made " + a}, nil }}
	for _, tc := range []struct{ state, msg, err string }{
		{"present", "made x", ""},
		{"absent", "", `unknown state "absent"`},
	} {
		res, err := states.Run(nil, tc.state, "x")
		if res.Msg != tc.msg || (err == nil) != (tc.err == "") || (err != nil && err.Error() != tc.err) {
			t.Errorf("%s: got %q, %v; want %q, %q", tc.state, res.Msg, err, tc.msg, tc.err)
		}
	}
}
