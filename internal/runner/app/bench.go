package app

// fabrun bench: how long fabrun's commands take on this machine and what the
// network it deploys sustains, as one table. internal/bench has the
// statistics, the load generator and the table; this file runs the steps.
// The full bench deploys its own copy of the local inventory on
// 127.0.199.x under build/bench (never build/local) and removes it at the
// end; --throughput only loads an already deployed network.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/fabrun/fabrun/internal/bench"
	"github.com/fabrun/fabrun/internal/report"
	"github.com/fabrun/fabrun/internal/runner/netclient"
)

const (
	// benchPrefix replaces the local inventory's 127.0.194. in the bench's copy.
	benchPrefix = "127.0.199."
	// benchBroker is the host whose broker setting the "one change" re-run
	// changes (kafka_log_level, restarting that broker only).
	benchBroker = "server214"
	// benchLargePrefix replaces tests/testdata/inventory-large's 127.0.198.
	// (TestTopologyIsData's) in the bench's copy.
	benchLargePrefix = "127.0.193."
)

// parseConcurrency reads --concurrency: client counts, comma-separated.
func parseConcurrency(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("--concurrency %q: each value must be a whole number of clients, at least 1", s)
		}
		out = append(out, n)
	}
	return out, nil
}

func (s *session) benchCmd() int {
	conc, err := parseConcurrency(s.o.Concurrency)
	if err != nil {
		return s.fail(report.ExitUsage, "%v", err)
	}
	if s.o.Runs < 1 {
		return s.fail(report.ExitUsage, "--runs must be at least 1")
	}
	if s.o.Duration <= 0 {
		return s.fail(report.ExitUsage, "--duration must be positive")
	}
	table := &bench.Table{Head: bench.ReadMachine(s.home).Lines()}
	s.doc.Extra = map[string]any{"bench": table}
	var code int
	if s.o.Throughput {
		code = s.benchThroughput(table, conc, "")
	} else {
		code = s.benchFull(table, conc)
	}
	table.Notes = append(table.Notes, "Times are wall-clock seconds of the whole command as a user runs it; other work on the machine counts.")
	s.println("")
	var b strings.Builder
	table.Render(&b)
	s.lines(strings.Split(strings.TrimRight(b.String(), "\n"), "\n"))
	return code
}

// benchThroughput loads the inventory's deployed network with invokes (move
// 1 from a to b) at each concurrency, one row each.
func (s *session) benchThroughput(table *bench.Table, conc []int, label string) int {
	s.prog.Begin("throughput: connect")
	if code, ok := s.loadNetwork(report.ExitPreflight); !ok {
		return code
	}
	net, err := netclient.Open(s.loaded.Topology, netclient.Options{Org: s.o.Org, Primary: s.o.Peer,
		Chaincode: orDefault(s.loaded.Outcome.Chaincode, "mycc"), Timeout: time.Minute})
	if err != nil {
		s.prog.End(false, "cannot connect")
		return s.fail(report.ExitVerify, "bench: %v", err)
	}
	defer net.Close()
	invoke := func(ctx context.Context) (bench.Outcome, error) {
		_, err := net.Invoke(ctx, "invoke", "a", "b", "1")
		var rejected *netclient.RejectedError
		switch {
		case err == nil:
			return bench.Valid, nil
		case errors.As(err, &rejected):
			return bench.Rejected, err
		default:
			return bench.Failed, err
		}
	}
	// One invoke first: it opens the SDK's channel client and event stream,
	// which the timed runs should not pay for.
	if out, err := invoke(s.ctx); out == bench.Failed {
		s.prog.End(false, "the first invoke failed")
		return s.fail(report.ExitVerify, "bench: invoke on %s: %v", net.Primary(), err)
	}
	s.prog.End(true, "invoked once on "+net.Primary())
	code := report.ExitOK
	for _, c := range conc {
		s.prog.Begin(fmt.Sprintf("throughput: %s, %d s", plural(c, "client"), int(s.o.Duration.Seconds())))
		r := bench.Load(s.ctx, c, s.o.Duration, invoke)
		s.prog.End(r.Failed == 0 && r.Valid > 0, fmt.Sprintf("%d committed (%d valid), %.2f tx/s, p50 %s",
			r.Committed(), r.Valid, r.PerSecond(), bench.Seconds(r.Latency(50))))
		table.Throughput(fmt.Sprintf("invoke%s, %s", label, plural(c, "client")), r)
		if r.Failed > 0 || r.Valid == 0 {
			code = report.ExitVerify
			s.fail(code, "bench: %d of %d invokes with %s failed: %s", r.Failed, r.Failed+r.Committed(), plural(c, "client"), r.FirstError)
		}
		if s.ctx.Err() != nil {
			return report.ExitInterrupt
		}
	}
	return code
}

// benchRun is the full bench's own network: a copy of the local inventory
// on benchPrefix under build/bench.
type benchRun struct {
	s       *session
	exe     string
	dir     string // build/bench
	inv     string // dir/inventory
	large   string // dir/large/inventory: the larger topology
	gocache string // the chaincode build's Go cache (emptied for a cold deploy)
	logDir  string
	// phases collects, per measurement, each deploy phase's seconds; order
	// names them in the order they first ran.
	phases map[string]map[string][]float64
	order  map[string][]string
}

// benchDoc is the part of a fabrun --json document the bench reads.
type benchDoc struct {
	OK       bool           `json:"ok"`
	ExitCode int            `json:"exit_code"`
	Error    string         `json:"error"`
	Phases   []report.Phase `json:"phases"`
}

func (s *session) benchFull(table *bench.Table, conc []int) int {
	if s.collection {
		return s.fail(report.ExitUsage, "the full bench needs a checkout (it deploys a copy of inventory/local); "+
			"--throughput loads any deployed network")
	}
	exe, err := os.Executable()
	if err != nil {
		return s.fail(report.ExitUsage, "bench: %v", err)
	}
	dir := filepath.Join(s.home, "build", "bench")
	b := &benchRun{s: s, exe: exe, dir: dir, inv: filepath.Join(dir, "inventory"), large: filepath.Join(dir, "large", "inventory"),
		gocache: filepath.Join(dir, "gocache"),
		logDir:  filepath.Join(dir, "log"), phases: map[string]map[string][]float64{}, order: map[string][]string{}}
	if err := b.prepare(); err != nil {
		return s.fail(report.ExitUsage, "bench: %v", err)
	}
	defer b.cleanup()
	// The session's own steps (preflight's topology, the throughput client)
	// use the bench's network from here on.
	s.o.Inventory, s.loaded = b.inv, nil

	samples := map[string][]float64{}
	const (
		cold      = "deploy from nothing, cold Go cache"
		warm      = "deploy from nothing, warm Go cache"
		plain     = "plain script: the guide's steps, no Ansible"
		large     = "deploy from nothing, larger inventory: 3 ZooKeeper, 4 brokers, 3 orderers, 3 orgs"
		noChange  = "re-run, nothing to change"
		oneChange = "re-run, one broker setting changed"
		teardown  = "teardown --delete-data"
		status    = "fabrun status"
		verify    = "fabrun verify"
	)
	stepOn := func(inv, what string, args ...string) error {
		secs, doc, err := b.fabrunOn(inv, what, args...)
		if err != nil {
			return err
		}
		samples[what] = append(samples[what], secs)
		b.addPhases(what, doc.Phases)
		return nil
	}
	step := func(what string, args ...string) error { return stepOn(b.inv, what, args...) }
	micro := map[string][]float64{}
	unhealthy := 0
	err = func() error {
		for i := range s.o.Runs {
			n := fmt.Sprintf(" (%d/%d)", i+1, s.o.Runs)
			// A cold deploy compiles the chaincode, and Go's standard library
			// with it, into an empty cache; the warm one finds it all there.
			if err := b.fromNothing(b.dir, b.gocache); err != nil {
				return err
			}
			if err := step(cold+n, "deploy"); err != nil {
				return err
			}
			if err := step(teardown+n, "teardown", "--delete-data", "--yes"); err != nil {
				return err
			}
			// The baseline between two of fabrun's deploys, on the files the
			// first rendered, with the Go cache it warmed.
			secs, phases, err := b.plainScript(plain+n, i+1)
			if err != nil {
				return err
			}
			samples[plain+n] = append(samples[plain+n], secs)
			b.addPhases(plain+n, phases)
			// The larger topology, also while the six hosts are down.
			if err := b.fromNothing(filepath.Dir(b.large)); err != nil {
				return err
			}
			if err := stepOn(b.large, large+n, "deploy"); err != nil {
				return err
			}
			if _, _, err := b.fabrunOn(b.large, "teardown --delete-data, larger inventory"+n, "teardown", "--delete-data", "--yes"); err != nil {
				return err
			}
			if err := b.fromNothing(b.dir); err != nil {
				return err
			}
			if err := step(warm+n, "deploy"); err != nil {
				return err
			}
			if err := step(noChange+n, "deploy"); err != nil {
				return err
			}
			if err := b.toggleBrokerSetting(); err != nil {
				return err
			}
			if err := step(oneChange+n, "deploy"); err != nil {
				return err
			}
			if err := step(verify+n, "verify"); err != nil {
				return err
			}
			// Status reports, it does not fail the bench: a broker the re-run
			// just restarted may still be catching up on a topic.
			secs, doc, err := b.fabrun(status+n, "status")
			if doc == nil || doc.ExitCode != report.ExitOK && doc.ExitCode != report.ExitVerify {
				return err
			}
			samples[status+n] = append(samples[status+n], secs)
			if err != nil {
				unhealthy++
			}
			if i == 0 {
				// The module micro-benchmarks need the rendered crypto-config.yaml
				// and configtx.yaml (and its MSPs), which exist while deployed.
				if micro, err = b.micro(); err != nil {
					return err
				}
			}
			if i < s.o.Runs-1 {
				if err := step(teardown+n, "teardown", "--delete-data", "--yes"); err != nil {
					return err
				}
			}
		}
		return nil
	}()
	// Samples are recorded under "<what> (i/N)"; the rows merge them.
	merged := func(what string) bench.Summary {
		var xs []float64
		for k, v := range samples {
			if strings.HasPrefix(k, what+" (") {
				xs = append(xs, v...)
			}
		}
		return bench.Summarize(xs)
	}
	rows := []string{cold, warm, plain, large, noChange, oneChange, teardown, status, verify}
	for _, what := range rows {
		detail := b.slowestPhases(what, 3)
		if what == status && unhealthy > 0 {
			detail = fmt.Sprintf("%d of its runs found a node not healthy (exit 3)", unhealthy)
		}
		table.Timing(what, merged(what), detail)
	}
	cryptogen, crypto := bench.Summarize(micro["cryptogen"]), bench.Summarize(micro["fabric_crypto"])
	configtxgen, configtx := bench.Summarize(micro["configtxgen"]), bench.Summarize(micro["fabric_configtx"])
	table.Timing("cryptogen generate (the deploy's crypto-config.yaml)", cryptogen, "")
	table.Timing("fabric_crypto, the same config", crypto, "")
	table.Timing("configtxgen genesis block (the deploy's configtx.yaml)", configtxgen, "")
	table.Timing("fabric_configtx, the same block", configtx, "")
	table.Ratio("ratio: re-run with nothing to change / warm deploy", bench.Ratio(merged(noChange), merged(warm)),
		fmt.Sprintf("issue 14's goal: at most 0.10x, and at most 15 s (median %s)", bench.Seconds(merged(noChange).Median)))
	table.Ratio("ratio: re-run after one change / re-run with nothing to change", bench.Ratio(merged(oneChange), merged(noChange)),
		"goal: little more than the broker's restart")
	table.Ratio("ratio: larger inventory / six hosts (warm Go cache)", bench.Ratio(merged(large), merged(warm)), "issue 14's goal: at most 1.3x")
	table.Ratio("ratio: cold deploy / warm deploy", bench.Ratio(merged(cold), merged(warm)), "what the chaincode's cold compile costs")
	table.Ratio("ratio: deploy from nothing / plain script (warm Go cache)", bench.Ratio(merged(warm), merged(plain)),
		"issue 14's goal: at most 1.2x, phase by phase:")
	for _, ph := range b.order[plain] {
		f, p := bench.Summarize(b.phases[warm][ph]), bench.Summarize(b.phases[plain][ph])
		table.Ratio("  "+ph, bench.Ratio(f, p), fmt.Sprintf("fabrun %s, plain %s", bench.Seconds(f.Median), bench.Seconds(p.Median)))
	}
	table.Ratio("ratio: fabric_crypto / cryptogen", bench.Ratio(crypto, cryptogen), "")
	table.Ratio("ratio: fabric_configtx / configtxgen", bench.Ratio(configtx, configtxgen), "")
	if err != nil {
		return s.fail(report.ExitDeploy, "bench: %v (the rows above hold what was measured)", err)
	}

	// Throughput: the default batch settings, then BatchTimeout changed on a
	// network deployed again with it (a channel's genesis settings are fixed).
	defTimeout := roleDefault(s.home, "artifacts", "artifacts_batch_timeout")
	defCount := roleDefault(s.home, "artifacts", "artifacts_max_message_count")
	if code := s.benchThroughput(table, conc, fmt.Sprintf(", BatchTimeout %s (default), MaxMessageCount %s", defTimeout, defCount)); code != report.ExitOK {
		return code
	}
	if err := step(teardown+" (batch)", "teardown", "--delete-data", "--yes"); err != nil {
		return s.fail(report.ExitDeploy, "bench: %v", err)
	}
	if err := b.fromNothing(b.dir); err != nil {
		return s.fail(report.ExitDeploy, "bench: %v", err)
	}
	changedDeploy := "deploy from nothing, warm Go cache, BatchTimeout " + s.o.BatchTimeout
	if err := step(changedDeploy+" (1/1)", "deploy", "-e", "artifacts_batch_timeout="+s.o.BatchTimeout); err != nil {
		return s.fail(report.ExitDeploy, "bench: %v", err)
	}
	table.Timing(changedDeploy, merged(changedDeploy), b.slowestPhases(changedDeploy, 3))
	return s.benchThroughput(table, conc, fmt.Sprintf(", BatchTimeout %s, MaxMessageCount %s", s.o.BatchTimeout, defCount))
}

// prepare removes what an earlier bench left (stopping its services) and
// writes the bench's inventories: inventory/local with benchPrefix
// addresses, its hosts' directories, controller files and Go cache under
// dir; and the larger topology (tests/testdata/inventory-large) on
// benchLargePrefix under dir/large.
func (b *benchRun) prepare() error {
	for _, inv := range []string{b.inv, b.large} {
		if _, err := os.Stat(filepath.Join(filepath.Dir(inv), "hosts")); err == nil {
			b.s.println("an earlier bench left %s: stopping it and deleting its data", filepath.Dir(inv))
			if _, _, err := b.fabrunOn(inv, "teardown of an earlier bench", "teardown", "--delete-data", "--yes"); err != nil {
				return fmt.Errorf("cannot tear down the earlier bench in %s: %v", b.dir, err)
			}
		}
	}
	if err := os.RemoveAll(b.dir); err != nil {
		return err
	}
	err := b.copyInventory(DefaultInventory(b.s.home), b.inv, "127.0.194.", benchPrefix, benchBroker, map[string]string{
		// The copy is not two levels under the checkout: name the root.
		"fabrun_repo_root": b.s.home,
		"fabrun_home":      filepath.Join(b.dir, "hosts") + "/{{ inventory_hostname }}",
		"fabrun_workdir":   filepath.Join(b.dir, "controller"),
		"peer_gocache":     b.gocache,
	})
	if err != nil {
		return err
	}
	large := filepath.Dir(b.large)
	return b.copyInventory(filepath.Join(b.s.home, "tests", "testdata", "inventory-large"), b.large, "127.0.198.", benchLargePrefix, "node6",
		map[string]string{
			"fabrun_home":         filepath.Join(large, "hosts") + "/{{ inventory_hostname }}",
			"fabrun_workdir":      filepath.Join(large, "controller"),
			"fabrun_software_dir": filepath.Join(b.s.home, "build"),
			"peer_gocache":        b.gocache,
		})
}

// copyInventory copies the inventory src to dst with its hosts moved from
// the address prefix from to to (host, one of them, must be there) and vars
// set in group_vars/all.yml. Vars the source's all.yml sets are replaced;
// for inventory/local they must be there (the bench relies on them).
func (b *benchRun) copyInventory(src, dst, from, to, host string, vars map[string]string) error {
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		return fmt.Errorf("copying %s: %v", src, err)
	}
	hostsFile := filepath.Join(dst, "hosts.yml")
	hosts, err := os.ReadFile(hostsFile)
	if err != nil {
		return err
	}
	moved := strings.ReplaceAll(string(hosts), "ansible_host: "+from, "ansible_host: "+to)
	if moved == string(hosts) || !strings.Contains(moved, host+":") {
		return fmt.Errorf("%s/hosts.yml no longer places the hosts on %sx with %s: update the bench", src, from, host)
	}
	if err := os.WriteFile(hostsFile, []byte(moved), 0o644); err != nil {
		return err
	}
	allFile := filepath.Join(dst, "group_vars", "all.yml")
	raw, err := os.ReadFile(allFile)
	if err != nil {
		return err
	}
	var all map[string]any
	if err := yaml.Unmarshal(raw, &all); err != nil {
		return fmt.Errorf("%s: %v", allFile, err)
	}
	for k, v := range vars {
		if _, ok := all[k]; !ok && dst == b.inv {
			return fmt.Errorf("%s no longer sets %s: update the bench", allFile, k)
		}
		all[k] = v
	}
	// The controller's chaincode build too (the role's default is the
	// user's own Go cache, which the environment's GOCACHE does not reach):
	// a cold deploy empties this one.
	all["chaincode_gocache"] = b.gocache
	out, err := yaml.Marshal(all)
	if err != nil {
		return err
	}
	return os.WriteFile(allFile, out, 0o644)
}

// cleanup stops the bench's network, deletes its data and removes dir.
func (b *benchRun) cleanup() {
	// Cleaning up runs even after Ctrl-C.
	ctx := b.s.ctx
	b.s.ctx = context.WithoutCancel(ctx)
	defer func() { b.s.ctx = ctx }()
	if _, _, err := b.fabrun("clean up: teardown --delete-data", "teardown", "--delete-data", "--yes"); err != nil {
		b.s.println("bench: %v; %s is left for you to look at", err, b.dir)
		return
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(b.large), "hosts")); err == nil {
		if _, _, err := b.fabrunOn(b.large, "clean up: teardown --delete-data, larger inventory", "teardown", "--delete-data", "--yes"); err != nil {
			b.s.println("bench: %v; %s is left for you to look at", err, b.dir)
			return
		}
	}
	if err := os.RemoveAll(b.dir); err != nil {
		b.s.println("bench: removing %s: %v", b.dir, err)
	}
}

// fromNothing removes, once the network is stopped, what teardown
// --delete-data keeps: every host's installed software and configuration
// and the controller's crypto material, channel artifacts and chaincode
// build of the network under root (b.dir, or the larger one's); also each
// of also (the Go cache, for a cold deploy).
func (b *benchRun) fromNothing(root string, also ...string) error {
	for _, d := range append([]string{filepath.Join(root, "hosts"), filepath.Join(root, "controller")}, also...) {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
	}
	return nil
}

// toggleBrokerSetting changes one broker setting on benchBroker: it sets
// kafka_log_level WARN, or removes it again (the default, INFO).
func (b *benchRun) toggleBrokerSetting() error {
	f := filepath.Join(b.inv, "host_vars", benchBroker+".yml")
	if _, err := os.Stat(f); err == nil {
		return os.Remove(f)
	}
	if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
		return err
	}
	return os.WriteFile(f, []byte("---\n# fabrun bench: the one change of a re-run\nkafka_log_level: WARN\n"), 0o644)
}

// fabrun runs this binary's command (args[0]) on the bench's inventory as a
// user would, with --json, and returns its wall-clock seconds and document.
func (b *benchRun) fabrun(what string, args ...string) (float64, *benchDoc, error) {
	return b.fabrunOn(b.inv, what, args...)
}

// fabrunOn is fabrun on the inventory inv.
func (b *benchRun) fabrunOn(inv, what string, args ...string) (float64, *benchDoc, error) {
	s := b.s
	s.prog.Begin(what)
	argv := append([]string{args[0], "--home", s.home, "-i", inv, "--log-dir", b.logDir, "--json"}, args[1:]...)
	for _, e := range s.o.ExtraVars {
		argv = append(argv, "-e", e)
	}
	cmd := exec.CommandContext(s.ctx, b.exe, argv...)
	// Ctrl-C reaches the child as an interrupt, so it stops Ansible cleanly.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = time.Minute
	cmd.Env = append(os.Environ(), "GOCACHE="+b.gocache)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	runErr := cmd.Run()
	secs := time.Since(start).Seconds()
	doc := &benchDoc{}
	jsonErr := json.Unmarshal(stdout.Bytes(), doc)
	if jsonErr != nil {
		doc = nil
	}
	if jsonErr != nil || runErr != nil || !doc.OK {
		why := ""
		if doc != nil {
			why = doc.Error
		}
		if why == "" && runErr != nil {
			why = runErr.Error()
		}
		s.prog.End(false, why)
		s.lines(strings.Split(bench.LastLines(stderr.String(), 15), "\n"))
		return secs, doc, fmt.Errorf("fabrun %s failed: %s (logs in %s)", args[0], why, b.logDir)
	}
	s.prog.End(true, bench.Seconds(secs))
	return secs, doc, nil
}

// addPhases records a run's phase times under its measurement.
func (b *benchRun) addPhases(what string, phases []report.Phase) {
	what, _, _ = strings.Cut(what, " (")
	if b.phases[what] == nil {
		b.phases[what] = map[string][]float64{}
		b.order[what] = nil
	}
	for _, p := range phases {
		if _, seen := b.phases[what][p.Name]; !seen {
			b.order[what] = append(b.order[what], p.Name)
		}
		b.phases[what][p.Name] = append(b.phases[what][p.Name], p.Seconds)
	}
}

// slowestPhases names the n phases of a measurement with the largest median.
func (b *benchRun) slowestPhases(what string, n int) string {
	type phase struct {
		name string
		s    bench.Summary
	}
	var ps []phase
	for name, xs := range b.phases[what] {
		ps = append(ps, phase{name, bench.Summarize(xs)})
	}
	if len(ps) < 2 {
		return ""
	}
	slices.SortFunc(ps, func(x, y phase) int {
		if x.s.Median != y.s.Median {
			if x.s.Median > y.s.Median {
				return -1
			}
			return 1
		}
		return strings.Compare(x.name, y.name)
	})
	var parts []string
	for _, p := range ps[:min(n, len(ps))] {
		parts = append(parts, fmt.Sprintf("%s %s", p.name, bench.Seconds(p.s.Median)))
	}
	return "slowest phases: " + strings.Join(parts, ", ")
}

// micro times the Fabric tools against the modules that replace them on the
// deployed network's own rendered configuration: cryptogen generate vs
// fabric_crypto, configtxgen's genesis block vs fabric_configtx, each a fresh
// process into a fresh output, alternating.
func (b *benchRun) micro() (map[string][]float64, error) {
	s := b.s
	if err := s.load(); err != nil {
		return nil, err
	}
	s.prog.Begin(fmt.Sprintf("module micro-benchmarks (%d runs each)", s.o.Runs))
	home, ctl := s.home, filepath.Join(b.dir, "controller")
	tmp := filepath.Join(b.dir, "micro")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	cryptoConfig := filepath.Join(ctl, "crypto-config.yaml")
	profile := roleDefault(home, "artifacts", "artifacts_genesis_profile")
	channel := orDefault(s.loaded.Outcome.SystemChannel, "system-channel")
	tool := func(name string) string { return filepath.Join(home, "build", "fabric", "bin", name) }
	module := func(name string) string { return filepath.Join(home, "plugins", "modules", name) }
	out := func(kind string, i int) string { return filepath.Join(tmp, fmt.Sprintf("%s-%d", kind, i)) }
	ts, err := bench.TimeAlternating(s.o.Runs,
		func(i int) error {
			return bench.RunCommand(s.ctx, tmp, tool("cryptogen"), "generate", "--config="+cryptoConfig, "--output="+out("cryptogen", i))
		},
		func(i int) error {
			_, err := bench.RunModule(s.ctx, module("fabric_crypto"), tmp, map[string]any{"config_file": cryptoConfig, "output_dir": out("fabric_crypto", i)})
			return err
		},
		func(i int) error {
			return bench.RunCommand(s.ctx, tmp, tool("configtxgen"), "-configPath", ctl, "-profile", profile, "-channelID", channel,
				"-outputBlock", out("configtxgen", i))
		},
		func(i int) error {
			_, err := bench.RunModule(s.ctx, module("fabric_configtx"), tmp, map[string]any{"config_file": filepath.Join(ctl, "configtx.yaml"),
				"profile": profile, "kind": "genesis_block", "channel_id": channel, "output": out("fabric_configtx", i)})
			return err
		})
	if err != nil {
		s.prog.End(false, err.Error())
		return nil, fmt.Errorf("micro-benchmarks: %v", err)
	}
	s.prog.End(true, "")
	return map[string][]float64{"cryptogen": ts[0], "fabric_crypto": ts[1], "configtxgen": ts[2], "fabric_configtx": ts[3]}, nil
}

// roleDefault is a role's default for key, from roles/<role>/defaults/main.yml
// ("" if unreadable).
func roleDefault(home, role, key string) string {
	raw, err := os.ReadFile(filepath.Join(home, "roles", role, "defaults", "main.yml"))
	if err != nil {
		return ""
	}
	var m map[string]any
	if yaml.Unmarshal(raw, &m) != nil {
		return ""
	}
	if v, ok := m[key]; ok {
		return fmt.Sprint(v)
	}
	return ""
}
