package supervisor

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/fabrun/fabrun/internal/module"
)

// States the module accepts.
const (
	StateStarted   = "started"
	StateRestarted = "restarted"
	StateStopped   = "stopped"
)

// Args are the module's options.
type Args struct {
	Socket      string `json:"socket"`
	Conf        string `json:"conf"`
	Supervisord string `json:"supervisord"`
	Chdir       string `json:"chdir"`
	Name        string `json:"name"`
	State       string `json:"state"`
	Restart     bool   `json:"restart"`
	Timeout     int    `json:"timeout"`
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
			"name":        {Type: module.Str},
			"state":       {Type: module.Str, Default: StateStarted, Choices: []any{StateStarted, StateRestarted, StateStopped}},
			"restart":     {Type: module.Bool, Default: false},
			"timeout":     {Type: module.Int, Default: 600},
		},
		RequiredIf: []module.RequiredIf{
			{Option: "state", Value: StateStarted, Requires: []string{"conf", "supervisord"}},
			{Option: "state", Value: StateRestarted, Requires: []string{"name"}},
			{Option: "state", Value: StateStopped, Requires: []string{"name"}},
		},
		SupportsCheckMode: true,
	}
}

var states = module.States[Args]{
	StateStarted:   started,
	StateRestarted: restarted,
	StateStopped:   stopped,
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
	return states.Run(ctx, a.State, a)
}

// run is one module call's work: what it did, for the result.
type run struct {
	ctx     context.Context
	check   bool
	c       *Client
	a       Args
	actions []string
	before  string // the program's state before, for the diff
	pid     int64  // its process id then
}

func newRun(mctx *module.Context, a Args) (*run, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(a.Timeout)*time.Second)
	return &run{ctx: ctx, check: mctx.CheckMode(), c: NewClient(a.Socket), a: a}, cancel
}

func (r *run) did(format string, v ...any) { r.actions = append(r.actions, fmt.Sprintf(format, v...)) }

// result reports the actions taken (in check mode: those it would take) and
// the program's state after them.
func (r *run) result(mctx *module.Context) (module.Result, error) {
	res := module.Result{Changed: len(r.actions) > 0, Data: map[string]any{"actions": r.actions}}
	if len(r.actions) == 0 {
		res.Msg = "nothing to do"
	} else {
		res.Msg = strings.Join(r.actions, "; ")
	}
	after, pid := r.before, r.pid
	switch {
	case r.check && res.Changed:
		after = "(" + res.Msg + ")"
	case res.Changed && r.a.Name != "":
		info, err := r.c.ProcessInfo(r.ctx, r.a.Name)
		switch {
		case err == nil:
			after, pid = info.StateName, info.PID
		case IsFault(err, FaultBadName):
			after, pid = "undefined", 0
		}
	}
	if r.a.Name != "" && !r.check {
		res.Data["statename"], res.Data["pid"] = after, pid
	}
	if res.Changed && mctx.DiffMode() && r.a.Name != "" {
		res.Diff = []module.Diff{{
			BeforeHeader: r.a.Name, AfterHeader: r.a.Name,
			Before: r.before + "\n", After: after + "\n",
		}}
	}
	return res, nil
}

// state is the program's state name ("undefined": supervisord has no such
// program, "supervisord down": supervisord does not run).
func (r *run) state() (string, error) {
	info, err := r.c.ProcessInfo(r.ctx, r.a.Name)
	var down *DownError
	switch {
	case err == nil:
		r.pid = info.PID
		return info.StateName, nil
	case IsFault(err, FaultBadName):
		return "undefined", nil
	case errors.As(err, &down):
		return "supervisord down", nil
	}
	return "", err
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
	if r.before, err = r.state(); err != nil {
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
		case loaded || r.before != "RUNNING":
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
			if err := r.restart(); err != nil {
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

// restarted restarts a program supervisord has; an undefined program, or a
// supervisord that does not run, is left as it is.
func restarted(mctx *module.Context, a Args) (module.Result, error) {
	r, cancel := newRun(mctx, a)
	defer cancel()
	var err error
	if r.before, err = r.state(); err != nil {
		return module.Result{}, err
	}
	if r.before == "undefined" || r.before == "supervisord down" {
		return r.result(mctx)
	}
	if r.check {
		r.did("restart %s", a.Name)
		return r.result(mctx)
	}
	if err := r.restart(); err != nil {
		return module.Result{}, err
	}
	return r.result(mctx)
}

// stopped stops a program that runs (or is starting, or retrying).
func stopped(mctx *module.Context, a Args) (module.Result, error) {
	r, cancel := newRun(mctx, a)
	defer cancel()
	var err error
	if r.before, err = r.state(); err != nil {
		return module.Result{}, err
	}
	switch r.before {
	case "RUNNING", "STARTING", "BACKOFF":
	default:
		return r.result(mctx)
	}
	if !r.check {
		if err := r.c.Stop(r.ctx, a.Name); err != nil {
			return module.Result{}, fmt.Errorf("%s did not stop: %v", a.Name, err)
		}
	}
	r.did("stopped %s", a.Name)
	return r.result(mctx)
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
func (r *run) restart() error {
	name := r.a.Name
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
