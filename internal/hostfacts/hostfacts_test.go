package hostfacts

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/fabrun/fabrun/internal/module"
)

func call(t *testing.T, args map[string]any) map[string]any {
	t.Helper()
	args["_ansible_check_mode"] = true
	b, _ := json.Marshal(args)
	j, _ := json.Marshal(module.Execute(Spec(), b, Run))
	var out map[string]any
	json.Unmarshal(j, &out)
	return out
}

// fakeJava writes a script answering -version as a JRE would.
func fakeJava(t *testing.T, dir, answer string, rc int) string {
	t.Helper()
	p := filepath.Join(dir, "java")
	os.WriteFile(p, []byte("#!/bin/sh\ncat >&2 <<'E'\n"+answer+"\nE\nexit "+strconv.Itoa(rc)+"\n"), 0o755)
	return p
}

func TestJava(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, answer string
		rc           int
		found        bool
		major        float64
	}{
		{"17", `openjdk version "17.0.15" 2025-04-15`, 0, true, 17},
		{"8, as 1.8", `java version "1.8.0_402"`, 0, true, 8},
		{"21, no minor", `openjdk version "21" 2023-09-19`, 0, true, 21},
		{"unreadable", `something else`, 0, true, 0},
		{"fails", `Error: broken`, 1, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := call(t, map[string]any{"java": fakeJava(t, t.TempDir(), tc.answer, tc.rc)})
			j := out["java"].(map[string]any)
			if j["found"] != tc.found || j["major"] != tc.major || out["changed"] != false {
				t.Errorf("got %v", out)
			}
		})
	}
	out := call(t, map[string]any{"java": filepath.Join(dir, "no-java")})
	if j := out["java"].(map[string]any); j["found"] != false || j["text"] == "" {
		t.Errorf("a missing java: %v", out)
	}
}

func TestPaths(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "there"), 0o755)
	out := call(t, map[string]any{"paths": []string{filepath.Join(dir, "there"), filepath.Join(dir, "not")}})
	want := map[string]any{filepath.Join(dir, "there"): true, filepath.Join(dir, "not"): false}
	if !reflect.DeepEqual(out["exists"], want) || out["java"] != nil {
		t.Errorf("got %v", out)
	}
}
