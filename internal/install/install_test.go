package install

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fabrun/fabrun/internal/module"
)

func call(t *testing.T, args map[string]any, check bool) map[string]any {
	t.Helper()
	args["_ansible_check_mode"] = check
	args["_ansible_diff"] = true
	b, _ := json.Marshal(args)
	j, _ := json.Marshal(module.Execute(Spec(), b, Run))
	var out map[string]any
	json.Unmarshal(j, &out)
	return out
}

// tarball writes release-<v>/libs/<v>.jar into a .tar.gz and returns its
// path and checksum.
func tarball(t *testing.T, dir, v string) (string, string) {
	t.Helper()
	p := filepath.Join(dir, "release-"+v+".tgz")
	f, _ := os.Create(p)
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	body := []byte("jar " + v)
	tw.WriteHeader(&tar.Header{Name: "release-" + v + "/libs/" + v + ".jar", Mode: 0o644, Size: int64(len(body))})
	tw.Write(body)
	tw.Close()
	gz.Close()
	f.Close()
	return p, fileSum(t, p)
}

func fileSum(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestInstallFile(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "peer")
	os.WriteFile(src, []byte("binary v1"), 0o600)
	sum1 := fileSum(t, src)
	dest := filepath.Join(dir, "host", "bin", "peer")

	// Missing: the module asks for the file, changing nothing; check mode
	// reports the change.
	if out := call(t, map[string]any{"dest": dest, "checksum": sum1, "mode": "0755"}, true); out["changed"] != true || out["diff"] == nil {
		t.Errorf("check mode: %v", out)
	}
	out := call(t, map[string]any{"dest": dest, "checksum": sum1, "mode": "0755"}, false)
	if out["needs_src"] != true || out["changed"] != false {
		t.Fatalf("without src: %v", out)
	}
	if _, err := os.Stat(dest); err == nil {
		t.Fatal("installed without a source")
	}
	out = call(t, map[string]any{"dest": dest, "checksum": sum1, "mode": "0755", "src": src}, false)
	if out["changed"] != true || out["copied"] != true {
		t.Fatalf("install: %v", out)
	}
	if fi, err := os.Stat(dest); err != nil || fi.Mode().Perm() != 0o755 || fileSum(t, dest) != sum1 {
		t.Fatalf("installed file: %v %v", fi, err)
	}
	// In place: nothing to do, no source needed.
	if out = call(t, map[string]any{"dest": dest, "checksum": sum1, "mode": "0755"}, false); out["changed"] != false || out["needs_src"] != nil {
		t.Errorf("second run: %v", out)
	}
	// A loosened mode is set back without sending the file.
	os.Chmod(dest, 0o777)
	if out = call(t, map[string]any{"dest": dest, "checksum": sum1, "mode": "0755"}, false); out["changed"] != true || out["needs_src"] != nil {
		t.Errorf("mode drift: %v", out)
	}
	if fi, _ := os.Stat(dest); fi.Mode().Perm() != 0o755 {
		t.Errorf("mode %v, want 0755", fi.Mode().Perm())
	}
	// A source that is not what the controller's checksum says is refused.
	os.WriteFile(src, []byte("binary v2"), 0o600)
	out = call(t, map[string]any{"dest": dest, "checksum": strings.Repeat("ab", 32), "mode": "0755", "src": src}, false)
	if out["failed"] != true || !strings.Contains(fmt.Sprint(out["msg"]), "not the controller's") || fileSum(t, dest) != sum1 {
		t.Errorf("corrupt source: %v", out)
	}

	for name, args := range map[string]map[string]any{
		"short checksum": {"dest": dest, "checksum": "abc"},
		"bad mode":       {"dest": dest, "checksum": sum1, "mode": "rwx"},
		"no dest":        {"checksum": sum1},
	} {
		if out := call(t, args, false); out["failed"] != true {
			t.Errorf("%s accepted: %v", name, out)
		}
	}
}

func TestInstallUnpack(t *testing.T) {
	dir := t.TempDir()
	tgz1, sum1 := tarball(t, dir, "1")
	tgz2, sum2 := tarball(t, dir, "2")
	dest := filepath.Join(dir, "host", "dist", "release.tgz")
	into := filepath.Join(dir, "host", "release")
	args := func(src, sum string) map[string]any {
		return map[string]any{"dest": dest, "checksum": sum, "src": src, "unpack_to": into}
	}
	jar := func(v string) bool {
		_, err := os.Stat(filepath.Join(into, "libs", v+".jar"))
		return err == nil
	}

	if out := call(t, args(tgz1, sum1), false); out["changed"] != true || out["unpacked"] != true || !jar("1") {
		t.Fatalf("first install: %v", out)
	}
	if out := call(t, args(tgz1, sum1), false); out["changed"] != false {
		t.Errorf("second run: %v", out)
	}
	// A new tarball replaces the directory's contents.
	if out := call(t, args(tgz2, sum2), false); out["changed"] != true || !jar("2") || jar("1") {
		t.Errorf("upgrade: %v", out)
	}
	if _, err := os.Stat(into + ".partial"); err == nil {
		t.Error("the partial directory is left")
	}
	// The tarball installed but its unpack interrupted (the stamp names
	// the old one): the next run unpacks.
	os.WriteFile(filepath.Join(into, stampName), []byte(sum1+"\n"), 0o644)
	if out := call(t, args(tgz2, sum2), false); out["changed"] != true || out["unpacked"] != true || out["copied"] != false {
		t.Errorf("after an interrupted unpack: %v", out)
	}
	// A directory unpacked before stamps existed, with its tarball in
	// place, is kept (and stamped).
	os.Remove(filepath.Join(into, stampName))
	if out := call(t, args(tgz2, sum2), false); out["changed"] != false {
		t.Errorf("an unstamped directory: %v", out)
	}
	if b, _ := os.ReadFile(filepath.Join(into, stampName)); strings.TrimSpace(string(b)) != sum2 {
		t.Errorf("stamp %q, want %s", b, sum2)
	}
	// Check mode unpacks nothing.
	os.RemoveAll(into)
	if out := call(t, args(tgz2, sum2), true); out["changed"] != true || out["unpacked"] != true {
		t.Errorf("check mode: %v", out)
	}
	if _, err := os.Stat(into); err == nil {
		t.Error("check mode unpacked")
	}
	// A broken tarball fails and leaves no directory.
	broken := filepath.Join(dir, "broken.tgz")
	os.WriteFile(broken, []byte("not gzip"), 0o644)
	if out := call(t, args(broken, fileSum(t, broken)), false); out["failed"] != true || !strings.Contains(fmt.Sprint(out["msg"]), "unpacking") {
		t.Errorf("broken tarball: %v", out)
	}
	if _, err := os.Stat(into); err == nil {
		t.Error("a broken tarball left a directory")
	}
}
