package tests

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fabrun/fabrun/internal/chaincode"
)

// chaincodeELFHeader is the start of a 64-bit little-endian ELF executable
// for the CPU with ELF machine number machine: all the builder reads.
func chaincodeELFHeader(machine byte) []byte {
	h := make([]byte, 64)
	copy(h, "\x7fELF\x02\x01\x01")
	h[16], h[18] = 2, machine // ET_EXEC, e_machine (little-endian)
	return h
}

// TestChaincodeBuilderPrebuiltRefused checks that the builder installs a
// shipped executable only when it matches its checksum and this host's CPU,
// and otherwise fails the install naming what is wrong (the peer logs it).
func TestChaincodeBuilderPrebuiltRefused(t *testing.T) {
	tier(t, "module")
	mycc := `{"type":"golang","path":"github.com/fabrun/fabrun/chaincode/mycc","label":"mycc"}`
	// A CPU that is not this one: arm64 here, amd64 on an arm64 machine.
	other, otherArch := byte(0xB7), "arm64"
	if runtime.GOARCH == "arm64" {
		other, otherArch = 0x3E, "amd64"
	}
	sumOf := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) + "\n" }
	foreign := chaincodeELFHeader(other)
	script := []byte("#!/bin/sh\necho hello\n")
	for _, tc := range []struct {
		name string
		exe  []byte
		sum  string // "" for no checksum file
		want []string
	}{
		{"damaged (checksum differs)", foreign, sumOf([]byte("something else")), []string{"does not match its checksum file", "damaged"}},
		{"no checksum file", foreign, "", []string{"no checksum file"}},
		{"built for another CPU", foreign, sumOf(foreign), []string{"built for " + otherArch, "GOARCH=" + runtime.GOARCH}},
		{"not an ELF executable", script, sumOf(script), []string{"not an ELF executable"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := chaincodeNewContext(t, []byte(mycc))
			chaincodeWrite(t, filepath.Join(c.Src, chaincode.PrebuiltName), string(tc.exe))
			if tc.sum != "" {
				chaincodeWrite(t, filepath.Join(c.Src, chaincode.PrebuiltSumName), tc.sum)
			}
			// No toolchain: a refused executable must not fall back to compiling.
			env := []string{"PATH=" + chaincodeSystemPath, "TMPDIR=" + t.TempDir(), "FABRUN_GO=/nonexistent/go"}
			r := chaincodeRunBuilder(t, chaincodeBuilder(t), "build", env, c.Src, c.Metadata, c.Bld)
			if r.Err == nil {
				t.Fatalf("build succeeded, want failure\n%s", r.Stderr)
			}
			for _, w := range append(tc.want, "src/.fabrun/chaincode") {
				if !strings.Contains(r.Stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.Stderr)
				}
			}
			if _, err := os.Stat(filepath.Join(c.Bld, "chaincode")); err == nil {
				t.Error("a refused executable was installed as bld/chaincode")
			}
		})
	}
}

// checkPeersRunPrebuiltChaincode checks, on a network the chaincode role
// deployed with its defaults (hosts under hostsDir, the controller's build
// of the chaincode bin: fabrun_workdir/chaincode/mycc-1.0), that the
// chaincode was compiled once, on the controller: no peer has Go in its environment (no GOROOT, GOCACHE or
// FABRUN_GO, this machine's Go not on its PATH), every peer's builder
// installed the prebuilt executable and compiled nothing, and every running
// chaincode process is that executable, byte for byte, with its launch files
// (its TLS client key among them) in its peer's own peer_tmp_dir, not the
// machine's /tmp.
func checkPeersRunPrebuiltChaincode(t *testing.T, hostsDir, bin string) {
	t.Helper()
	want, err := os.ReadFile(bin)
	if err != nil {
		t.Fatalf("the controller's build of mycc: %v", err)
	}
	goBin := filepath.Dir(chaincodeGoTool(t))
	peers := 0
	for _, p := range procsMatching(hostsDir + "/") {
		if !strings.HasSuffix(p.Cmdline, "/bin/peer node start") {
			continue
		}
		peers++
		env := procEnviron(t, p.PID)
		for _, k := range []string{"GOROOT", "GOCACHE", "FABRUN_GO"} {
			if v, ok := env[k]; ok {
				t.Errorf("%s has %s=%s in its environment: peers should need no Go", p.Cmdline, k, v)
			}
		}
		if slices.Contains(filepath.SplitList(env["PATH"]), goBin) {
			t.Errorf("%s has Go (%s) on its PATH %s: peers should need no Go", p.Cmdline, goBin, env["PATH"])
		}
	}
	if peers != 4 {
		t.Errorf("%d peer processes under %s, want 4", peers, hostsDir)
	}
	logs, _ := filepath.Glob(filepath.Join(hostsDir, "*", "log", "peer.log"))
	for _, f := range logs {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "installed the prebuilt") {
			t.Errorf("%s: the builder never installed the prebuilt chaincode", f)
		}
		if strings.Contains(string(b), "fabrun golang builder: go version") {
			t.Errorf("%s: the builder compiled chaincode on the peer", f)
		}
	}
	if len(logs) != 4 {
		t.Errorf("peer logs %v, want 4", logs)
	}
	running := 0
	for _, p := range procsMatching(hostsDir + "/") {
		if !strings.Contains(p.Cmdline, "/bld/chaincode -peer.address=") {
			continue
		}
		running++
		got, err := os.ReadFile(fmt.Sprintf("/proc/%d/exe", p.PID))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("chaincode process %d (%s) does not run the controller's %s (%v)", p.PID, p.Cmdline, bin, err)
		}
		host, _, _ := strings.Cut(strings.TrimPrefix(p.Cmdline, hostsDir+"/"), "/")
		tmp := filepath.Join(hostsDir, host, "data", "peer", "tmp") + "/fabric-run"
		if key := procEnviron(t, p.PID)["CORE_TLS_CLIENT_KEY_FILE"]; !strings.HasPrefix(key, tmp) {
			t.Errorf("chaincode process %d (%s): its TLS client key %q is not in %s*", p.PID, p.Cmdline, key, tmp)
		}
	}
	if running == 0 {
		t.Errorf("no chaincode process under %s", hostsDir)
	}
}

// procEnviron is a running process's environment.
func procEnviron(t *testing.T, pid int) map[string]string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		t.Fatalf("process %d: %v", pid, err)
	}
	env := map[string]string{}
	for _, kv := range strings.Split(string(b), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}

// TestChaincodeBuildRecord runs the chaincode role's build on the
// controller: it compiles once, is skipped while the toolchain, the target,
// the sources and the executable are as its record says, and compiles again
// when any of them changes.
func TestChaincodeBuildRecord(t *testing.T) {
	tier(t, "module")
	dir := t.TempDir()
	src, bin := filepath.Join(dir, "mycc"), filepath.Join(dir, "out", "mycc-1.0")
	copyTree(t, filepath.Join(RepoRoot(t), "chaincode", "mycc"), src)
	later := time.Now().Add(time.Minute)
	for _, tc := range []struct {
		name   string
		before func()
		arch   string
		want   string // the compile task's outcome: changed, ok (built the same bytes) or skipping
	}{
		{"first build", func() {}, "amd64", "changed"},
		{"nothing changed", func() {}, "amd64", "skipping"},
		{"a source file touched", func() { os.Chtimes(filepath.Join(src, "mycc.go"), later, later) }, "amd64", "ok"},
		{"a source file added", func() { chaincodeWrite(t, filepath.Join(src, "extra.go"), "package main\n") }, "amd64", "changed"},
		{"another target", func() {}, "arm64", "changed"},
		{"the executable removed", func() { os.Remove(bin) }, "arm64", "changed"},
		{"the record removed", func() { os.Remove(bin + ".inputs") }, "arm64", "ok"},
		{"nothing changed again", func() {}, "arm64", "skipping"},
	} {
		tc.before()
		out, _, failed := testPlaybook(t, "chaincode_build.yml", "-e", "ansible_python_interpreter="+VenvBin(t, "python"),
			"-e", "chaincode_path="+src, "-e", "chaincode_binary="+bin, "-e", "chaincode_goarch="+tc.arch)
		if failed != 0 {
			t.Fatalf("%s: the build failed:\n%s", tc.name, tail(out, 30))
		}
		_, after, _ := strings.Cut(out, "the chaincode mycc] ***")
		if got := strings.TrimSpace(after); !strings.HasPrefix(got, tc.want+":") {
			line, _, _ := strings.Cut(got, "\n")
			t.Errorf("%s: the compile task %q, want %s", tc.name, line, tc.want)
		}
	}
	exe, err := os.ReadFile(bin)
	if err != nil || len(exe) < 20 || exe[18] != 0xB7 {
		t.Errorf("%s is not an arm64 executable (%v)", bin, err)
	}
}
