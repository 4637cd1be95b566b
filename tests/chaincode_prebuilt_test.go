package tests

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

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
