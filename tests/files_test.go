package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFilesAnsiblePlaybook installs a controller tree (a key, a certificate,
// a script, an empty directory) through roles/fabrun's listing and
// fabric_files with real ansible-playbook: check mode writes nothing and its
// diff names paths, never content; a second run changes nothing; a loosened
// key mode and a deleted file are put back.
func TestFilesAnsiblePlaybook(t *testing.T) {
	tier(t, "module")
	ModuleBin(t, "fabric_files") // fail early on a stale build
	const key = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49\n-----END PRIVATE KEY-----\n"
	src, dest := t.TempDir(), filepath.Join(t.TempDir(), "node")
	for _, f := range []struct {
		path, content string
		mode          os.FileMode
	}{
		{"msp/keystore/priv_sk", key, 0o600},
		{"msp/signcerts/cert.pem", "-----BEGIN CERTIFICATE-----\n", 0o644},
		{"bin/run", "#!/bin/sh\necho {{ not a template }}\n", 0o755},
	} {
		p := filepath.Join(src, f.path)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(f.content), f.mode); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(src, "msp", "admincerts"), 0o755)
	vars := []string{"-e", "files_src=" + src, "-e", "files_dest=" + dest}
	step := func(name string, wantChanged int, extra ...string) string {
		t.Helper()
		out, changed, failed := testPlaybook(t, "files.yml", append(vars, extra...)...)
		if failed != 0 || changed != wantChanged {
			t.Fatalf("%s: changed=%d failed=%d, want changed=%d:\n%s", name, changed, failed, wantChanged, out)
		}
		if strings.Contains(out, "PRIVATE KEY") || strings.Contains(out, "MIGHAgEA") {
			t.Fatalf("%s: a private key was printed:\n%s", name, out)
		}
		return out
	}
	modeOf := func(rel string) os.FileMode {
		t.Helper()
		fi, err := os.Stat(filepath.Join(dest, rel))
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode().Perm()
	}

	out := step("check mode", 1, "--check", "--diff")
	if _, err := os.Stat(dest); err == nil {
		t.Fatalf("check mode made %s", dest)
	}
	if !strings.Contains(out, dest+"/msp/keystore/priv_sk: absent") {
		t.Errorf("--diff does not name the key's path:\n%s", out)
	}

	step("first run", 1)
	for rel, want := range map[string]os.FileMode{"msp/keystore/priv_sk": 0o600, "msp/keystore": 0o750,
		"msp/admincerts": 0o750, "bin/run": 0o755, "msp/signcerts/cert.pem": 0o644} {
		if got := modeOf(rel); got != want {
			t.Errorf("%s: mode %o, want %o", rel, got, want)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dest, "bin/run")); !strings.Contains(string(b), "{{ not a template }}") {
		t.Errorf("bin/run was templated or cut: %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dest, "msp/keystore/priv_sk")); string(b) != key {
		t.Errorf("the key lost its trailing newline or changed: %q", b)
	}
	step("second run", 0)

	os.Chmod(filepath.Join(dest, "msp/keystore/priv_sk"), 0o644)
	os.Remove(filepath.Join(dest, "msp/signcerts/cert.pem"))
	step("drift", 1)
	if got := modeOf("msp/keystore/priv_sk"); got != 0o600 {
		t.Errorf("key mode %o after the fix, want 600", got)
	}
	modeOf("msp/signcerts/cert.pem")
	step("after the fix", 0)
}
