// Package install is the fabric_install module: one controller file (a
// Fabric binary, a genesis block, a ZooKeeper or Kafka tarball) installed on
// a node by checksum, and a tarball unpacked into its directory, in one
// module process. Its action plugin (plugins/action/fabric_install.py)
// gives the controller file's checksum and sends the file only when the
// host's differs. ansible.builtin.copy ran a stat and a copy module (Python,
// about half a second each here) and the unpack a command module.
package install

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/fabrun/fabrun/internal/module"
)

// stampName, in an unpack directory, holds the checksum of the tarball
// unpacked there: a tarball replaced by a run interrupted before its unpack
// is unpacked by the next run.
const stampName = ".fabrun-unpacked"

// Args are the module's options.
type Args struct {
	Dest            string `json:"dest"`
	Checksum        string `json:"checksum"`
	Mode            string `json:"mode"`
	Src             string `json:"src"`
	UnpackTo        string `json:"unpack_to"`
	StripComponents int    `json:"strip_components"`
}

// Spec declares the module's options. src is the action plugin's: the
// controller file, sent to the host's temporary directory.
func Spec() module.Spec {
	return module.Spec{
		Name: "fabric_install",
		Options: map[string]module.Option{
			"dest":             {Type: module.Path, Required: true},
			"checksum":         {Type: module.Str, Required: true},
			"mode":             {Type: module.Str, Default: "0644"},
			"src":              {Type: module.Path},
			"unpack_to":        {Type: module.Path},
			"strip_components": {Type: module.Int, Default: 1},
		},
		SupportsCheckMode: true,
	}
}

// Run is the module's body.
func Run(ctx *module.Context) (module.Result, error) {
	var a Args
	if err := ctx.Decode(&a); err != nil {
		return module.Result{}, err
	}
	if len(a.Checksum) != 64 || strings.Trim(strings.ToLower(a.Checksum), "0123456789abcdef") != "" {
		return module.Result{}, fmt.Errorf("checksum must be a SHA-256 in hex (is %q)", a.Checksum)
	}
	a.Checksum = strings.ToLower(a.Checksum)
	mode, err := strconv.ParseUint(a.Mode, 8, 32)
	if err != nil || mode > 0o7777 {
		return module.Result{}, fmt.Errorf("mode must be octal, e.g. 0755 (is %q)", a.Mode)
	}
	if a.StripComponents < 0 {
		return module.Result{}, fmt.Errorf("strip_components must not be negative (is %d)", a.StripComponents)
	}

	have, err := sum(a.Dest)
	if err != nil {
		return module.Result{}, err
	}
	copyNeeded := have != a.Checksum
	unpackNeeded := false
	if a.UnpackTo != "" {
		if unpackNeeded, err = needsUnpack(a, copyNeeded, ctx.CheckMode()); err != nil {
			return module.Result{}, err
		}
	}
	modeWrong := false
	if fi, err := os.Stat(a.Dest); err == nil && !copyNeeded {
		modeWrong = uint64(fi.Mode().Perm()) != mode&0o777
	}

	res := module.Result{Data: map[string]any{"checksum": a.Checksum, "copied": copyNeeded, "unpacked": unpackNeeded}}
	res.Changed = copyNeeded || unpackNeeded || modeWrong
	if res.Changed && ctx.DiffMode() {
		res.Diff = []module.Diff{diff(a, have, copyNeeded, unpackNeeded, modeWrong, mode)}
	}
	if ctx.CheckMode() || !res.Changed {
		return res, nil
	}
	if copyNeeded && a.Src == "" {
		// The action plugin sends the file and calls again.
		return module.Result{Data: map[string]any{"needs_src": true}}, nil
	}
	if copyNeeded {
		if err := put(a.Src, a.Dest, a.Checksum, os.FileMode(mode)); err != nil {
			return module.Result{}, err
		}
	} else if modeWrong {
		if err := os.Chmod(a.Dest, os.FileMode(mode)); err != nil {
			return module.Result{}, err
		}
	}
	if unpackNeeded {
		if err := unpack(a); err != nil {
			return module.Result{}, err
		}
	}
	res.Msg = message(a, copyNeeded, modeWrong, unpackNeeded)
	return res, nil
}

func message(a Args, copied, moded, unpacked bool) string {
	var did []string
	switch {
	case copied:
		did = append(did, "installed "+a.Dest)
	case moded:
		did = append(did, "set the mode of "+a.Dest)
	}
	if unpacked {
		did = append(did, "unpacked it into "+a.UnpackTo)
	}
	return strings.Join(did, ", ")
}

// needsUnpack tells whether the tarball must be unpacked (again): its
// directory's stamp names another checksum, or the directory is missing. A
// directory unpacked before stamps existed (a complete unpack, renamed into
// place) counts as this tarball's when the tarball itself is unchanged; its
// stamp is written then.
func needsUnpack(a Args, copyNeeded, check bool) (bool, error) {
	stamp, err := os.ReadFile(filepath.Join(a.UnpackTo, stampName))
	switch {
	case err == nil:
		return copyNeeded || strings.TrimSpace(string(stamp)) != a.Checksum, nil
	case !errors.Is(err, fs.ErrNotExist):
		return false, err
	}
	if _, err := os.Stat(a.UnpackTo); errors.Is(err, fs.ErrNotExist) || copyNeeded {
		return true, nil
	} else if err != nil {
		return false, err
	}
	if check {
		return false, nil
	}
	// Not a change: the directory is what it was.
	return false, os.WriteFile(filepath.Join(a.UnpackTo, stampName), []byte(a.Checksum+"\n"), 0o644)
}

func diff(a Args, have string, copied, unpacked, moded bool, mode uint64) module.Diff {
	before, after := "", ""
	if copied {
		before += fmt.Sprintf("%s: sha256 %s\n", a.Dest, orNone(have))
		after += fmt.Sprintf("%s: sha256 %s\n", a.Dest, a.Checksum)
	}
	if moded {
		before += fmt.Sprintf("%s: another mode\n", a.Dest)
		after += fmt.Sprintf("%s: mode %04o\n", a.Dest, mode)
	}
	if unpacked {
		before += fmt.Sprintf("%s: not this tarball's\n", a.UnpackTo)
		after += fmt.Sprintf("%s: unpacked from %s\n", a.UnpackTo, filepath.Base(a.Dest))
	}
	return module.Diff{Before: before, After: after}
}

func orNone(s string) string {
	if s == "" {
		return "(absent)"
	}
	return s
}

// sum is the SHA-256 of path, "" when it does not exist.
func sum(path string) (string, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %v", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// put installs src as dest, atomically, after checking that src is the
// file the controller sent.
func put(src, dest, checksum string, mode os.FileMode) error {
	if got, err := sum(src); err != nil {
		return err
	} else if got != checksum {
		return fmt.Errorf("%s arrived as sha256 %s, not the controller's %s", dest, orNone(got), checksum)
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".fabric_install-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = io.Copy(tmp, in)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), mode)
	}
	if err != nil {
		return fmt.Errorf("%s: %v", dest, err)
	}
	return os.Rename(tmp.Name(), dest)
}

// unpack unpacks the tarball beside its directory and renames it into
// place: a run interrupted in the middle of tar leaves no half directory a
// later run would take for whole (a broker started from half its jars logs
// nothing and never starts).
func unpack(a Args) error {
	partial := a.UnpackTo + ".partial"
	if err := os.RemoveAll(partial); err != nil {
		return err
	}
	if err := os.MkdirAll(partial, 0o755); err != nil {
		return err
	}
	out, err := exec.Command("tar", "-xzf", a.Dest, "-C", partial,
		"--strip-components="+strconv.Itoa(a.StripComponents), "--no-same-owner").CombinedOutput()
	if err != nil {
		os.RemoveAll(partial)
		return fmt.Errorf("unpacking %s: %v: %s", a.Dest, err, strings.TrimSpace(string(out)))
	}
	if err := os.WriteFile(filepath.Join(partial, stampName), []byte(a.Checksum+"\n"), 0o644); err != nil {
		return err
	}
	if err := os.RemoveAll(a.UnpackTo); err != nil {
		return err
	}
	return os.Rename(partial, a.UnpackTo)
}
