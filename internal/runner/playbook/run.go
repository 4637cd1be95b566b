package playbook

import (
	"bufio"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apenella/go-ansible/v2/pkg/execute"
	ansibleexec "github.com/apenella/go-ansible/v2/pkg/execute/exec"
	ansibleplaybook "github.com/apenella/go-ansible/v2/pkg/playbook"
)

//go:embed callback/fabrun_events.py
var callbackPlugin []byte

// CallbackName is the name fabrun_events is enabled under.
const CallbackName = "fabrun_events"

// Options says how to run a playbook.
type Options struct {
	// Home is the repository root: ansible.cfg, playbooks/, build/; or the
	// installed collection's directory when Collection is set.
	Home string
	// Collection (fabrun.fabric), when set, runs a playbook name as the
	// installed collection's <Collection>.<name> under the user's own
	// Ansible configuration instead of Home's ansible.cfg.
	Collection string
	// AnsiblePlaybook is the ansible-playbook binary.
	AnsiblePlaybook string
	// Inventory is passed as -i (empty: ansible.cfg's).
	Inventory string
	// ExtraVars are passed as they are, each as one --extra-vars.
	ExtraVars []string
	Limit     string
	Tags      string
	Check     bool
	Diff      bool
	// Verbose is the number of -v given to ansible-playbook.
	Verbose int
	Forks   int
	// Env is added to the environment of ansible-playbook.
	Env map[string]string
	// Human receives Ansible's own output line by line as it comes (nil: not shown).
	Human io.Writer
	// Color asks Ansible for coloured output (for a terminal).
	Color bool
	// Log, if set, is a file that receives the full output.
	Log string
	// OnEvent is called for every event, in order, from one goroutine.
	OnEvent func(*Event)
	// OnPlayEnd is called with each play's counts when it ends, before the
	// OnEvent of the event that ended it.
	OnPlayEnd func(PlayResult)
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Command is the ansible-playbook command line Run uses for the playbook
// (for display and tests).
func Command(opts Options, playbook string) ([]string, error) {
	return newCmd(opts, playbook).Command()
}

func newCmd(opts Options, playbook string) *ansibleplaybook.AnsiblePlaybookCmd {
	po := &ansibleplaybook.AnsiblePlaybookOptions{
		Inventory:     opts.Inventory,
		ExtraVarsFile: append([]string(nil), opts.ExtraVars...),
		Limit:         opts.Limit,
		Tags:          opts.Tags,
		Check:         opts.Check,
		Diff:          opts.Diff,
	}
	if opts.Forks > 0 {
		po.Forks = strconv.Itoa(opts.Forks)
	}
	switch {
	case opts.Verbose >= 4:
		po.VerboseVVVV = true
	case opts.Verbose == 3:
		po.VerboseVVV = true
	case opts.Verbose == 2:
		po.VerboseVV = true
	case opts.Verbose == 1:
		po.VerboseV = true
	}
	return ansibleplaybook.NewAnsiblePlaybookCmd(
		ansibleplaybook.WithBinary(opts.AnsiblePlaybook),
		ansibleplaybook.WithPlaybookOptions(po),
		ansibleplaybook.WithPlaybooks(Target(opts, playbook)),
	)
}

// Target is what ansible-playbook is given for a playbook name: its path,
// or with opts.Collection its fully qualified name (fabrun.fabric.site).
func Target(opts Options, playbook string) string {
	if opts.Collection == "" || strings.ContainsRune(playbook, os.PathSeparator) {
		return PlaybookPath(opts.Home, playbook)
	}
	return opts.Collection + "." + strings.TrimSuffix(strings.TrimSuffix(playbook, ".yml"), ".yaml")
}

// PlaybookPath is where a playbook name (site, site.yml, or a path) lives.
func PlaybookPath(home, playbook string) string {
	if strings.ContainsRune(playbook, os.PathSeparator) {
		return playbook
	}
	if !strings.HasSuffix(playbook, ".yml") && !strings.HasSuffix(playbook, ".yaml") {
		playbook += ".yml"
	}
	return filepath.Join(home, "playbooks", playbook)
}

// Env is the environment Run gives ansible-playbook, besides the caller's
// and opts.Env: the repository's ansible.cfg (not for an installed
// collection, which runs under the user's own), fabrun_events enabled from
// pluginDir, unbuffered Python, colour as asked.
func Env(opts Options, pluginDir string) map[string]string {
	env := map[string]string{
		"ANSIBLE_CALLBACK_PLUGINS": joinList(pluginDir, os.Getenv("ANSIBLE_CALLBACK_PLUGINS")),
		"ANSIBLE_CALLBACKS_ENABLED": strings.Trim(joinComma(CallbackName,
			os.Getenv("ANSIBLE_CALLBACKS_ENABLED")), ","),
		"PYTHONUNBUFFERED":            "1",
		"ANSIBLE_RETRY_FILES_ENABLED": "False",
	}
	if opts.Collection == "" {
		env["ANSIBLE_CONFIG"] = filepath.Join(opts.Home, "ansible.cfg")
	}
	if opts.Color {
		env["ANSIBLE_FORCE_COLOR"] = "1"
		env["ANSIBLE_NOCOLOR"] = "0"
	} else {
		env["ANSIBLE_FORCE_COLOR"] = "0"
		env["ANSIBLE_NOCOLOR"] = "1"
	}
	for k, v := range opts.Env {
		env[k] = v
	}
	return env
}

func joinList(a, b string) string {
	if b == "" {
		return a
	}
	return a + string(os.PathListSeparator) + b
}

func joinComma(a, b string) string {
	if b == "" {
		return a
	}
	return a + "," + b
}

// Run runs one playbook and returns what it did. The error is for problems
// running it at all (no binary, no temp dir); a playbook that fails returns
// a Result whose OK() is false, with the failing hosts and tasks.
func Run(ctx context.Context, opts Options, playbook string) (*Result, error) {
	if opts.AnsiblePlaybook == "" {
		return nil, errors.New("no ansible-playbook binary given")
	}
	if _, err := os.Stat(opts.AnsiblePlaybook); err != nil {
		return nil, fmt.Errorf("ansible-playbook: %w", err)
	}
	path := PlaybookPath(opts.Home, playbook)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("playbook %s: %w", playbook, err)
	}

	pluginDir, err := os.MkdirTemp("", "fabrun-callback-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(pluginDir)
	if err := os.WriteFile(filepath.Join(pluginDir, CallbackName+".py"), callbackPlugin, 0o644); err != nil {
		return nil, err
	}

	var logw *bufio.Writer
	if opts.Log != "" {
		if err := os.MkdirAll(filepath.Dir(opts.Log), 0o755); err != nil {
			return nil, err
		}
		f, err := os.Create(opts.Log)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		logw = bufio.NewWriter(f)
		defer logw.Flush()
		fmt.Fprintf(logw, "# fabrun: %s\n", strings.Join(mustCommand(opts, playbook), " "))
	}

	tracker := NewTracker(filepath.Base(path), opts.Now)
	if opts.OnPlayEnd != nil {
		tracker.OnPlayEnd(opts.OnPlayEnd)
	}
	var outMu sync.Mutex
	human := func(line string) {
		outMu.Lock()
		defer outMu.Unlock()
		if logw != nil {
			logw.WriteString(line)
			logw.WriteByte('\n')
		}
		if opts.Human != nil {
			io.WriteString(opts.Human, line+"\n")
		}
	}
	stdout := &Splitter{
		OnEvent: func(ev *Event) {
			tracker.Handle(ev)
			if opts.OnEvent != nil {
				opts.OnEvent(ev)
			}
		},
		Human: human,
		OnBadEvent: func(line string, err error) {
			human(fmt.Sprintf("fabrun: bad event line (%v)", err))
		},
	}
	stderr := &tail{n: 20, also: human}

	proc := &interruptible{}
	exe := execute.NewDefaultExecute(
		execute.WithCmd(newCmd(opts, playbook)),
		execute.WithExecutable(proc),
		execute.WithCmdRunDir(opts.Home),
		execute.WithEnvVars(Env(opts, pluginDir)),
		execute.WithWrite(stdout),
		execute.WithWriteError(stderr),
		execute.WithErrorEnrich(ansibleplaybook.NewAnsiblePlaybookErrorEnrich()),
	)
	runErr := exe.Execute(ctx)
	stdout.Flush()
	stderr.Flush()

	// The process's own status (go-ansible returns no error for a cancelled
	// run: 99 after SIGINT, -1 when killed); -1 when it never started.
	code := 0
	switch {
	case proc.cmd != nil && proc.cmd.ProcessState != nil:
		code = proc.cmd.ProcessState.ExitCode()
	case runErr != nil:
		code = -1
	}
	errText := stderr.String()
	if errText == "" && runErr != nil {
		errText = firstLine(runErr.Error())
	}
	if ctx.Err() != nil {
		errText = "interrupted: " + ctx.Err().Error()
	}
	res := tracker.Finish(code, errText)
	res.Log = opts.Log
	return res, nil
}

// interruptible starts ansible-playbook so that a cancelled run stops it as
// Ctrl-C does: SIGINT, which it forwards to its workers (each in a session of
// its own) and they to their modules, then SIGKILL if it is still there
// after stopWait. exec.CommandContext's own SIGKILL left the workers and
// their modules running on, changing hosts after fabrun had stopped.
type interruptible struct {
	ansibleexec.OsExec
	cmd *exec.Cmd // the one it started
}

// stopWait is how long an interrupted ansible-playbook gets to stop its
// workers (they finish their module's cleanup) before it is killed.
const stopWait = time.Minute

func (i *interruptible) CommandContext(ctx context.Context, name string, arg ...string) ansibleexec.Cmder {
	cmd := exec.CommandContext(ctx, name, arg...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = stopWait
	i.cmd = cmd
	return cmd
}

func mustCommand(opts Options, playbook string) []string {
	c, err := Command(opts, playbook)
	if err != nil {
		return []string{"ansible-playbook", playbook}
	}
	return c
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// tail keeps the last n lines written to it and passes every line on.
type tail struct {
	n    int
	also func(string)

	mu    sync.Mutex
	lines []string
	part  strings.Builder
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, b := range p {
		if b == '\n' {
			t.add(t.part.String())
			t.part.Reset()
			continue
		}
		t.part.WriteByte(b)
	}
	return len(p), nil
}

func (t *tail) Flush() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.part.Len() > 0 {
		t.add(t.part.String())
		t.part.Reset()
	}
}

func (t *tail) add(line string) {
	if t.also != nil {
		t.also(line)
	}
	if strings.TrimSpace(line) == "" {
		return
	}
	t.lines = append(t.lines, line)
	if len(t.lines) > t.n {
		t.lines = t.lines[len(t.lines)-t.n:]
	}
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(strings.Join(t.lines, "\n"))
}
