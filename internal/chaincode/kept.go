package chaincode

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// keptHeader starts a kept package file: the header, the key, the path.
const keptHeader = "fabrun legacy chaincode package v1"

// PrebuiltPackage is the legacy code package of the Go source at dir with
// the executable at binary in it (PackageGo, then AddPrebuilt; the label
// names only the lifecycle package, not kept). It is kept
// beside the executable (<binary>.package), under a key of the source tree
// and the executable, so the peers of one deploy get it packaged once:
// every install packaged the vendored source again, about 3 CPU-seconds a
// peer, four peers at once on the controller. With keep false (check mode)
// a kept package is read but none is written. A package that cannot be kept
// (the directory is read-only) is still returned.
func PrebuiltPackage(dir, label, binary string, keep bool) (*Package, error) {
	// The key holds the executable's content, so a kept package was made
	// from this very executable, which AddPrebuilt checked then.
	key, err := packageKey(dir, binary)
	if err != nil {
		return nil, err
	}
	file := binary + ".package"
	// Installs on several peers run at once: the first packages, the others
	// wait here and read what it kept. (Check mode makes no lock file: a
	// kept package is renamed into place whole, so reading needs none.)
	flags := os.O_RDWR
	if keep {
		flags |= os.O_CREATE
	}
	if lock, err := os.OpenFile(file+".lock", flags, 0o644); err == nil {
		defer lock.Close()
		if syscall.Flock(int(lock.Fd()), syscall.LOCK_EX) == nil {
			defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
		}
	}
	if p, ok := readKept(file, key); ok {
		return p, nil
	}
	p, err := PackageGo(dir, label)
	if err != nil {
		return nil, err
	}
	if err := p.AddPrebuilt(binary); err != nil {
		return nil, err
	}
	if keep {
		writeKept(file, key, p)
	}
	return p, nil
}

// packageKey digests what the package holds: every file under dir by path,
// type, size and modification time (as the build's own record does), and
// the executable by content.
func packageKey(dir, binary string) (string, error) {
	abs, err := checkGoSource(dir)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	err = filepath.WalkDir(abs, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(abs, path)
		fmt.Fprintf(h, "%q %v %d %d\n", rel, info.Mode().Type(), info.Size(), info.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("path: %v", err)
	}
	bin, err := os.Open(binary)
	if err != nil {
		return "", fmt.Errorf("binary: %v", err)
	}
	defer bin.Close()
	if _, err := io.Copy(h, bin); err != nil {
		return "", fmt.Errorf("binary: %v", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// readKept returns the package kept in file when it was kept under key
// (writeKept renames a whole file into place, so a matching key means a
// whole package).
func readKept(file, key string) (*Package, bool) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, false
	}
	parts := bytes.SplitN(b, []byte("\n"), 4)
	if len(parts) != 4 || string(parts[0]) != keptHeader || string(parts[1]) != key || len(parts[2]) == 0 {
		return nil, false
	}
	return &Package{Code: parts[3], Path: string(parts[2])}, true
}

// writeKept keeps p in file under key, whole or not at all (a rename).
func writeKept(file, key string, p *Package) {
	tmp, err := os.CreateTemp(filepath.Dir(file), filepath.Base(file)+".*")
	if err != nil {
		return
	}
	defer os.Remove(tmp.Name())
	_, err = fmt.Fprintf(tmp, "%s\n%s\n%s\n", keptHeader, key, p.Path)
	if err == nil {
		_, err = tmp.Write(p.Code)
	}
	if cerr := tmp.Close(); err == nil && cerr == nil {
		os.Rename(tmp.Name(), file)
	}
}
