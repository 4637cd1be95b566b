package files

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fabrun/fabrun/internal/module"
)

const key = "-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n"

// call runs the module as Ansible does and returns its decoded result.
func call(t *testing.T, args map[string]any, check bool) map[string]any {
	t.Helper()
	args["_ansible_check_mode"] = check
	args["_ansible_diff"] = true
	b, _ := json.Marshal(args)
	out := module.Execute(Spec(), b, Run)
	j, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(j), "PRIVATE KEY") {
		t.Fatalf("the result shows a file's content: %s", j)
	}
	var back map[string]any
	json.Unmarshal(j, &back)
	return back
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestFiles(t *testing.T) {
	type step struct {
		name        string
		before      func(t *testing.T, root string) // drift made by hand
		check       bool
		wantChanged bool
		wantPaths   []string // relative to root, in changed_paths
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"made, then nothing to do", []step{
			{name: "first", wantChanged: true, wantPaths: []string{"msp", "msp/keystore", "msp/keystore/priv_sk", "tls/ca.crt"}},
			{name: "again"},
		}},
		{"check mode reports and changes nothing", []step{
			{name: "check", check: true, wantChanged: true, wantPaths: []string{"msp/keystore/priv_sk"}},
			{name: "still absent", check: true, wantChanged: true, before: func(t *testing.T, root string) {
				if _, err := os.Stat(filepath.Join(root, "msp")); err == nil {
					t.Fatal("check mode made msp")
				}
			}},
		}},
		{"a loosened key mode is put back", []step{
			{name: "first", wantChanged: true},
			{name: "drift", wantChanged: true, wantPaths: []string{"msp/keystore/priv_sk"}, before: func(t *testing.T, root string) {
				os.Chmod(filepath.Join(root, "msp/keystore/priv_sk"), 0o644)
			}},
			{name: "fixed", before: func(t *testing.T, root string) {
				if m := mode(t, filepath.Join(root, "msp/keystore/priv_sk")); m != 0o600 {
					t.Fatalf("key mode %o, want 600", m)
				}
			}},
		}},
		{"edited and deleted files come back", []step{
			{name: "first", wantChanged: true},
			{name: "drift", wantChanged: true, wantPaths: []string{"tls", "tls/ca.crt", "msp/keystore/priv_sk"}, before: func(t *testing.T, root string) {
				os.WriteFile(filepath.Join(root, "msp/keystore/priv_sk"), []byte("x"), 0o600)
				os.RemoveAll(filepath.Join(root, "tls"))
			}},
			{name: "fixed", before: func(t *testing.T, root string) {
				b, _ := os.ReadFile(filepath.Join(root, "msp/keystore/priv_sk"))
				if string(b) != key {
					t.Fatalf("key content %q", b)
				}
			}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			args := func() map[string]any {
				return map[string]any{
					"directories": []any{
						map[string]any{"path": root + "/msp/keystore", "mode": "0700"},
						map[string]any{"path": root + "/msp", "mode": "750"},
						root + "/run",  // by its path alone: 0755
						root + "/run/", // the same place again, alike: made once
					},
					"files": []any{
						map[string]any{"path": root + "/msp/keystore/priv_sk", "mode": "0600", "content": key},
						map[string]any{"path": root + "/tls/ca.crt", "content": "cert\n"},
					},
				}
			}
			for _, s := range tc.steps {
				if s.before != nil {
					s.before(t, root)
				}
				r := call(t, args(), s.check)
				if f, _ := r["failed"].(bool); f {
					t.Fatalf("%s: failed: %v", s.name, r["msg"])
				}
				if c, _ := r["changed"].(bool); c != s.wantChanged {
					t.Fatalf("%s: changed=%v, want %v: %v", s.name, c, s.wantChanged, r)
				}
				got := map[string]bool{}
				for _, p := range r["changed_paths"].([]any) {
					got[strings.TrimPrefix(p.(string), root+"/")] = true
				}
				for _, p := range s.wantPaths {
					if !got[p] {
						t.Errorf("%s: %s not in changed_paths %v", s.name, p, r["changed_paths"])
					}
				}
				if s.wantChanged && r["diff"] == nil {
					t.Errorf("%s: no diff", s.name)
				}
			}
			if !t.Failed() && !tc.steps[0].check {
				if m := mode(t, filepath.Join(root, "msp")); m != 0o750 {
					t.Errorf("msp mode %o, want 750", m)
				}
				if m := mode(t, filepath.Join(root, "run")); m != 0o755 {
					t.Errorf("run mode %o, want the default 755", m)
				}
				if m := mode(t, filepath.Join(root, "tls/ca.crt")); m != 0o644 {
					t.Errorf("ca.crt mode %o, want the default 644", m)
				}
			}
		})
	}
}

func TestFilesRefuses(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "plain"), []byte("x"), 0o644)
	os.Mkdir(filepath.Join(root, "dir"), 0o755)
	tests := []struct {
		name string
		args map[string]any
		want string
	}{
		{"relative path", map[string]any{"files": []any{map[string]any{"path": "msp/x", "content": ""}}}, "files[0].path must be an absolute path"},
		{"bad mode", map[string]any{"directories": []any{map[string]any{"path": root + "/a", "mode": "0999"}}}, "directories[0].mode"},
		{"unknown key", map[string]any{"files": []any{map[string]any{"path": root + "/a", "content": "", "mod": "0600"}}}, `files[0]: json: unknown field "mod"`},
		{"file without content", map[string]any{"files": []any{map[string]any{"path": root + "/a"}}}, "files[0].content is required"},
		{"directory with content", map[string]any{"directories": []any{map[string]any{"path": root + "/a", "content": "x"}}}, "directories[0].content"},
		{"a directory twice with two modes", map[string]any{"directories": []any{root + "/a", map[string]any{"path": root + "/a", "mode": "0700"}}}, "given twice, with modes 0755 and 0700"},
		{"twice", map[string]any{"directories": []any{map[string]any{"path": root + "/a"}}, "files": []any{map[string]any{"path": root + "/a/", "content": ""}}}, "given twice"},
		{"a file where a directory goes", map[string]any{"directories": []any{map[string]any{"path": root + "/plain"}}}, "is not a directory"},
		{"a directory where a file goes", map[string]any{"files": []any{map[string]any{"path": root + "/dir", "content": ""}}}, "is not a regular file"},
		{"unknown owner", map[string]any{"owner": "no-such-user-here", "directories": []any{map[string]any{"path": root + "/b"}}}, "owner:"},
		{"nothing given", map[string]any{}, "one of the following is required"},
		{"a config where a file goes", map[string]any{"files": []any{map[string]any{"path": root + "/c", "content": ""}},
			"configs": []any{map[string]any{"path": root + "/c", "content": ""}}}, "given twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, tc.args, false)
			msg, _ := r["msg"].(string)
			if f, _ := r["failed"].(bool); !f || !strings.Contains(msg, tc.want) {
				t.Fatalf("want a failure naming %q, got %v", tc.want, r)
			}
		})
	}
}

// A config's content is not secret: its diff shows it, as template's does,
// while a key written in the same call stays out of the result (call fails
// the test if it shows) and the invocation echoes neither.
func TestFilesConfigs(t *testing.T) {
	root := t.TempDir()
	conf := filepath.Join(root, "etc/server.properties")
	args := func(content string) map[string]any {
		return map[string]any{
			"files":   []any{map[string]any{"path": root + "/tls/key.pem", "mode": "0600", "content": key}},
			"configs": []any{map[string]any{"path": conf, "content": content}},
		}
	}
	tests := []struct {
		name        string
		content     string
		check       bool
		wantChanged bool
		wantBefore  string // the config's diff; "" with wantChanged: none expected
		wantAfter   string
		wantOnDisk  string
	}{
		{"made", "broker.id=1\n", false, true, "", "broker.id=1\n", "broker.id=1\n"},
		{"again", "broker.id=1\n", false, false, "", "", "broker.id=1\n"},
		{"a changed setting, in check mode", "broker.id=2\n", true, true, "broker.id=1\n", "broker.id=2\n", "broker.id=1\n"},
		{"a changed setting", "broker.id=2\n", false, true, "broker.id=1\n", "broker.id=2\n", "broker.id=2\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, args(tc.content), tc.check)
			if f, _ := r["failed"].(bool); f {
				t.Fatalf("failed: %v", r["msg"])
			}
			if c, _ := r["changed"].(bool); c != tc.wantChanged {
				t.Fatalf("changed=%v, want %v: %v", c, tc.wantChanged, r)
			}
			if inv, _ := json.Marshal(r["invocation"]); strings.Contains(string(inv), "broker.id") {
				t.Errorf("the invocation echoes the config's content: %s", inv)
			}
			var found map[string]any
			diffs, _ := r["diff"].([]any)
			for _, d := range diffs {
				if d := d.(map[string]any); d["after_header"] == conf {
					found = d
				}
			}
			switch {
			case tc.wantAfter == "" && found != nil:
				t.Errorf("a diff of the unchanged config: %v", found)
			case tc.wantAfter != "" && (found == nil || found["after"] != tc.wantAfter || (found["before"] != nil && found["before"] != tc.wantBefore) || (found["before"] == nil && tc.wantBefore != "")):
				t.Errorf("config diff %v, want before %q after %q", found, tc.wantBefore, tc.wantAfter)
			}
			if b, _ := os.ReadFile(conf); string(b) != tc.wantOnDisk {
				t.Errorf("on disk %q, want %q", b, tc.wantOnDisk)
			}
		})
	}
}
