package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTimeAlternating(t *testing.T) {
	for _, tc := range []struct {
		name      string
		n         int
		failAt    int // call number (from 0) that fails; -1: none
		want      []int
		wantOrder string
		wantErr   bool
	}{
		{"alternates", 2, -1, []int{2, 2}, "a0 b0 a1 b1", false},
		{"none", 0, -1, []int{0, 0}, "", false},
		{"stops at the first error", 2, 2, []int{1, 1}, "a0 b0 a1", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var order []string
			call := 0
			run := func(name string) func(int) error {
				return func(i int) error {
					order = append(order, fmt.Sprintf("%s%d", name, i))
					call++
					if call-1 == tc.failAt {
						return errors.New("boom")
					}
					return nil
				}
			}
			got, err := TimeAlternating(tc.n, run("a"), run("b"))
			if len(got) != 2 || len(got[0]) != tc.want[0] || len(got[1]) != tc.want[1] || (err != nil) != tc.wantErr {
				t.Errorf("got %v, err %v", got, err)
			}
			if strings.Join(order, " ") != tc.wantOrder {
				t.Errorf("order %v, want %s", order, tc.wantOrder)
			}
		})
	}
}

// A stand-in binary module: a shell script that answers by its argument
// file's content, as Ansible's binary modules do.
func TestRunModule(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "mod")
	script := `#!/bin/sh
case "$(cat "$1")" in
  *fail*) echo '{"failed": true, "msg": "name: bad value"}' ;;
  *junk*) echo 'not json'; echo 'some error' >&2 ;;
  *) echo '{"changed": true}' ;;
esac
`
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		args    map[string]any
		wantErr string
	}{
		{"ok", map[string]any{"x": "ok"}, ""},
		{"failed names the message", map[string]any{"x": "fail"}, "name: bad value"},
		{"no JSON shows stderr", map[string]any{"x": "junk"}, "some error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := RunModule(context.Background(), bin, dir, tc.args)
			if tc.wantErr == "" {
				if err != nil || res["changed"] != true {
					t.Errorf("res %v, err %v", res, err)
				}
			} else if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err %v, want one with %q", err, tc.wantErr)
			}
		})
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "module-args-*")); len(m) != 0 {
		t.Errorf("argument files left: %v", m)
	}
	if err := RunCommand(context.Background(), dir, "sh", "-c", "echo why; exit 3"); err == nil || !strings.Contains(err.Error(), "why") {
		t.Errorf("RunCommand error %v", err)
	}
}
