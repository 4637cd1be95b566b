package supervisor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fabrun/fabrun/internal/module"
)

// States the module accepts.
const (
	StateStarted   = "started"
	StateRestarted = "restarted"
	StateStopped   = "stopped"
	// StateListed reads supervisord's programs; it starts nothing.
	StateListed = "listed"
	// StateShutdown stops every program and supervisord itself.
	StateShutdown = "shutdown"
)

// Args are the module's options.
type Args struct {
	Socket      string   `json:"socket"`
	Conf        string   `json:"conf"`
	Supervisord string   `json:"supervisord"`
	Chdir       string   `json:"chdir"`
	Names       []string `json:"name"`
	Name        string   `json:"-"` // the one name, for started
	State       string   `json:"state"`
	Restart     bool     `json:"restart"`
	Timeout     int      `json:"timeout"`
}

// Spec declares the module's options.
func Spec() module.Spec {
	return module.Spec{
		Name: "fabric_supervisor",
		Options: map[string]module.Option{
			"socket":      {Type: module.Path, Required: true},
			"conf":        {Type: module.Path},
			"supervisord": {Type: module.Path},
			"chdir":       {Type: module.Path},
			"name":        {Type: module.List, Elements: module.Str, Default: []any{}},
			"state":       {Type: module.Str, Default: StateStarted, Choices: []any{StateStarted, StateRestarted, StateStopped, StateListed, StateShutdown}},
			"restart":     {Type: module.Bool, Default: false},
			"timeout":     {Type: module.Int, Default: 600},
		},
		RequiredIf: []module.RequiredIf{
			{Option: "state", Value: StateStarted, Requires: []string{"conf", "supervisord"}},
		},
		SupportsCheckMode: true,
	}
}

var states = module.States[Args]{
	StateStarted:   started,
	StateRestarted: restarted,
	StateStopped:   stopped,
	StateListed:    listed,
	StateShutdown:  shutdown,
}

// Run is the module's body.
func Run(ctx *module.Context) (module.Result, error) {
	var a Args
	if err := ctx.Decode(&a); err != nil {
		return module.Result{}, err
	}
	if a.Timeout < 1 {
		return module.Result{}, fmt.Errorf("timeout must be at least 1 second (is %d)", a.Timeout)
	}
	if a.State != StateStarted && a.Restart {
		return module.Result{}, fmt.Errorf("restart goes with state=started (state is %s)", a.State)
	}
	switch n := len(a.Names); {
	case a.State == StateStarted && n > 1:
		return module.Result{}, fmt.Errorf("state=started takes one name (got %d)", n)
	case (a.State == StateRestarted || a.State == StateStopped) && n == 0:
		return module.Result{}, fmt.Errorf("state=%s needs name", a.State)
	case (a.State == StateListed || a.State == StateShutdown) && n > 0:
		return module.Result{}, fmt.Errorf("state=%s takes no name", a.State)
	}
	if len(a.Names) == 1 {
		a.Name = a.Names[0]
	}
	return states.Run(ctx, a.State, a)
}

// run is one module call's work: what it did, for the result.
type run struct {
	ctx     context.Context
	check   bool
	c       *Client
	a       Args
	actions []string
	before  map[string]string // each program's state before, for the diff
	pids    map[string]int64  // and its process id then
}

func newRun(mctx *module.Context, a Args) (*run, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(a.Timeout)*time.Second)
	return &run{ctx: ctx, check: mctx.CheckMode(), c: NewClient(a.Socket), a: a,
		before: map[string]string{}, pids: map[string]int64{}}, cancel
}

func (r *run) did(format string, v ...any) { r.actions = append(r.actions, fmt.Sprintf(format, v...)) }

// result reports the actions taken (in check mode: those it would take) and
// each program's state after them.
func (r *run) result(mctx *module.Context) (module.Result, error) {
	res := module.Result{Changed: len(r.actions) > 0, Data: map[string]any{"actions": r.actions}}
	if len(r.actions) == 0 {
		res.Msg = "nothing to do"
	} else {
		res.Msg = strings.Join(r.actions, "; ")
	}
	var before, after strings.Builder
	for _, name := range r.a.Names {
		now, pid := r.before[name], r.pids[name]
		switch {
		case r.check && res.Changed:
			now = "(" + res.Msg + ")"
		case res.Changed:
			if s, err := r.state(name); err == nil {
				now, pid = s, r.pids[name]
			}
		}
		if len(r.a.Names) == 1 && !r.check {
			res.Data["statename"], res.Data["pid"] = now, pid
		}
		fmt.Fprintf(&before, "%s: %s\n", name, r.before[name])
		fmt.Fprintf(&after, "%s: %s\n", name, now)
	}
	if res.Changed && mctx.DiffMode() && len(r.a.Names) > 0 {
		res.Diff = []module.Diff{{Before: before.String(), After: after.String()}}
	}
	return res, nil
}

// state is a program's state name ("undefined": supervisord has no such
// program, "supervisord down": supervisord does not run); its pid goes to
// r.pids.
func (r *run) state(name string) (string, error) {
	info, err := r.c.ProcessInfo(r.ctx, name)
	var down *DownError
	switch {
	case err == nil:
		r.pids[name] = info.PID
		return info.StateName, nil
	case IsFault(err, FaultBadName):
		r.pids[name] = 0
		return "undefined", nil
	case errors.As(err, &down):
		r.pids[name] = 0
		return "supervisord down", nil
	}
	return "", err
}

// states records every program's state before the call.
func (r *run) states() error {
	for _, name := range r.a.Names {
		s, err := r.state(name)
		if err != nil {
			return err
		}
		r.before[name] = s
	}
	return nil
}

// started makes supervisord run; with a name, also that program: its
// definition loaded first when supervisord's differs from the file's (new,
// changed, or written by a run interrupted before it was loaded), then
// started unless it runs, or restarted when it ran and a restart is
// pending (restart).
func started(mctx *module.Context, a Args) (module.Result, error) {
	r, cancel := newRun(mctx, a)
	defer cancel()
	up, err := r.supervisord()
	if err != nil {
		return module.Result{}, err
	}
	if a.Name == "" {
		return r.result(mctx)
	}
	if err := r.states(); err != nil {
		return module.Result{}, err
	}
	if r.check && !up {
		r.did("start %s", a.Name)
		return r.result(mctx)
	}
	if !up {
		return module.Result{}, errors.New("supervisord does not answer after its start")
	}
	loaded, err := r.update()
	if err != nil {
		return module.Result{}, err
	}
	if r.check {
		switch {
		case loaded || r.before[a.Name] != "RUNNING":
			r.did("start %s", a.Name)
		case a.Restart:
			r.did("restart %s", a.Name)
		}
		return r.result(mctx)
	}
	err = r.c.Start(r.ctx, a.Name)
	switch {
	case err == nil:
		r.did("started %s", a.Name)
	case IsFault(err, FaultAlreadyStarted):
		if a.Restart {
			if err := r.restart(a.Name); err != nil {
				return module.Result{}, err
			}
		}
	case IsFault(err, FaultBadName):
		return module.Result{}, fmt.Errorf("supervisord has no program %s: no [program:%s] in its configuration files", a.Name, a.Name)
	default:
		return module.Result{}, fmt.Errorf("%s did not start: %v", a.Name, err)
	}
	return r.result(mctx)
}

// restarted restarts each program supervisord has; an undefined program,
// or a supervisord that does not run, is left as it is.
func restarted(mctx *module.Context, a Args) (module.Result, error) {
	r, cancel := newRun(mctx, a)
	defer cancel()
	if err := r.states(); err != nil {
		return module.Result{}, err
	}
	for _, name := range a.Names {
		switch {
		case r.before[name] == "undefined" || r.before[name] == "supervisord down":
		case r.check:
			r.did("restart %s", name)
		default:
			if err := r.restart(name); err != nil {
				return module.Result{}, err
			}
		}
	}
	return r.result(mctx)
}

// stopped stops each program that runs (or is starting, or retrying), in
// the order given.
func stopped(mctx *module.Context, a Args) (module.Result, error) {
	r, cancel := newRun(mctx, a)
	defer cancel()
	if err := r.states(); err != nil {
		return module.Result{}, err
	}
	for _, name := range a.Names {
		switch r.before[name] {
		case "RUNNING", "STARTING", "BACKOFF":
		default:
			continue
		}
		if !r.check {
			if err := r.c.Stop(r.ctx, name); err != nil {
				return module.Result{}, fmt.Errorf("%s did not stop: %v", name, err)
			}
		}
		r.did("stopped %s", name)
	}
	return r.result(mctx)
}

// listed returns the programs supervisord has loaded, with their
// priorities (none when it does not run); it changes nothing.
func listed(mctx *module.Context, a Args) (module.Result, error) {
	r, cancel := newRun(mctx, a)
	defer cancel()
	programs, err := r.c.Programs(r.ctx)
	if err != nil && !isDown(err) {
		return module.Result{}, err
	}
	if programs == nil {
		programs = []Program{}
	}
	res, _ := r.result(mctx)
	res.Data["programs"] = programs
	res.Data["running"] = err == nil
	return res, nil
}

// shutdown has supervisord stop every program (highest priority first) and
// exit, and returns once its process is gone.
func shutdown(mctx *module.Context, a Args) (module.Result, error) {
	r, cancel := newRun(mctx, a)
	defer cancel()
	v, err := r.c.Call(r.ctx, "supervisor.getPID")
	if isDown(err) {
		return r.result(mctx)
	}
	if err != nil {
		return module.Result{}, err
	}
	pid, _ := strconv.Atoi(v.Text())
	r.did("shut down supervisord %d", pid)
	if r.check {
		return r.result(mctx)
	}
	if _, err := r.c.Call(r.ctx, "supervisor.shutdown"); err != nil && !isDown(err) {
		return module.Result{}, fmt.Errorf("supervisord %d did not shut down: %v", pid, err)
	}
	for {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); errors.Is(err, fs.ErrNotExist) {
			return r.result(mctx)
		}
		select {
		case <-r.ctx.Done():
			return module.Result{}, fmt.Errorf("supervisord %d still runs %d s after its shutdown", pid, a.Timeout)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// supervisord makes sure supervisord answers, starting it when it does not;
// it reports whether it answers (in check mode it is not started).
func (r *run) supervisord() (bool, error) {
	if _, err := r.c.Call(r.ctx, "supervisor.getState"); err == nil {
		return true, nil
	} else if !isDown(err) {
		return false, err
	}
	r.did("started supervisord")
	if r.check {
		return false, nil
	}
	// A supervisord started meanwhile makes this one exit 2, "Another
	// program is already listening", before it touches anything.
	cmd := exec.CommandContext(r.ctx, r.a.Supervisord, "-c", r.a.Conf)
	cmd.Dir = r.a.Chdir
	// supervisord binds its socket, then daemonizes: the parent's exit
	// means the socket answers. The daemon lets go of the pipes; WaitDelay
	// bounds the wait should one not.
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil && !strings.Contains(string(out), "already listening") {
		return false, fmt.Errorf("supervisord did not start (%s -c %s): %v\n%s", r.a.Supervisord, r.a.Conf, err, strings.TrimSpace(string(out)))
	}
	if err != nil {
		r.actions = r.actions[:len(r.actions)-1] // another run started it
	}
	for {
		_, err := r.c.Call(r.ctx, "supervisor.getState")
		if err == nil {
			return true, nil
		}
		if !isDown(err) {
			return false, err
		}
		select {
		case <-r.ctx.Done():
			return false, fmt.Errorf("supervisord started but does not answer on %s: %v", r.a.Socket, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// update is `supervisorctl update <name>`: supervisord rereads its
// configuration files (which changes nothing that runs), then the program
// is added when new, or stopped, removed and added again when changed. It
// reports whether the definition was (in check mode: would be) loaded.
func (r *run) update() (bool, error) {
	added, changed, _, err := r.c.Reread(r.ctx)
	if err != nil {
		return false, fmt.Errorf("supervisord did not reread its configuration: %v", err)
	}
	name := r.a.Name
	isChanged := slices.Contains(changed, name)
	if !isChanged && !slices.Contains(added, name) {
		return false, nil
	}
	if r.check {
		r.did("load the definition of %s", name)
		return true, nil
	}
	if isChanged {
		if _, err := r.c.Call(r.ctx, "supervisor.stopProcessGroup", name, true); err != nil {
			return false, fmt.Errorf("stopping %s to load its new definition: %v", name, err)
		}
		if _, err := r.c.Call(r.ctx, "supervisor.removeProcessGroup", name); err != nil {
			return false, fmt.Errorf("unloading the old definition of %s: %v", name, err)
		}
	}
	if _, err := r.c.Call(r.ctx, "supervisor.addProcessGroup", name); err != nil && !IsFault(err, FaultAlreadyAdded) {
		return false, fmt.Errorf("loading the definition of %s: %v", name, err)
	}
	r.did("loaded the definition of %s", name)
	return true, nil
}

// restart stops the program when it runs, then starts it.
func (r *run) restart(name string) error {
	if err := r.c.Stop(r.ctx, name); err != nil {
		return fmt.Errorf("%s did not stop for its restart: %v", name, err)
	}
	if err := r.c.Start(r.ctx, name); err != nil {
		return fmt.Errorf("%s did not restart: %v", name, err)
	}
	r.did("restarted %s", name)
	return nil
}

func isDown(err error) bool {
	var down *DownError
	return errors.As(err, &down)
}
