package app

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/fabrun/fabrun/internal/inventory"
	"github.com/fabrun/fabrun/internal/preflight"
	"github.com/fabrun/fabrun/internal/report"
	"github.com/fabrun/fabrun/internal/runner/netclient"
	"github.com/fabrun/fabrun/internal/runner/playbook"
	"github.com/fabrun/fabrun/internal/status"
	"github.com/fabrun/fabrun/internal/verify"
)

// session is one command's run.
type session struct {
	ctx  context.Context
	o    *Options
	io   IO
	out  io.Writer // human output: stdout, or stderr with --json
	prog *report.Progress
	doc  *report.Document
	home string // the checkout, or the installed collection's directory
	// collection: home is an installed fabrun.fabric, run by FQCN under the
	// user's own Ansible configuration.
	collection bool
	tools      Tools
	loaded     *Loaded
	start      time.Time
}

// Run runs a parsed command: the Runner main uses.
func Run(ctx context.Context, o *Options, stdio IO) int {
	s := &session{ctx: ctx, o: o, io: stdio, out: stdio.Out, start: time.Now()}
	if o.JSON {
		s.out = stdio.Err
	}
	tty := isTerminal(s.out)
	s.prog = &report.Progress{W: s.out, TTY: tty, Quiet: o.Verbose > 0}
	s.doc = &report.Document{Command: o.Command, Started: s.start, Check: o.Check}
	code := s.run()
	s.prog.Close()
	if ctx.Err() != nil && code != report.ExitOK {
		code = report.ExitInterrupt
		if s.doc.Error == "" {
			s.doc.Error = "interrupted"
		}
	}
	s.doc.ExitCode = code
	s.doc.OK = code == report.ExitOK
	s.doc.Seconds = float64(time.Since(s.start).Milliseconds()) / 1000
	s.doc.Phases = s.prog.Phases
	if o.JSON {
		if err := report.WriteJSON(stdio.Out, s.doc); err != nil {
			fmt.Fprintf(stdio.Err, "fabrun: writing JSON: %v\n", err)
		}
	}
	return code
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isTTY(f) && os.Getenv("TERM") != "dumb"
}

// isTTY is true for a terminal (not merely a character device such as /dev/null).
func isTTY(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

func (s *session) println(format string, args ...any) {
	s.prog.Println(fmt.Sprintf(format, args...))
}

func (s *session) lines(ls []string) {
	for _, l := range ls {
		s.prog.Println(l)
	}
}

// fail records the one-sentence reason and prints it.
func (s *session) fail(code int, format string, args ...any) int {
	msg := fmt.Sprintf(format, args...)
	if s.doc.Error == "" {
		s.doc.Error = msg
	}
	s.println("fabrun %s: %s", s.o.Command, msg)
	return code
}

func (s *session) run() int {
	if err := s.setup(); err != nil {
		return s.fail(report.ExitUsage, "%v", err)
	}
	switch s.o.Command {
	case "deploy":
		return s.deploy()
	case "verify":
		return s.verifyCmd()
	case "status":
		return s.statusCmd()
	case "teardown":
		return s.teardown()
	case "plan":
		return s.plan()
	case "check":
		return s.check()
	case "bench":
		return s.benchCmd()
	case "migrate":
		return s.migrateCmd()
	case "backup":
		return s.backupCmd()
	case "restore":
		return s.restoreCmd()
	}
	return s.fail(report.ExitUsage, "unknown command %q", s.o.Command)
}

func (s *session) setup() error {
	exe, _ := os.Executable()
	cwd, _ := os.Getwd()
	home, err := s.findHome(exe, cwd)
	if err != nil {
		return err
	}
	s.home = home
	s.tools = FindTools(home)
	if s.o.Inventory == "" {
		if s.collection {
			return errors.New("--inventory is required with the installed collection (it has no inventory of yours)")
		}
		s.o.Inventory = DefaultInventory(home)
	} else if abs, err := filepath.Abs(s.o.Inventory); err == nil {
		s.o.Inventory = abs
	}
	if _, err := os.Stat(s.o.Inventory); err != nil {
		return fmt.Errorf("inventory %s: %v", s.o.Inventory, err)
	}
	s.doc.Home, s.doc.Inventory = home, s.o.Inventory
	return nil
}

// findHome picks what to run: the checkout (--home, $FABRUN_HOME, the
// binary's checkout, the working directory), or the installed collection
// when --collection asks for it or there is no checkout.
func (s *session) findHome(exe, cwd string) (string, error) {
	if !s.o.Collection {
		home, err := FindHome(s.o.Home, os.Getenv("FABRUN_HOME"), exe, cwd)
		if err == nil || s.o.Home != "" || os.Getenv("FABRUN_HOME") != "" {
			return home, err
		}
	}
	userHome, _ := os.UserHomeDir()
	paths := os.Getenv("ANSIBLE_COLLECTIONS_PATH")
	if paths == "" {
		paths = os.Getenv("ANSIBLE_COLLECTIONS_PATHS")
	}
	dir, err := FindCollection(paths, userHome)
	if err != nil {
		if !s.o.Collection {
			err = fmt.Errorf("no fabrun checkout here (set --home or FABRUN_HOME), and %w", err)
		}
		return "", err
	}
	s.collection = true
	return dir, nil
}

// childEnv is the environment Ansible runs with (ChildEnv).
func (s *session) childEnv() map[string]string { return ChildEnv(s.home, s.collection) }

// logDir is where playbook logs go: --log-dir, else the checkout's
// build/log, or the user's cache for an installed collection.
func (s *session) logDir() string {
	if s.o.LogDir != "" {
		return s.o.LogDir
	}
	if !s.collection {
		return filepath.Join(s.home, "build", "log")
	}
	if c, err := os.UserCacheDir(); err == nil {
		return filepath.Join(c, "fabrun", "log")
	}
	return filepath.Join(os.TempDir(), "fabrun-log")
}

// loadNetwork reads the inventory for a command that talks to the deployed
// network; on a problem it reports it and returns fail's exit code.
func (s *session) loadNetwork(code int) (int, bool) {
	if err := s.load(); err != nil {
		s.prog.End(false, "cannot read the inventory")
		return s.fail(code, "%v", err), false
	}
	if !s.loaded.Outcome.OK() {
		s.prog.End(false, "inventory problems")
		s.lines(report.PreflightLines(&s.loaded.Outcome.Report))
		return s.fail(code, "the inventory does not describe a complete network"), false
	}
	return 0, true
}

// load runs the preflight play (once): Ansible resolves the inventory and
// the rules judge it; the outcome holds the topology the other commands use.
func (s *session) load() error {
	if s.loaded != nil {
		return nil
	}
	if s.tools.AnsiblePlaybook == "" {
		return errors.New("ansible-playbook not found (run `make venv`)")
	}
	// Check mode: the play only sets facts and evaluates; it never changes
	// anything. The rules see the whole inventory whatever --limit and
	// --tags select for the deploy.
	opts := s.playbookOptions("preflight.yml", true, false)
	opts.Limit, opts.Tags = "", ""
	res, err := playbook.Run(s.ctx, opts, "preflight.yml")
	if err != nil {
		return fmt.Errorf("cannot run preflight.yml: %v", err)
	}
	return s.loadOutcome(res)
}

// loadOutcome takes the rules' outcome from a run that evaluated them
// (preflight.yml, or site.yml's first plays).
func (s *session) loadOutcome(res *playbook.Result) error {
	if len(res.Preflight) == 0 {
		// The play stopped before the rules ran: an inventory value Ansible
		// cannot template, an unreadable inventory, ...
		what := res.Error
		if len(res.Failures) > 0 {
			f := res.Failures[0]
			what = fmt.Sprintf("task %q failed on %s: %s", f.Task, f.Host, f.Message)
		}
		if what == "" {
			what = fmt.Sprintf("ansible-playbook exited %d before the rules ran", res.ExitCode)
		}
		return fmt.Errorf("%s: %s (log: %s)", res.Playbook, what, res.Log)
	}
	var out preflight.Outcome
	if err := json.Unmarshal(res.Preflight, &out); err != nil {
		return fmt.Errorf("%s: reading the rules' outcome: %v", res.Playbook, err)
	}
	if out.Topology == nil {
		out.Topology = &inventory.Topology{}
	}
	s.loaded = &Loaded{Topology: out.Topology, Outcome: &out}
	return nil
}

// preflight checks, as the first phase, the controller's own tools, then
// runs the preflight play; false stops the command.
func (s *session) preflight() bool {
	s.prog.Begin("preflight")
	rep := s.controllerFindings()
	if rep.OK() {
		if err := s.load(); err != nil {
			s.prog.End(false, "the preflight play did not run its rules")
			s.fail(report.ExitPreflight, "%v", err)
			return false
		}
		rep.Add(s.loaded.Outcome.Findings...)
	}
	return s.judgePreflight(rep, true) || s.preflightFailed(rep)
}

// controllerFindings checks the controller's own files and tools.
func (s *session) controllerFindings() *preflight.Report {
	if s.collection {
		return &preflight.Report{Findings: preflight.CheckCollectionFiles(s.home, s.tools.AnsiblePlaybook)}
	}
	return &preflight.Report{Findings: preflight.CheckFiles(s.home, s.tools.AnsiblePlaybook)}
}

// judgePreflight records and prints the findings (ending the preflight
// phase when it is open); false when there are errors.
func (s *session) judgePreflight(rep *preflight.Report, open bool) bool {
	rep.Sort()
	s.doc.Preflight = rep
	if open {
		s.prog.End(rep.OK(), report.PreflightDetail(rep))
	}
	s.lines(report.PreflightLines(rep))
	return rep.OK()
}

// preflightFailed says that the preflight's errors stopped the command; false.
func (s *session) preflightFailed(rep *preflight.Report) bool {
	s.fail(report.ExitPreflight, "preflight found %d error(s); nothing was changed", len(rep.Of(preflight.Error)))
	return false
}

// sitePreflight: without --limit, site.yml's own first plays (preflight.yml,
// tagged always) see the whole inventory and evaluate the same rules as
// the preflight play, so they are the deploy's preflight: one
// ansible-playbook process fewer, about a second of every run. The
// controller's files are checked first; the rules' outcome is judged as
// soon as their result arrives, and site.yml stops on their errors before
// any other play. A limited run checks the whole inventory in a run of its
// own (preflight).
type sitePreflight struct {
	files *preflight.Report // the controller's files, checked before the run
	// Once the rules' result arrived: rep, the files' and the rules'
	// findings, or err, when the outcome could not be read.
	rep *preflight.Report
	err error
	// stopped: the run ended in the preflight (the command's exit is
	// ExitPreflight).
	stopped bool
}

// beginSitePreflight checks the controller's files; false stops the command.
func (s *session) beginSitePreflight() (*sitePreflight, bool) {
	s.prog.Begin("preflight")
	rep := s.controllerFindings()
	if !rep.OK() {
		s.judgePreflight(rep, true)
		return nil, s.preflightFailed(rep)
	}
	// Their warnings, if any, are printed with the rules' findings.
	s.prog.End(true, "controller files; the inventory's rules run as site.yml's first plays")
	return &sitePreflight{files: rep}, true
}

// onEvent judges the rules' outcome when the result that carries it arrives.
func (p *sitePreflight) onEvent(s *session, ev *playbook.Event) {
	if p.rep != nil || p.err != nil {
		return
	}
	for _, hr := range ev.Hosts {
		if hr == nil || len(hr.Preflight) == 0 {
			continue
		}
		if p.err = s.loadOutcome(&playbook.Result{Playbook: "site.yml", Preflight: hr.Preflight}); p.err != nil {
			return
		}
		p.rep = &preflight.Report{Findings: p.files.Findings}
		p.rep.Add(s.loaded.Outcome.Findings...)
		s.judgePreflight(p.rep, false)
		return
	}
}

// end reports a site.yml run that stopped before its rules were judged, or
// whose rules found errors; false stops the command with ExitPreflight.
func (p *sitePreflight) end(s *session, res *playbook.Result) bool {
	switch {
	case p.err != nil:
		p.stopped = true
		s.fail(report.ExitPreflight, "%v", p.err)
	case p.rep != nil:
		p.stopped = !p.rep.OK()
		if p.stopped {
			s.preflightFailed(p.rep)
		}
	case s.ctx.Err() != nil:
		// Interrupted: playbookWith says so.
	default:
		p.stopped = true
		s.fail(report.ExitPreflight, "%v", s.loadOutcome(res))
	}
	return !p.stopped
}

// playbookOptions are the options every playbook runs with.
func (s *session) playbookOptions(name string, check, diff bool, extra ...string) playbook.Options {
	collection := ""
	if s.collection {
		collection = CollectionName
	}
	return playbook.Options{
		Home: s.home, Collection: collection, AnsiblePlaybook: s.tools.AnsiblePlaybook, Inventory: s.o.Inventory,
		ExtraVars: append(append([]string(nil), s.o.ExtraVars...), extra...),
		Limit:     s.o.Limit, Tags: s.o.Tags, Check: check, Diff: diff, Verbose: s.o.Verbose, Forks: s.o.Forks,
		Env: s.childEnv(), Log: filepath.Join(s.logDir(), "fabrun-"+strings.TrimSuffix(name, ".yml")+".log"),
	}
}

// preflightDone tells a playbook that this run's preflight already ran.
const preflightDone = "preflight_done=true"

// playbook runs one playbook with progress, and reports a failure.
func (s *session) playbook(name string, check, diff bool, extra ...string) (*playbook.Result, bool) {
	return s.playbookWith(nil, name, check, diff, extra...)
}

// playbookWith is playbook whose run is also the preflight (pf not nil):
// a stop in it is a preflight failure, and the document then has no
// playbook (nothing past the rules ran).
func (s *session) playbookWith(pf *sitePreflight, name string, check, diff bool, extra ...string) (*playbook.Result, bool) {
	opts := s.playbookOptions(name, check, diff, extra...)
	opts.OnEvent, opts.OnPlayEnd = playbookProgress(s.prog)
	if pf != nil {
		progress := opts.OnEvent
		opts.OnEvent = func(ev *playbook.Event) {
			progress(ev)
			pf.onEvent(s, ev)
		}
	}
	if s.o.Verbose > 0 {
		opts.Human = s.out
		opts.Color = isTerminal(s.out)
	}
	res, err := playbook.Run(s.ctx, opts, name)
	if err != nil {
		s.fail(report.ExitDeploy, "cannot run %s: %v", name, err)
		return nil, false
	}
	if pf != nil && !pf.end(s, res) {
		return res, false
	}
	s.doc.Playbook = res
	if len(res.Failures) > 0 {
		s.doc.Failures = res.Failures
	}
	if s.ctx.Err() != nil {
		// Interrupted: Ansible may end without a failed task on record, but
		// the playbook did not finish, so nothing after it may run.
		s.fail(report.ExitDeploy, "%s interrupted", name)
		return res, false
	}
	if !res.OK() {
		s.lines(failureLines(res))
		what := "ansible-playbook failed"
		if len(res.Failures) > 0 {
			f := res.Failures[0]
			what = fmt.Sprintf("task %q failed on %s", f.Task, f.Host)
		}
		s.fail(report.ExitDeploy, "%s: %s", name, what)
		return res, false
	}
	return res, true
}

func (s *session) deploy() int {
	var pf *sitePreflight
	var extra []string
	if s.o.Limit == "" {
		var ok bool
		if pf, ok = s.beginSitePreflight(); !ok {
			return report.ExitPreflight
		}
	} else {
		if !s.preflight() {
			return report.ExitPreflight
		}
		extra = append(extra, preflightDone)
	}
	res, ok := s.playbookWith(pf, "site.yml", s.o.Check, s.o.Check, extra...)
	if !ok {
		if pf != nil && pf.stopped {
			return report.ExitPreflight
		}
		return report.ExitDeploy
	}
	if s.o.Check {
		s.prog.Skip("verify", "check mode")
		s.doc.Plan = res.Changes
		s.lines(planLines(res))
		return report.ExitOK
	}
	if s.o.NoVerify {
		s.prog.Skip("verify", "--no-verify")
		s.println("deployed in %s (not verified)", report.FormatDuration(time.Since(s.start)))
		return report.ExitOK
	}
	out, ok := s.verify()
	if !ok {
		return report.ExitVerify
	}
	changed := "no change"
	if n := res.TotalChanged(); n > 0 {
		changed = fmt.Sprintf("%d changes", n)
	}
	s.println("")
	s.println("Deployed and verified in %s (%s):", report.FormatDuration(time.Since(s.start)), changed)
	s.lines(report.SummaryLines(s.doc.Network, out, s.doc.Heights, s.prog.Phases))
	return report.ExitOK
}

// network summarises the topology for the report.
func (s *session) network(chaincode, version string) *report.NetworkSummary {
	t := s.loaded.Topology
	n := &report.NetworkSummary{Channel: t.Channel, Chaincode: chaincode, Version: version}
	for _, o := range t.Orderers {
		n.Orderers = append(n.Orderers, o.FQDN)
	}
	for _, b := range t.Brokers {
		n.Brokers = append(n.Brokers, b.ID)
	}
	for _, z := range t.ZooKeepers {
		n.ZooKeeper = append(n.ZooKeeper, z.ID)
	}
	for _, p := range t.Peers() {
		n.Peers = append(n.Peers, p.FQDN)
	}
	return n
}

// verify moves 10 from a to b through the SDK and reads it back on the
// org's peers, then reads every peer's block height (a peer that answers
// has joined the channel).
func (s *session) verify() (*verify.Outcome, bool) {
	s.prog.Begin("verify")
	if _, ok := s.loadNetwork(report.ExitVerify); !ok {
		return nil, false
	}
	t := s.loaded.Topology
	opts := verify.Defaults()
	opts.Chaincode = orDefault(s.loaded.Outcome.Chaincode, opts.Chaincode)
	opts.Version = orDefault(s.loaded.Outcome.ChaincodeVersion, opts.Version)
	opts.Channel = t.Channel
	s.doc.Network = s.network(opts.Chaincode, opts.Version)
	if t.Workdir == "" {
		s.prog.End(false, "no crypto material")
		s.fail(report.ExitVerify, "verify: fabrun_workdir is not defined in the inventory")
		return nil, false
	}
	s.prog.Task("connecting through the Fabric SDK")
	net, err := netclient.Open(t, netclient.Options{Org: s.o.Org, Primary: s.o.Peer, Chaincode: opts.Chaincode, Timeout: time.Minute})
	if err != nil {
		s.prog.End(false, "cannot connect")
		s.fail(report.ExitVerify, "verify: %v", err)
		return nil, false
	}
	defer net.Close()
	// Read from the acting org's peers, the primary first.
	primary, _ := t.FindPeer(net.Primary())
	opts.Peers = []string{primary.FQDN}
	for _, p := range t.Peers() {
		if p.Org == primary.Org && p.FQDN != primary.FQDN {
			opts.Peers = append(opts.Peers, p.FQDN)
		}
	}
	ctx, cancel := context.WithTimeout(s.ctx, 5*time.Minute)
	defer cancel()
	s.prog.Task(fmt.Sprintf("query %s and %s, move %d", opts.From, opts.To, opts.Amount))
	out, err := verify.Run(ctx, net, opts)
	s.doc.Verify = out

	// Every peer's height: it answers only once joined.
	s.prog.Task("block heights")
	s.doc.Heights = map[string]uint64{}
	if err == nil {
		for _, p := range t.Peers() {
			h, herr := net.Height(ctx, p.FQDN)
			c := verify.Check{Name: fmt.Sprintf("%s joined %s", p.FQDN, t.Channel), OK: herr == nil}
			if herr != nil {
				c.Detail = herr.Error()
			} else {
				c.Detail = fmt.Sprintf("height %d", h)
				s.doc.Heights[p.FQDN] = h
			}
			out.Checks = append(out.Checks, c)
		}
		out.OK = len(out.Failed()) == 0
	}
	if err != nil || !out.OK {
		s.prog.End(false, report.VerifyDetail(out))
		s.lines(report.VerifyLines(out))
		if err != nil {
			s.fail(report.ExitVerify, "verification failed: %v", err)
		} else {
			s.fail(report.ExitVerify, "verification failed: %s", out.Failed()[0].Name)
		}
		return out, false
	}
	s.prog.End(true, report.VerifyDetail(out))
	if s.o.Verbose > 0 {
		s.lines(report.VerifyLines(out))
	}
	return out, true
}

func (s *session) verifyCmd() int {
	out, ok := s.verify()
	if !ok {
		return report.ExitVerify
	}
	s.println("")
	s.println("Verified in %s:", report.FormatDuration(time.Since(s.start)))
	s.lines(report.SummaryLines(s.doc.Network, out, s.doc.Heights, nil))
	return report.ExitOK
}

func (s *session) statusCmd() int {
	s.prog.Begin("status")
	if code, ok := s.loadNetwork(report.ExitPreflight); !ok {
		return code
	}
	t := s.loaded.Topology
	opts := status.Options{
		Topics:    uniq(orDefault(s.loaded.Outcome.SystemChannel, "system-channel"), t.Channel),
		MinInsync: s.loaded.Outcome.MinInsyncReplicas,
	}
	if t.Workdir == "" {
		s.prog.End(false, "no crypto material")
		return s.fail(report.ExitVerify, "status: fabrun_workdir is not defined in the inventory")
	}
	net, err := netclient.Open(t, netclient.Options{Org: s.o.Org, Timeout: 20 * time.Second})
	if err != nil {
		opts.HeightsErr = err
	} else {
		defer net.Close()
		opts.Heights = net
		opts.Consensus = net
	}
	s.prog.Task("checking every node")
	r := status.Collect(s.ctx, t, opts)
	s.doc.Status = r
	bad := len(r.Unhealthy())
	detail := fmt.Sprintf("%d checks", len(r.Nodes))
	if bad > 0 {
		detail = fmt.Sprintf("%d of %d checks not healthy", bad, len(r.Nodes))
	}
	s.prog.End(r.Healthy, detail)
	s.lines(report.StatusLines(r))
	if !r.Healthy {
		return s.fail(report.ExitVerify, "%d of %d checks not healthy", bad, len(r.Nodes))
	}
	return report.ExitOK
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func uniq(xs ...string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if x != "" && !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// confirm asks a yes/no question on the terminal. Without a terminal it
// answers no (and says why).
func (s *session) confirm(question string) (bool, string) {
	in := s.io.In
	if f, ok := in.(*os.File); ok && !isTTY(f) {
		return false, "standard input is not a terminal: pass --yes to delete data"
	}
	if in == nil {
		return false, "no standard input: pass --yes to delete data"
	}
	fmt.Fprintf(s.io.Err, "%s [y/N] ", question)
	line, _ := bufio.NewReader(in).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, ""
	}
	return false, "not confirmed"
}

func (s *session) teardown() int {
	var extra []string
	if s.o.DeleteData {
		if !s.o.Yes {
			ok, why := s.confirm(fmt.Sprintf("Stop every service of %s and DELETE its data (ledgers, Kafka and ZooKeeper data)?", s.o.Inventory))
			if !ok {
				return s.fail(report.ExitCancelled, "teardown cancelled: %s", why)
			}
		}
		extra = append(extra, "teardown_delete_data=true")
	}
	if s.tools.AnsiblePlaybook == "" {
		return s.fail(report.ExitUsage, "ansible-playbook not found (run `make venv`)")
	}
	if _, ok := s.playbook("teardown.yml", false, false, extra...); !ok {
		return report.ExitDeploy
	}
	if s.o.DeleteData {
		s.println("stopped every service and deleted the data")
	} else {
		s.println("stopped every service (data kept; --delete-data removes it)")
	}
	return report.ExitOK
}

func (s *session) plan() int {
	if !s.preflight() {
		return report.ExitPreflight
	}
	res, ok := s.playbook("site.yml", true, true, preflightDone)
	if res != nil {
		s.doc.Plan = res.Changes
	}
	if !ok {
		s.println("note: check mode cannot run tasks that depend on changes not made yet; the plan above stops there")
		return report.ExitDeploy
	}
	s.lines(planLines(res))
	return report.ExitOK
}

func (s *session) check() int {
	if !s.preflight() {
		return report.ExitPreflight
	}
	w := len(s.doc.Preflight.Of(preflight.Warning))
	s.println("preflight passed for %s (%s)", s.o.Inventory, pluralS(w, "warning"))
	return report.ExitOK
}

func pluralS(n int, w string) string {
	if n == 1 {
		return "1 " + w
	}
	return fmt.Sprintf("%d %ss", n, w)
}
