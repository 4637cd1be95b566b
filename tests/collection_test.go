package tests

import (
	"archive/tar"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// collectionModules are the binary modules the collection ships: one per
// documented plugins/modules/<name>.yml of the checkout.
func collectionModules(t testing.TB) []string {
	t.Helper()
	docs, _ := filepath.Glob(filepath.Join(RepoRoot(t), "plugins", "modules", "fabric_*.yml"))
	var out []string
	for _, d := range docs {
		out = append(out, strings.TrimSuffix(filepath.Base(d), ".yml"))
	}
	if len(out) == 0 {
		t.Fatal("no plugins/modules/fabric_*.yml in the checkout")
	}
	return out
}

// builtCollection is the tarball the run's first buildCollection made.
var builtCollection struct {
	sync.Mutex
	tarball string
}

// buildCollection runs `ansible-galaxy collection build` (as `make
// collection` does) on a snapshot of the checkout without .git and build/,
// so files edited meanwhile cannot fail the build's checksums, and returns
// the tarball's path. It builds once per run: the tests that install the
// collection share the tarball (read-only) in suiteDir.
func buildCollection(t testing.TB) string {
	t.Helper()
	builtCollection.Lock()
	defer builtCollection.Unlock()
	if builtCollection.tarball != "" {
		return builtCollection.tarball
	}
	for _, m := range collectionModules(t) {
		ModuleBin(t, m)
	}
	root := RepoRoot(t)
	dir, err := os.MkdirTemp(suiteDir, "collection-")
	if err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(dir, "fabric")
	err = filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case info.IsDir() && (rel == ".git" || rel == "build"):
			return filepath.SkipDir
		case info.IsDir():
			return os.MkdirAll(filepath.Join(snap, rel), 0o755)
		case info.Mode()&os.ModeSymlink != 0: // the modules' names
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, filepath.Join(snap, rel))
		case !info.Mode().IsRegular():
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(snap, rel), b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	MustRun(t, snap, nil, VenvBin(t, "ansible-galaxy"), "collection", "build", "--output-path", out, snap)
	builtCollection.tarball = mustExist(t, filepath.Join(out, "fabrun-fabric-1.0.0.tar.gz"), "ansible-galaxy collection build")
	return builtCollection.tarball
}

// installCollection installs the tarball offline into an empty collections
// path and returns that path (--force: a fabrun.fabric installed elsewhere,
// e.g. in ~/.ansible/collections, would otherwise count as installed).
func installCollection(t testing.TB, tarball string) string {
	t.Helper()
	cols := filepath.Join(t.TempDir(), "collections")
	MustRun(t, t.TempDir(), nil, VenvBin(t, "ansible-galaxy"), "collection", "install", "--offline", "--force", "-p", cols, tarball)
	return cols
}

// collectionUserEnv is the environment of a user working in dir, outside
// the checkout, with the installed collection: dir's own ansible.cfg (the
// collections path and the checkout's output settings, nothing else), the
// venv and the Fabric tools on PATH.
func collectionUserEnv(t testing.TB, dir, cols string) []string {
	t.Helper()
	cfg := filepath.Join(dir, "ansible.cfg")
	body := fmt.Sprintf("[defaults]\ncollections_path = %s\ncallback_result_format = yaml\ninterpreter_python = auto_silent\n"+
		"retry_files_enabled = False\nforks = 6\n", cols)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	root := RepoRoot(t)
	return []string{
		"ANSIBLE_CONFIG=" + cfg,
		"ANSIBLE_COLLECTIONS_PATH=" + cols,
		"ANSIBLE_LOCAL_TEMP=" + t.TempDir(),
		"ANSIBLE_NOCOLOR=1",
		"ANSIBLE_FORCE_COLOR=0",
		"PATH=" + filepath.Join(root, "build", "venv", "bin") + string(os.PathListSeparator) +
			filepath.Join(root, "build", "fabric", "bin") + string(os.PathListSeparator) + os.Getenv("PATH"),
	}
}

// tarModes lists a gzipped tarball's entries with their modes.
func tarModes(t testing.TB, p string) map[string]os.FileMode {
	t.Helper()
	out := map[string]os.FileMode{}
	walkTarGz(t, p, func(h *tar.Header, _ io.Reader) {
		out[strings.TrimSuffix(strings.TrimPrefix(h.Name, "./"), "/")] = h.FileInfo().Mode()
	})
	return out
}

// TestCollectionTarball builds the collection, checks what the tarball
// holds, installs it offline into an empty collections path, and from a
// directory outside the checkout reads every module's docs and runs a
// playbook that calls the modules by FQCN.
func TestCollectionTarball(t *testing.T) {
	tier(t, "module")
	root := RepoRoot(t)
	tarball := buildCollection(t)
	st, _ := os.Stat(tarball)
	t.Logf("%s: %.1f MB", filepath.Base(tarball), float64(st.Size())/1e6)

	modules := collectionModules(t)
	modes := tarModes(t, tarball)
	want := []string{"MANIFEST.json", "FILES.json", "README.md", "CHANGELOG.md", "meta/runtime.yml",
		"playbooks/site.yml", "playbooks/verify.yml", "playbooks/teardown.yml", "chaincode/mycc/go.mod"}
	// Every module has an action plugin of its name (below: the module run
	// without a copy for each task; fabric_install's also sends the file).
	want = append(want, "plugins/plugin_utils/cached_module.py")
	roles, _ := filepath.Glob(filepath.Join(root, "roles", "*", "meta", "main.yml"))
	for _, r := range roles {
		rel, _ := filepath.Rel(root, r)
		want = append(want, rel)
	}
	// Each module name is a symlink to its executable in plugins/modules/.bin,
	// beside its .yml and generated .py docs (see the Makefile's modules).
	for _, m := range modules {
		want = append(want, "plugins/modules/"+m+".yml", "plugins/modules/"+m+".py", "plugins/action/"+m+".py")
		if mode, ok := modes["plugins/modules/"+m]; !ok || mode&os.ModeSymlink == 0 {
			t.Errorf("plugins/modules/%s: in the tarball %v with mode %v, want a symlink", m, ok, mode)
		}
		mode, ok := modes["plugins/modules/.bin/"+m]
		if !ok || !mode.IsRegular() || mode.Perm()&0o111 != 0o111 {
			t.Errorf("plugins/modules/.bin/%s: in the tarball %v with mode %v, want an executable file", m, ok, mode)
		}
	}
	for _, w := range want {
		if _, ok := modes[w]; !ok {
			t.Errorf("the tarball lacks %s", w)
		}
	}
	junk := regexp.MustCompile(`^(build|tests|tools|internal|modules|runner|\.ci|\.git)(/|$)|\.test$|^(go\.mod|go\.sum|Makefile|ansible\.cfg)$`)
	for n := range modes {
		if junk.MatchString(n) {
			t.Errorf("the tarball holds %s", n)
		}
	}

	cols := installCollection(t, tarball)
	installed := filepath.Join(cols, "ansible_collections", "fabrun", "fabric")
	work := t.TempDir()
	env := collectionUserEnv(t, work, cols)

	for _, m := range modules {
		r := MustRun(t, work, env, VenvBin(t, "ansible-doc"), "fabrun.fabric."+m)
		for _, w := range []string{"fabrun.fabric." + m, filepath.Join(installed, "plugins", "modules", m+".py"), "OPTIONS", "EXAMPLES", "RETURN VALUES"} {
			if !strings.Contains(r.Stdout, w) {
				t.Errorf("ansible-doc fabrun.fabric.%s lacks %q:\n%s", m, w, tail(r.Stdout, 20))
			}
		}
		if strings.Contains(r.Stderr, "WARNING") || strings.Contains(r.Stderr, "ERROR") {
			t.Errorf("ansible-doc fabrun.fabric.%s complained:\n%s", m, r.Stderr)
		}
	}

	// `ansible-doc -l` lists every module with its short description and
	// complains about none (it would drop a binary it reads as text:
	// ansible/ansible#85279), and `ansible-doc -F` names each one's docs.
	list := MustRun(t, work, env, VenvBin(t, "ansible-doc"), "-l", "fabrun.fabric")
	for _, m := range modules {
		if !regexp.MustCompile(`(?m)^fabrun\.fabric\.` + m + `\s+\S`).MatchString(list.Stdout) {
			t.Errorf("ansible-doc -l fabrun.fabric does not list %s:\n%s\n%s", m, list.Stdout, list.Stderr)
		}
	}
	if strings.Contains(list.Stderr, "WARNING") || strings.Contains(list.Stderr, "ERROR") {
		t.Errorf("ansible-doc -l fabrun.fabric complained:\n%s", list.Stderr)
	}
	files := MustRun(t, work, env, VenvBin(t, "ansible-doc"), "-F", "fabrun.fabric")
	for _, m := range modules {
		if !regexp.MustCompile(`(?m)^fabrun\.fabric\.` + m + `\s+` + regexp.QuoteMeta(filepath.Join(installed, "plugins", "modules", m+".py")) + `$`).MatchString(files.Stdout) {
			t.Errorf("ansible-doc -F fabrun.fabric lacks %s in %s:\n%s", m, installed, files.Stdout)
		}
	}

	// A user's playbook calls the modules by FQCN: crypto material, then the
	// genesis block from it, in a directory outside the checkout.
	for _, f := range []string{"configtx.yaml", "crypto-config.yaml"} {
		if err := os.WriteFile(filepath.Join(work, f), mustRead(t, filepath.Join(root, "tests", "testdata", "configtx", f)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pb := filepath.Join(work, "artifacts.yml")
	if err := os.WriteFile(pb, []byte(`---
- name: Crypto material and a genesis block with fabrun.fabric
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Keys and certificates
      fabrun.fabric.fabric_crypto:
        config_file: "{{ playbook_dir }}/crypto-config.yaml"
        output_dir: "{{ playbook_dir }}/crypto-config"
    - name: Genesis block
      fabrun.fabric.fabric_configtx:
        config_file: "{{ playbook_dir }}/configtx.yaml"
        kind: genesis_block
        profile: TwoOrgsOrdererGenesis
        channel_id: system-channel
        output: "{{ playbook_dir }}/genesis.block"
`), 0o644); err != nil {
		t.Fatal(err)
	}
	for run, wantChanged := range []int{2, 0} {
		r := MustRun(t, work, env, VenvBin(t, "ansible-playbook"), "-i", "localhost,", pb)
		if c := ansibleRecap(t, r.Stdout)["localhost"]; c["changed"] != wantChanged || c["failed"] != 0 {
			t.Errorf("run %d: localhost %v, want changed=%d failed=0:\n%s", run+1, c, wantChanged, tail(r.Stdout, 30))
		}
	}
	mustExist(t, filepath.Join(work, "genesis.block"), "the playbook")
	mustExist(t, filepath.Join(work, "crypto-config", "ordererOrganizations", "example.com", "msp"), "the playbook")

	// fabrun installed outside any checkout finds the installed collection;
	// from its checkout, --collection picks the installed one too. Its
	// preflight contacts no host.
	bin := filepath.Join(work, "bin", "fabrun")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, mustRead(t, FabrunBin(t)), 0o755); err != nil {
		t.Fatal(err)
	}
	inventory := filepath.Join(root, "inventory", "local")
	for _, c := range []struct {
		name string
		bin  string
		args []string
	}{
		{"no checkout", bin, []string{"check", "--json", "-i", inventory}},
		{"--collection", FabrunBin(t), []string{"check", "--json", "--collection", "-i", inventory}},
	} {
		r := Run(t, work, append(env, "FABRUN_HOME="), c.bin, c.args...)
		var doc struct {
			OK   bool   `json:"ok"`
			Home string `json:"home"`
		}
		if err := json.Unmarshal([]byte(r.Stdout), &doc); err != nil || r.Err != nil || !doc.OK || doc.Home != installed {
			t.Errorf("fabrun %s (%s): %v, home %q ok %v, want the installed %s:\n%s\n%s", strings.Join(c.args, " "), c.name, r.Err, doc.Home, doc.OK, installed, r.Stdout, r.Stderr)
		}
	}
	if r := Run(t, work, append(env, "FABRUN_HOME="), bin, "check"); r.Err == nil || !strings.Contains(r.Stdout+r.Stderr, "--inventory is required") {
		t.Errorf("fabrun check without -i on the installed collection: %v\n%s%s", r.Err, r.Stdout, r.Stderr)
	}
}
