package chaincode

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-sdk-go/pkg/common/errors/multi"
	"github.com/hyperledger/fabric-sdk-go/pkg/common/errors/status"
	"github.com/pkg/errors"

	"github.com/fabrun/fabrun/internal/module"
)

func TestPolicyEnvelope(t *testing.T) {
	tests := []struct {
		policy  string
		wantErr string
	}{
		{"OR('Org1MSP.peer','Org2MSP.peer')", ""},
		{"OR ('Org1MSP.peer','Org2MSP.peer')", ""}, // the seed guide's spelling
		{"AND('Org1MSP.member', OutOf(1, 'Org2MSP.admin', 'Org3MSP.peer'))", ""},
		{"", ""},
		{"OR('Org1MSP.peer',", "Unbalanced parenthesis"},
		{"OR('Org1MSP.king')", "not a valid endorsement policy"},
		{"Org1MSP.peer", "not a valid endorsement policy"},
	}
	for _, tt := range tests {
		p, err := policyEnvelope(tt.policy)
		if tt.wantErr == "" {
			if err != nil || (tt.policy != "" && p == nil) {
				t.Errorf("%q: %v", tt.policy, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), tt.policy) {
			t.Errorf("%q: err = %v, want %q", tt.policy, err, tt.wantErr)
		}
	}
}

func TestEndorserMessage(t *testing.T) {
	cc := status.New(status.EndorserServerStatus, 500, "Invalid transaction amount, expecting a integer value", nil)
	tests := []struct {
		name   string
		err    error
		want   string
		wantOK bool
	}{
		{"direct", cc, "Invalid transaction amount, expecting a integer value", true},
		{"wrapped", errors.WithMessage(multi.Errors{cc}, "Transaction processing for endorser"), "Invalid transaction amount, expecting a integer value", true},
		{"nested in details", status.New(status.ClientStatus, 1, "multiple", []interface{}{cc}), "Invalid transaction amount, expecting a integer value", true},
		{"fmt", fmt.Errorf("query: %w", cc), "Invalid transaction amount, expecting a integer value", true},
		{"chaincode status", status.New(status.ChaincodeStatus, 500, "Entity not found", nil), "Entity not found", true},
		{"transport", status.New(status.EndorserClientStatus, 2, "CONNECTION_FAILED", nil), "", false},
		{"plain", errors.New("x"), "", false},
	}
	for _, tt := range tests {
		msg, _, ok := EndorserMessage(tt.err)
		if ok != tt.wantOK || msg != tt.want {
			t.Errorf("%s: got %q %v", tt.name, msg, ok)
		}
	}
}

// TestClassify: a failure is the peer's or the chaincode's by the SDK's
// status code where it has one, by the peer's wording where Fabric gives
// both the same status; a missing definition is the lifecycle's 404.
func TestClassify(t *testing.T) {
	chaincodeErr := status.New(status.ChaincodeStatus, 500, "Invalid transaction amount, expecting a integer value", nil)
	tests := []struct {
		name            string
		err             error
		infra, notFound bool
	}{
		{"the chaincode's own error", chaincodeErr, false, false},
		{"the chaincode says not found", status.New(status.ChaincodeStatus, 500, "Entity not found", nil), false, false},
		{"simulation failure", status.New(status.ChaincodeStatus, 500, "error in simulation: could not launch chaincode mycc:1.0", nil), true, false},
		{"chaincode unknown to the SDK", status.New(status.EndorserClientStatus, int32(status.ChaincodeNameNotFound), "chaincode mycc not found", nil), true, false},
		{"committed definition missing", errors.WithMessage(status.New(status.ChaincodeStatus, 404, "namespace mycc is not defined", nil), "query"), false, true},
		{"approval missing", status.New(status.ChaincodeStatus, 500,
			"failed to invoke backing implementation of 'QueryApprovedChaincodeDefinition': could not fetch approved chaincode definition (name: 'mycc', sequence: '1') on channel 'mychannel'", nil), true, true},
		{"transport", status.New(status.EndorserClientStatus, int32(status.ConnectionFailed), "connection refused", nil), false, false},
	}
	for _, tt := range tests {
		st := peerAnswer(tt.err)
		if infra := st != nil && isInfra(st); infra != tt.infra {
			t.Errorf("%s: infra = %v, want %v", tt.name, infra, tt.infra)
		}
		if got := notFound(tt.err); got != tt.notFound {
			t.Errorf("%s: notFound = %v, want %v", tt.name, got, tt.notFound)
		}
	}
}

// PackageGo packs chaincode/mycc as `peer chaincode install -p` would: the
// module with vendor/ under src/, the import path as chaincode path.
func TestPackageGoMycc(t *testing.T) {
	src, _ := filepath.Abs(filepath.Join("..", "..", "chaincode", "mycc"))
	if _, err := os.Stat(filepath.Join(src, "go.mod")); err != nil {
		t.Fatalf("chaincode/mycc is missing: %v", err)
	}
	p, err := PackageGo(src, "mycc_1.0")
	if err != nil {
		t.Fatal(err)
	}
	if p.Path != "github.com/fabrun/fabrun/chaincode/mycc" {
		t.Errorf("path %q", p.Path)
	}
	files, err := CodeFiles(p.Code)
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	have := strings.Join(files, "\n")
	for _, want := range []string{"src/go.mod", "src/go.sum", "src/mycc.go", "src/main.go", "src/vendor/modules.txt",
		"src/vendor/github.com/hyperledger/fabric-chaincode-go/shim/shim.go"} {
		if !strings.Contains(have, want+"\n") && !strings.HasSuffix(have, want) {
			t.Errorf("package lacks %s", want)
		}
	}
	again, err := PackageGo(src, "mycc_1.0")
	if err != nil || packageID(again) != packageID(p) || !strings.HasPrefix(packageID(p), "mycc_1.0:") {
		t.Errorf("packaging is not reproducible: %s vs %s (%v)", packageID(again), packageID(p), err)
	}
	for _, bad := range []struct{ path, want string }{
		{filepath.Join(src, "nothere"), "no such file"},
		{filepath.Join(src, "go.mod"), "not a directory"},
		{filepath.Join(src, "vendor"), "no Go files"},
	} {
		if _, err := PackageGo(bad.path, "x"); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: err = %v, want %q", bad.path, err, bad.want)
		}
	}
}

func TestSpecValidation(t *testing.T) {
	base := map[string]any{"msp_id": "Org1MSP", "admin_cert": "/c", "admin_key": "/k", "peer": "p:1", "peer_tls_ca": "/ca"}
	tests := []struct {
		name    string
		args    map[string]any
		wantErr string
	}{
		{"no state", map[string]any{}, "missing required arguments: state"},
		{"installed", map[string]any{"state": "installed", "name": "mycc"}, "state is installed but all of the following are missing: version, path"},
		{"instantiated", map[string]any{"state": "instantiated", "name": "mycc", "version": "1"}, "channel_id"},
		{"invoked", map[string]any{"state": "invoked", "channel_id": "c", "name": "mycc", "orderer": "o:1", "orderer_tls_ca": "/ca"}, "state is invoked but all of the following are missing: args"},
		{"queried", map[string]any{"state": "queried", "channel_id": "c", "args": []any{"query", "a"}}, "name"},
		{"both policies", map[string]any{"state": "approved", "policy": "x", "channel_config_policy": "y"}, "mutually exclusive: policy|channel_config_policy"},
		{"endorser without CA", map[string]any{"state": "queried", "channel_id": "c", "name": "n", "args": []any{"q"},
			"endorsing_peers": []any{map[string]any{"address": "x:1"}}}, "endorsing_peers[0] needs address and tls_ca"},
		{"lifecycle no label", map[string]any{"state": "lifecycle_installed", "path": "/tmp"}, "label and name are missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := maps.Clone(base)
			maps.Copy(args, tt.args)
			b, _ := json.Marshal(args)
			out := module.Execute(Spec(), b, Run)
			msg, _ := out["msg"].(string)
			if out["failed"] != true || !strings.Contains(msg, tt.wantErr) {
				t.Fatalf("got %v, want failure %q", out, tt.wantErr)
			}
		})
	}
}

// CodeFiles lists the file names in a code.tar.gz.
func CodeFiles(code []byte) ([]string, error) {
	files, err := untarGz(code)
	if err != nil {
		return nil, err
	}
	var names []string
	for n := range files {
		names = append(names, n)
	}
	return names, nil
}

// AddPrebuilt appends the executable as a 0644 file under src/ (what Fabric's
// Go platform accepts) and keeps every source file; it refuses what is not
// an ELF executable.
func TestAddPrebuilt(t *testing.T) {
	var code bytes.Buffer
	zw := gzip.NewWriter(&code)
	tw := tar.NewWriter(zw)
	for _, f := range []string{"src/go.mod", "src/main.go"} {
		_ = tw.WriteHeader(&tar.Header{Name: f, Mode: 0o100644, Size: 2, Typeflag: tar.TypeReg})
		_, _ = tw.Write([]byte("x\n"))
	}
	_ = tw.Close()
	_ = zw.Close()
	dir := t.TempDir()
	elf := filepath.Join(dir, "cc")
	_ = os.WriteFile(elf, []byte("\x7fELF binary"), 0o755)
	script := filepath.Join(dir, "cc.sh")
	_ = os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755)

	for _, tt := range []struct {
		name, path, wantErr string
	}{
		{"elf executable", elf, ""},
		{"not ELF", script, "not an ELF executable"},
		{"missing", filepath.Join(dir, "nothere"), "no such file"},
	} {
		p := &Package{Code: code.Bytes()}
		err := p.AddPrebuilt(tt.path)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: err = %v, want %q", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		gz, err := gzip.NewReader(bytes.NewReader(p.Code))
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(gz)
		got := map[string]int64{}
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			got[h.Name] = h.Mode
			b, _ := io.ReadAll(tr)
			if h.Name == PrebuiltName && string(b) != "\x7fELF binary" {
				t.Errorf("%s: prebuilt content %q", tt.name, b)
			}
			// sha256sum of the executable, as the builder checks it.
			if h.Name == PrebuiltSumName && string(b) != "f6c06085d08a31776a2d37ffa54cf7f563d76eac97576b7e41d6435e8ca05882\n" {
				t.Errorf("%s: checksum file %q", tt.name, b)
			}
		}
		want := map[string]int64{"src/go.mod": 0o100644, "src/main.go": 0o100644, PrebuiltName: 0o100644, PrebuiltSumName: 0o100644}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: package files %v, want %v", tt.name, got, want)
		}
		if err := (&Package{Code: p.Code}).AddPrebuilt(elf); err == nil {
			t.Errorf("%s: adding a second prebuilt binary succeeded", tt.name)
		}
	}
}

// TestPrebuiltPackageKept: the package is made once and read back while the
// source and the executable are unchanged (without the go tool, which only
// packaging needs), and made again after either changes.
func TestPrebuiltPackageKept(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	_ = os.MkdirAll(src, 0o755)
	_ = os.WriteFile(filepath.Join(src, "go.mod"), []byte("module example.com/cc\n\ngo 1.21\n"), 0o644)
	_ = os.WriteFile(filepath.Join(src, "main.go"), []byte("package main\n\nfunc main() {}\n"), 0o644)
	bin := filepath.Join(dir, "cc")
	_ = os.WriteFile(bin, []byte("\x7fELF one"), 0o755)
	kept := bin + ".package"
	goPath := os.Getenv("PATH")

	contents := func(p *Package) map[string][]byte {
		t.Helper()
		files, err := untarGz(p.Code)
		if err != nil {
			t.Fatal(err)
		}
		return files
	}
	if _, err := PrebuiltPackage(src, "cc_1", bin, false); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{kept, kept + ".lock"} {
		if _, err := os.Stat(f); err == nil {
			t.Fatalf("check mode (keep false) wrote %s", f)
		}
	}
	first, err := PrebuiltPackage(src, "cc_1", bin, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		change  func()
		repacks bool
		want    map[string]string // file in the package -> content
	}{
		{"nothing changed", func() {}, false, map[string]string{PrebuiltName: "\x7fELF one"}},
		{"a damaged kept package", func() { _ = os.WriteFile(kept, []byte(keptHeader+"\nx\n"), 0o644) }, true,
			map[string]string{PrebuiltName: "\x7fELF one"}},
		{"the executable rebuilt", func() { _ = os.WriteFile(bin, []byte("\x7fELF two"), 0o755) }, true,
			map[string]string{PrebuiltName: "\x7fELF two"}},
		{"a source file edited", func() {
			_ = os.WriteFile(filepath.Join(src, "main.go"), []byte("package main\n\nfunc main() { _ = 1 }\n"), 0o644)
		}, true, map[string]string{"src/main.go": "package main\n\nfunc main() { _ = 1 }\n"}},
	} {
		tt.change()
		// Without the go tool only a kept package can be returned.
		t.Setenv("PATH", "")
		p, err := PrebuiltPackage(src, "cc_1", bin, true)
		t.Setenv("PATH", goPath)
		if tt.repacks {
			if err == nil || !strings.Contains(err.Error(), "go tool") {
				t.Fatalf("%s: the kept package was used (err %v)", tt.name, err)
			}
			if p, err = PrebuiltPackage(src, "cc_1", bin, true); err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
		} else if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if p.Path != first.Path {
			t.Errorf("%s: path %q, want %q", tt.name, p.Path, first.Path)
		}
		files := contents(p)
		for f, want := range tt.want {
			if string(files[f]) != want {
				t.Errorf("%s: %s holds %q, want %q", tt.name, f, files[f], want)
			}
		}
	}
}
