// Package files is the fabric_files module: a node's directories and files
// (its MSP and TLS material, its scripts, its config files) made as given in
// one module call.
// Ansible's copy of a controller directory runs two module processes per
// file and file runs one per directory; on a 2-core controller those
// processes, not the copying, were a fifth of a deploy from nothing.
package files

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/fabrun/fabrun/internal/module"
)

// Default modes, as Ansible's file and copy modules leave them.
const (
	DefaultDirMode  = "0755"
	DefaultFileMode = "0644"
)

// Args are the module's options.
type Args struct {
	Directories []Entry `json:"directories"`
	Files       []Entry `json:"files"`
	Configs     []Entry `json:"configs"`
	Owner       string  `json:"owner"`
	Group       string  `json:"group"`
}

// Entry is one directory or file as it should be. Content is for files only;
// config marks a file of configs, whose content the diff may show.
type Entry struct {
	Path    string  `json:"path"`
	Mode    string  `json:"mode"`
	Content *string `json:"content"`
	config  bool
}

// fileEntries are the files, then the configs.
func (a Args) fileEntries() []Entry {
	return append(append([]Entry{}, a.Files...), a.Configs...)
}

// Spec declares the module's options. A file's content is secret (private
// keys pass here): it is masked wherever the result shows its arguments. A
// config's is not: its diff shows the content, as template's does.
func Spec() module.Spec {
	return module.Spec{
		Name: "fabric_files",
		Options: map[string]module.Option{
			"directories": {Type: module.List, Default: []any{}}, // dicts or paths
			"files":       {Type: module.List, Elements: module.Dict, Default: []any{}, SecretKeys: []string{"content"}},
			"configs":     {Type: module.List, Elements: module.Dict, Default: []any{}, QuietKeys: []string{"content"}},
			"owner":       {Type: module.Str},
			"group":       {Type: module.Str},
		},
		RequiredOneOf:     [][]string{{"directories", "files", "configs"}},
		SupportsCheckMode: true,
	}
}

// Run is the module's body.
func Run(ctx *module.Context) (module.Result, error) {
	a, err := decode(ctx.Params)
	if err != nil {
		return module.Result{}, err
	}
	own, err := lookupOwner(a.Owner, a.Group)
	if err != nil {
		return module.Result{}, err
	}
	var changes []Change
	for _, d := range a.Directories {
		c, err := ensureDir(d, own, ctx.CheckMode())
		if err != nil {
			return module.Result{}, err
		}
		changes = append(changes, c...)
	}
	for _, f := range a.fileEntries() {
		c, err := ensureFile(f, own, ctx.CheckMode())
		if err != nil {
			return module.Result{}, err
		}
		changes = append(changes, c...)
	}
	return result(a, changes), nil
}

// decode reads the options strictly: an unknown key in an entry (a typo of
// mode or content) is an error naming it, never silently dropped.
func decode(params map[string]any) (Args, error) {
	a := Args{}
	a.Owner, _ = params["owner"].(string)
	a.Group, _ = params["group"].(string)
	var err error
	if a.Directories, err = entries(params["directories"], "directories", DefaultDirMode, false); err != nil {
		return a, err
	}
	if a.Files, err = entries(params["files"], "files", DefaultFileMode, true); err != nil {
		return a, err
	}
	if a.Configs, err = entries(params["configs"], "configs", DefaultFileMode, true); err != nil {
		return a, err
	}
	for i := range a.Configs {
		a.Configs[i].config = true
	}
	// A directory given twice alike (two settings naming one place) is
	// made once; a path given twice otherwise is an error.
	seen := map[string]Entry{}
	dirs := a.Directories[:0]
	for _, d := range a.Directories {
		if prev, ok := seen[d.Path]; ok {
			if prev.Mode != d.Mode {
				return a, fmt.Errorf("%s is given twice, with modes %s and %s", d.Path, prev.Mode, d.Mode)
			}
			continue
		}
		seen[d.Path] = d
		dirs = append(dirs, d)
	}
	a.Directories = dirs
	for _, f := range a.fileEntries() {
		if _, ok := seen[f.Path]; ok {
			return a, fmt.Errorf("%s is given twice", f.Path)
		}
		seen[f.Path] = f
	}
	return a, nil
}

func entries(v any, option, defaultMode string, isFile bool) ([]Entry, error) {
	list, _ := v.([]any)
	out := make([]Entry, 0, len(list))
	for i, raw := range list {
		where := fmt.Sprintf("%s[%d]", option, i)
		if p, ok := raw.(string); ok && !isFile {
			raw = map[string]any{"path": p} // a directory by its path alone
		}
		b, err := json.Marshal(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", where, err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		var e Entry
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("%s: %v (known keys: path, mode%s)", where, err, map[bool]string{true: ", content"}[isFile])
		}
		if e.Path == "" || !filepath.IsAbs(e.Path) {
			return nil, fmt.Errorf("%s.path must be an absolute path (is %q)", where, e.Path)
		}
		e.Path = filepath.Clean(e.Path)
		if e.Mode == "" {
			e.Mode = defaultMode
		}
		if _, err := parseMode(e.Mode); err != nil {
			return nil, fmt.Errorf("%s.mode (%s): %v", where, e.Path, err)
		}
		switch {
		case isFile && e.Content == nil:
			return nil, fmt.Errorf("%s.content is required (%s)", where, e.Path)
		case !isFile && e.Content != nil:
			return nil, fmt.Errorf("%s.content: a directory has no content (%s)", where, e.Path)
		}
		out = append(out, e)
	}
	if !isFile {
		// Parents before their children.
		sort.SliceStable(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	}
	return out, nil
}

// parseMode reads an octal mode such as "0600" or "750".
func parseMode(s string) (uint32, error) {
	m, err := strconv.ParseUint(s, 8, 32)
	if err != nil || m > 0o7777 {
		return 0, fmt.Errorf("%q is not an octal mode such as 0644", s)
	}
	return uint32(m), nil
}

// owner is the uid and gid to give every path, -1 for "leave as it is".
type owner struct{ uid, gid int }

func lookupOwner(name, group string) (owner, error) {
	o := owner{-1, -1}
	if name != "" {
		u, err := user.Lookup(name)
		if err != nil {
			return o, fmt.Errorf("owner: %v", err)
		}
		o.uid, _ = strconv.Atoi(u.Uid)
	}
	if group != "" {
		g, err := user.LookupGroup(group)
		if err != nil {
			return o, fmt.Errorf("group: %v", err)
		}
		o.gid, _ = strconv.Atoi(g.Gid)
	}
	return o, nil
}

// Change is one difference found (and, outside check mode, made). Content
// is set for a config whose content changes: its diff.
type Change struct {
	Path    string
	Before  string
	After   string
	Content *module.Diff
}

func ensureDir(d Entry, own owner, check bool) ([]Change, error) {
	mode, _ := parseMode(d.Mode)
	fi, err := os.Lstat(d.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		c := []Change{{Path: d.Path, Before: "absent", After: "directory " + d.Mode}}
		if check {
			return c, nil
		}
		made, err := mkdirAll(d.Path)
		if err != nil {
			return nil, err
		}
		if n := len(made); n > 0 {
			made = made[:n-1] // d.Path itself, reported with its mode below
		}
		return append(made, c...), setAttrs(d.Path, mode, own)
	case err != nil:
		return nil, err
	case !fi.IsDir():
		return nil, fmt.Errorf("%s exists and is not a directory", d.Path)
	}
	return fixAttrs(d.Path, fi, mode, own, check)
}

// ensureFile makes one file; a config's change carries its content before
// and after (a file's names sizes only: its content may be a private key).
func ensureFile(f Entry, own owner, check bool) ([]Change, error) {
	mode, _ := parseMode(f.Mode)
	want := []byte(*f.Content)
	fi, err := os.Lstat(f.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		c := []Change{{Path: f.Path, Before: "absent", After: fmt.Sprintf("file %s, %d bytes", f.Mode, len(want))}}
		if f.config {
			c[0].Content = &module.Diff{After: string(want), BeforeHeader: f.Path + " (absent)", AfterHeader: f.Path}
		}
		if check {
			return c, nil
		}
		made, err := mkdirAll(filepath.Dir(f.Path))
		if err != nil {
			return nil, err
		}
		return append(made, c...), write(f.Path, want, mode, own)
	case err != nil:
		return nil, err
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("%s exists and is not a regular file", f.Path)
	}
	have, err := os.ReadFile(f.Path)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(have, want) {
		c := []Change{{Path: f.Path, Before: fmt.Sprintf("content, %d bytes", len(have)), After: fmt.Sprintf("content, %d bytes", len(want))}}
		if f.config {
			c[0].Content = &module.Diff{Before: string(have), After: string(want), BeforeHeader: f.Path, AfterHeader: f.Path}
		}
		if check {
			return c, nil
		}
		return c, write(f.Path, want, mode, own)
	}
	return fixAttrs(f.Path, fi, mode, own, check)
}

// mkdirAll makes dir and its missing parents (0755, as copy and file make
// them) and returns them as changes.
func mkdirAll(dir string) ([]Change, error) {
	var missing []string
	for p := dir; ; p = filepath.Dir(p) {
		if _, err := os.Lstat(p); err == nil || p == filepath.Dir(p) {
			break
		}
		missing = append(missing, p)
	}
	var made []Change
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		// Mkdir honours the umask; the mode is the one asked for.
		if err := os.Chmod(missing[i], 0o755); err != nil {
			return nil, err
		}
		made = append(made, Change{Path: missing[i], Before: "absent", After: "directory 0755"})
	}
	return made, nil
}

// write replaces path atomically: a reader sees the old file or the new one.
func write(path string, content []byte, mode uint32, own owner) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".fabric_files-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(content)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = setAttrs(tmp.Name(), mode, own)
	}
	if err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	return os.Rename(tmp.Name(), path)
}

func setAttrs(path string, mode uint32, own owner) error {
	if err := os.Chmod(path, fs.FileMode(mode&0o777)|specialBits(mode)); err != nil {
		return err
	}
	if own.uid >= 0 || own.gid >= 0 {
		return os.Lchown(path, own.uid, own.gid)
	}
	return nil
}

func specialBits(mode uint32) fs.FileMode {
	var m fs.FileMode
	if mode&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if mode&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if mode&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// fixAttrs sets the mode and owner of an existing path where they differ.
func fixAttrs(path string, fi fs.FileInfo, mode uint32, own owner, check bool) ([]Change, error) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, fmt.Errorf("%s: no file status", path)
	}
	var before, after []string
	if have := st.Mode & 0o7777; have != mode {
		before = append(before, fmt.Sprintf("mode %04o", have))
		after = append(after, fmt.Sprintf("mode %04o", mode))
	}
	if (own.uid >= 0 && int(st.Uid) != own.uid) || (own.gid >= 0 && int(st.Gid) != own.gid) {
		before = append(before, fmt.Sprintf("owner %d:%d", st.Uid, st.Gid))
		after = append(after, fmt.Sprintf("owner %s", ownerString(own, st)))
	}
	if len(before) == 0 {
		return nil, nil
	}
	c := []Change{{Path: path, Before: strings.Join(before, ", "), After: strings.Join(after, ", ")}}
	if check {
		return c, nil
	}
	return c, setAttrs(path, mode, own)
}

func ownerString(own owner, st *syscall.Stat_t) string {
	uid, gid := int(st.Uid), int(st.Gid)
	if own.uid >= 0 {
		uid = own.uid
	}
	if own.gid >= 0 {
		gid = own.gid
	}
	return fmt.Sprintf("%d:%d", uid, gid)
}

func result(a Args, changes []Change) module.Result {
	total := len(a.Directories) + len(a.Files) + len(a.Configs)
	paths := make([]string, 0, len(changes))
	var before, after strings.Builder
	for _, c := range changes {
		paths = append(paths, c.Path)
		fmt.Fprintf(&before, "%s: %s\n", c.Path, c.Before)
		fmt.Fprintf(&after, "%s: %s\n", c.Path, c.After)
	}
	res := module.Result{
		Changed: len(changes) > 0,
		Msg:     fmt.Sprintf("%d directories and files as given, %d changes", total, len(changes)),
		Data:    map[string]any{"changed_paths": paths},
	}
	if len(changes) > 0 {
		res.Diff = []module.Diff{{Before: before.String(), After: after.String(),
			BeforeHeader: "fabric_files (before)", AfterHeader: "fabric_files (after)"}}
		for _, c := range changes {
			if c.Content != nil {
				res.Diff = append(res.Diff, *c.Content)
			}
		}
	}
	return res
}
