// Package hoststate is the fabric_host_state module: it records, on a host,
// what a role's full run left there (every managed file's checksum, mode and
// owner, the managed directories, the service's process) under a digest of
// the desired inputs the controller computed, and later tells in one call
// whether the host is still exactly so. A role whose host is in sync is
// skipped as a whole: a re-run with nothing to change costs one module
// process per host instead of dozens.
package hoststate

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"

	"github.com/fabrun/fabrun/internal/module"
)

// States the module accepts.
const (
	StateChecked  = "checked"
	StateRecorded = "recorded"
)

// maxReasons bounds the differences reported: the first few say enough.
const maxReasons = 10

// Args are the module's options.
type Args struct {
	State   string   `json:"state"`
	Path    string   `json:"path"`
	Digest  string   `json:"digest"`
	Trees   []string `json:"trees"`
	Dirs    []string `json:"dirs"`
	Service *Service `json:"service"`
}

// Spec declares the module's options.
func Spec() module.Spec {
	return module.Spec{
		Name: "fabric_host_state",
		Options: map[string]module.Option{
			"state":   {Type: module.Str, Default: StateChecked, Choices: []any{StateChecked, StateRecorded}},
			"path":    {Type: module.Path, Required: true},
			"digest":  {Type: module.Str, Required: true},
			"trees":   {Type: module.List, Elements: module.Path, Default: []any{}},
			"dirs":    {Type: module.List, Elements: module.Path, Default: []any{}},
			"service": {Type: module.Dict},
		},
		SupportsCheckMode: true,
	}
}

var states = module.States[Args]{
	StateChecked:  checked,
	StateRecorded: recorded,
}

// Run is the module's body.
func Run(ctx *module.Context) (module.Result, error) {
	var a Args
	if err := ctx.Decode(&a); err != nil {
		return module.Result{}, err
	}
	if a.Digest == "" {
		return module.Result{}, errors.New("digest must not be empty")
	}
	if a.Service != nil {
		if err := a.Service.validate(); err != nil {
			return module.Result{}, err
		}
	}
	return states.Run(ctx, a.State, a)
}

// Record is what the stamp file holds.
type Record struct {
	Digest  string           `json:"digest"`
	Entries map[string]Entry `json:"entries"`
	Process *Process         `json:"process,omitempty"`
}

// Entry is one managed file or directory as it was.
type Entry struct {
	Kind    string `json:"kind"` // file, dir, link, missing
	Mode    uint32 `json:"mode"`
	UID     uint32 `json:"uid"`
	GID     uint32 `json:"gid"`
	Size    int64  `json:"size,omitempty"`
	MtimeNs int64  `json:"mtime_ns,omitempty"`
	SHA256  string `json:"sha256,omitempty"`
	Target  string `json:"target,omitempty"`
}

// checked reports whether the host is as the last recorded full run left
// it, under the same desired inputs. It never changes anything.
func checked(_ *module.Context, a Args) (module.Result, error) {
	d, err := Compare(a)
	if err != nil {
		return module.Result{}, err
	}
	msg := "in sync with the last full run"
	reasons := d.Reasons
	if reasons == nil {
		reasons = []string{} // a list, never null, for the playbook
	}
	if len(reasons) > 0 {
		msg = reasons[0]
	}
	// The digest comes back so the caller keeps it for `recorded` without
	// computing it again (templates, a controller listing).
	return module.Result{Msg: msg, Data: map[string]any{"in_sync": len(reasons) == 0, "only_stopped": d.OnlyStopped,
		"reasons": reasons, "digest": a.Digest}}, nil
}

// recorded writes the stamp. It is bookkeeping, not managed state, so it
// reports no change (a run that changed nothing stays changed=0); in check
// mode it writes nothing.
func recorded(ctx *module.Context, a Args) (module.Result, error) {
	if ctx.CheckMode() {
		return module.Result{Msg: "check mode: nothing recorded"}, nil
	}
	rec, err := Snapshot(a)
	if err != nil {
		return module.Result{}, err
	}
	if err := writeRecord(a.Path, rec); err != nil {
		return module.Result{}, err
	}
	return module.Result{Msg: fmt.Sprintf("recorded %d entries", len(rec.Entries))}, nil
}

// Snapshot takes the full record of the host now (every file's checksum).
func Snapshot(a Args) (Record, error) {
	rec := Record{Digest: a.Digest, Entries: map[string]Entry{}}
	if err := walk(a, func(p string, e Entry) error {
		if e.Kind == "file" {
			sum, err := fileSHA256(p)
			if err != nil {
				return err
			}
			e.SHA256 = sum
		}
		rec.Entries[p] = e
		return nil
	}); err != nil {
		return rec, err
	}
	if a.Service != nil {
		p, err := a.Service.process()
		if err != nil {
			return rec, err
		}
		if p == nil {
			return rec, fmt.Errorf("service %s is not running: nothing to record", a.Service.Name)
		}
		rec.Process = p
	}
	return rec, nil
}

// Drift is how a host differs from its record.
type Drift struct {
	Reasons []string // none: in sync
	// OnlyStopped: everything is as the full run left it but the service,
	// which does not run. Starting it needs none of the role's other tasks.
	OnlyStopped bool
}

// Compare tells how the host differs from its record. Contents are read
// only for files whose size or mtime changed.
func Compare(a Args) (Drift, error) {
	reasons, stopped, err := compare(a)
	return Drift{Reasons: reasons, OnlyStopped: stopped && len(reasons) == 1}, err
}

// compare lists the differences, and whether the service is stopped.
func compare(a Args) ([]string, bool, error) {
	var reasons []string
	stopped := false
	add := func(format string, v ...any) {
		if len(reasons) < maxReasons {
			reasons = append(reasons, fmt.Sprintf(format, v...))
		}
	}
	rec, err := readRecord(a.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return []string{"no record of a full run (" + a.Path + ")"}, false, nil
	}
	if err != nil {
		add("unreadable record %s: %v", a.Path, err)
		return reasons, false, nil
	}
	if rec.Digest != a.Digest {
		return []string{"the desired state changed (inventory, controller files or roles)"}, false, nil
	}
	seen := map[string]bool{}
	err = walk(a, func(p string, now Entry) error {
		seen[p] = true
		was, ok := rec.Entries[p]
		switch {
		case !ok:
			add("%s: new", p)
		case now.Kind != was.Kind:
			add("%s: %s, was %s", p, now.Kind, was.Kind)
		case now.Mode != was.Mode || now.UID != was.UID || now.GID != was.GID:
			add("%s: mode or owner changed", p)
		case now.Kind == "link" && now.Target != was.Target:
			add("%s: link target changed", p)
		case now.Kind == "file" && now.Size != was.Size:
			add("%s: content changed", p)
		case now.Kind == "file" && now.MtimeNs != was.MtimeNs:
			sum, err := fileSHA256(p)
			if err != nil {
				return err
			}
			if sum != was.SHA256 {
				add("%s: content changed", p)
			}
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	var gone []string
	for p := range rec.Entries {
		if !seen[p] {
			gone = append(gone, p)
		}
	}
	sort.Strings(gone)
	for _, p := range gone {
		add("%s: missing", p)
	}
	if a.Service != nil {
		p, err := a.Service.process()
		if err != nil {
			return nil, false, err
		}
		switch {
		case p == nil:
			stopped = true
			add("service %s is not running", a.Service.Name)
		case rec.Process == nil || *p != *rec.Process:
			add("service %s was restarted since the last full run", a.Service.Name)
		}
	}
	return reasons, stopped, nil
}

// walk calls f for every entry under the trees (recursively) and for each
// of the dirs itself, in a stable order. A missing path is an entry of kind
// "missing", so a deleted tree differs from its record.
func walk(a Args, f func(string, Entry) error) error {
	for _, d := range a.Dirs {
		e, err := entryOf(d)
		if err != nil {
			return err
		}
		if err := f(d, e); err != nil {
			return err
		}
	}
	for _, root := range a.Trees {
		err := filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
			if errors.Is(err, fs.ErrNotExist) && p == root {
				return f(p, Entry{Kind: "missing"})
			}
			if err != nil {
				return err
			}
			e, err := entryOf(p)
			if err != nil {
				return err
			}
			return f(p, e)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func entryOf(p string) (Entry, error) {
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return Entry{Kind: "missing"}, nil
	}
	if err != nil {
		return Entry{}, err
	}
	e := Entry{Mode: uint32(fi.Mode().Perm() | fi.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky))}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		e.UID, e.GID = st.Uid, st.Gid
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		e.Kind = "link"
		if e.Target, err = os.Readlink(p); err != nil {
			return e, err
		}
	case fi.IsDir():
		e.Kind = "dir"
	case fi.Mode().IsRegular():
		e.Kind, e.Size, e.MtimeNs = "file", fi.Size(), fi.ModTime().UnixNano()
	default:
		e.Kind = "other"
	}
	return e, nil
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func readRecord(p string) (Record, error) {
	var rec Record
	b, err := os.ReadFile(p)
	if err != nil {
		return rec, err
	}
	err = json.Unmarshal(b, &rec)
	return rec, err
}

// writeRecord replaces the stamp atomically (0600: it lists the key files'
// checksums, nothing secret, but it is nobody else's business). Its
// directory and file get the owner of the directory above (fabrun_home/run,
// the service user's under systemd), as the service role's recursive chown
// of fabrun_home would set them: a later full run then changes nothing.
func writeRecord(p string, rec Record) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".host-state-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if fi, err := os.Stat(filepath.Dir(dir)); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			for _, q := range []string{dir, tmp.Name()} {
				if err := os.Lchown(q, int(st.Uid), int(st.Gid)); err != nil && !errors.Is(err, fs.ErrPermission) {
					return err
				}
			}
		}
	}
	return os.Rename(tmp.Name(), p)
}
