package cryptogen

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"syscall"
)

// stagingPrefix names the temporary directory new material is written to
// inside the output directory before it is renamed into place.
const stagingPrefix = ".fabric_crypto-"

// afterRename, when set (by tests), runs after the i-th unit is renamed into
// place; an error it returns aborts Apply as a real failure would.
var afterRename func(i int) error

// CheckWritable fails when outputDir could not be created or written to,
// without changing anything: its nearest existing ancestor must be a
// writable directory.
func CheckWritable(outputDir string) error {
	p := outputDir
	for {
		st, err := os.Stat(p)
		if err == nil {
			if !st.IsDir() {
				return fmt.Errorf("output_dir %s: %s is not a directory", outputDir, p)
			}
			if err := syscall.Access(p, 0x2|0x1); err != nil { // W_OK|X_OK
				return fmt.Errorf("output_dir %s is not writable: %s: %v", outputDir, p, err)
			}
			return nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("output_dir %s: %v", outputDir, err)
		}
		parent := filepath.Dir(p)
		if parent == p {
			return fmt.Errorf("output_dir %s: no existing ancestor", outputDir)
		}
		p = parent
	}
}

// Apply writes the plan's units under the output directory. Each unit is
// first written completely into a staging directory inside the output
// directory and then renamed into place. On any failure the units already
// renamed, and the directories Apply created, are removed again: existing
// material is never touched and nothing is left half-written.
func (p *Plan) Apply() (err error) {
	if len(p.Units) == 0 {
		return nil
	}
	var undo []func()
	defer func() {
		if err != nil {
			for i := len(undo) - 1; i >= 0; i-- {
				undo[i]()
			}
		}
	}()
	mkdirs := func(dir string) error {
		created, err := mkdirAll(dir)
		for _, d := range created {
			d := d
			undo = append(undo, func() { os.Remove(d) })
		}
		return err
	}
	if err := mkdirs(p.OutputDir); err != nil {
		return fmt.Errorf("output_dir %s cannot be created: %v", p.OutputDir, err)
	}
	staging, err := os.MkdirTemp(p.OutputDir, stagingPrefix)
	if err != nil {
		return fmt.Errorf("output_dir %s is not writable: %v", p.OutputDir, err)
	}
	defer os.RemoveAll(staging)

	for i, u := range p.Units {
		if err := writeUnit(filepath.Join(staging, strconv.Itoa(i)), u); err != nil {
			return fmt.Errorf("writing %s: %v", u.Dir, err)
		}
	}
	for i, u := range p.Units {
		dest := filepath.Join(p.OutputDir, filepath.FromSlash(u.Dir))
		if err := mkdirs(filepath.Dir(dest)); err != nil {
			return fmt.Errorf("creating %s: %v", filepath.Dir(dest), err)
		}
		if _, err := os.Lstat(dest); err == nil {
			return fmt.Errorf("%s appeared while fabric_crypto was running; not replacing it", dest)
		}
		if err := os.Rename(filepath.Join(staging, strconv.Itoa(i)), dest); err != nil {
			return fmt.Errorf("moving %s into place: %v", u.Dir, err)
		}
		undo = append(undo, func() { os.RemoveAll(dest) })
		if afterRename != nil {
			if err := afterRename(i); err != nil {
				return err
			}
		}
	}
	return nil
}

// mkdirAll is os.MkdirAll that reports the directories it created, top down.
func mkdirAll(dir string) ([]string, error) {
	var missing []string
	for p := dir; ; p = filepath.Dir(p) {
		if _, err := os.Stat(p); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		missing = append(missing, p)
		if filepath.Dir(p) == p {
			break
		}
	}
	var created []string
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return created, err
		} else if err == nil {
			created = append(created, missing[i])
		}
	}
	return created, nil
}

func writeUnit(root string, u *Unit) error {
	if err := os.Mkdir(root, 0o755); err != nil {
		return err
	}
	for _, d := range u.Dirs {
		mode := fs.FileMode(0o755)
		if path.Base(d) == "keystore" {
			mode = 0o700
		}
		if err := os.MkdirAll(filepath.Join(root, filepath.FromSlash(d)), mode); err != nil {
			return err
		}
	}
	for _, f := range u.Files {
		p := filepath.Join(root, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := writeFile(p, f.Data, f.Mode); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(p string, data []byte, mode fs.FileMode) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
