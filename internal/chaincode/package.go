package chaincode

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	pb "github.com/hyperledger/fabric-protos-go/peer"
	"github.com/hyperledger/fabric-sdk-go/pkg/fab/ccpackager/lifecycle"
)

// Package is Go chaincode packaged the way the peer CLI packages it.
type Package struct {
	// Lifecycle is the v2 lifecycle package (`peer lifecycle chaincode
	// package`): a tar.gz of metadata.json and code.tar.gz.
	Lifecycle []byte
	// Code is code.tar.gz: what `peer chaincode install -p` puts in the
	// legacy deployment spec. For a Go module: src/go.mod, src/*.go,
	// src/vendor/... relative to the module root.
	Code []byte
	// Path is the normalised chaincode path (the Go import path), which the
	// peer hands to the builder in metadata.json.
	Path string
	// Label is the package label (lifecycle packages only).
	Label string
}

// The SDK's Go platform changes the working directory while packaging.
var packMu sync.Mutex

// PackageGo packages Go chaincode from the source directory dir with
// fabric-sdk-go's port of Fabric's Go platform (the code `peer` uses): the
// module root with every file (vendor/ included) under src/, or a GOPATH
// package with its dependencies. It needs the go tool on PATH.
func PackageGo(dir, label string) (*Package, error) {
	abs, err := checkGoSource(dir)
	if err != nil {
		return nil, err
	}
	if _, err := exec.LookPath("go"); err != nil {
		return nil, fmt.Errorf("packaging Go chaincode needs the go tool on PATH where the module runs: %v", err)
	}
	packMu.Lock()
	defer packMu.Unlock()
	b, err := lifecycle.NewCCPackage(&lifecycle.Descriptor{Path: abs, Type: pb.ChaincodeSpec_GOLANG, Label: label})
	if err != nil {
		return nil, fmt.Errorf("packaging chaincode at %s failed: %v", abs, err)
	}
	p := &Package{Lifecycle: b, Label: label}
	files, err := untarGz(b)
	if err != nil {
		return nil, fmt.Errorf("reading back the package: %v", err)
	}
	p.Code = files["code.tar.gz"]
	var md struct {
		Path string `json:"path"`
	}
	if err := json.Unmarshal(files["metadata.json"], &md); err != nil || p.Code == nil {
		return nil, fmt.Errorf("the SDK produced a malformed package")
	}
	p.Path = md.Path
	return p, nil
}

// checkGoSource returns the absolute path of dir when it is a directory
// holding Go files: what PackageGo needs, checked without packaging.
func checkGoSource(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("path: %v", err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("path: %v", err)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("path %s is not a directory", abs)
	}
	if goFiles, _ := filepath.Glob(filepath.Join(abs, "*.go")); len(goFiles) == 0 {
		return "", fmt.Errorf("path %s holds no Go files", abs)
	}
	return abs, nil
}

func untarGz(b []byte) (map[string][]byte, error) {
	gz, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	out := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		out[h.Name] = data
	}
}

func lifecycleID(label string, pkg []byte) string {
	return lifecycle.ComputePackageID(label, pkg)
}

// PrebuiltName is where a prebuilt chaincode executable travels in a legacy
// code package. Fabric accepts only regular files under src/ (or META-INF/)
// without execute bits; the directory starts with a dot so the go tool never
// sees it. The peer's external builder (roles/peer/files/builder/bin/build)
// installs this file as the chaincode instead of compiling the source.
const PrebuiltName = "src/.fabrun/chaincode"

// PrebuiltSumName holds the executable's SHA-256 (hex and a newline): the
// builder installs the executable only when it matches, so a damaged or
// hand-edited package fails the install instead of a later launch.
const PrebuiltSumName = PrebuiltName + ".sha256"

// AddPrebuilt puts the executable at path into the code package (Code) as
// PrebuiltName, with its SHA-256 as PrebuiltSumName, so peers run it without
// a Go toolchain. The source stays in
// the package: the package is still the chaincode's, and a builder without
// the prebuilt support compiles it as before.
func (p *Package) AddPrebuilt(path string) error {
	if err := checkPrebuilt(path); err != nil {
		return err
	}
	bin, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("binary: %v", err)
	}
	gz, err := gzip.NewReader(bytes.NewReader(p.Code))
	if err != nil {
		return fmt.Errorf("reading the code package: %v", err)
	}
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	tw := tar.NewWriter(zw)
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("reading the code package: %v", err)
		}
		if h.Name == PrebuiltName || h.Name == PrebuiltSumName {
			return fmt.Errorf("the chaincode source already holds %s", h.Name)
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return err
		}
	}
	sum := sha256.Sum256(bin)
	for _, f := range []struct {
		name string
		data []byte
	}{
		{PrebuiltName, bin},
		{PrebuiltSumName, []byte(hex.EncodeToString(sum[:]) + "\n")},
	} {
		h := &tar.Header{Name: f.name, Mode: 0o100644, Size: int64(len(f.data)), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := tw.Write(f.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	p.Code = out.Bytes()
	return nil
}

// checkPrebuilt fails unless path is a readable ELF executable: what
// AddPrebuilt needs, checked from the first bytes only.
func checkPrebuilt(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("binary: %v", err)
	}
	defer f.Close()
	magic := make([]byte, 4)
	if _, err := io.ReadFull(f, magic); err != nil || !bytes.Equal(magic, []byte("\x7fELF")) {
		return fmt.Errorf("binary %s is not an ELF executable (build it with GOOS=linux for the peers)", path)
	}
	return nil
}
