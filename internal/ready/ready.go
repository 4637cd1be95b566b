// Package ready is the fabric_ready module: it waits, on the node's host,
// until a service serves - a ZooKeeper member in a quorum (srvr over TLS),
// every broker of a Kafka cluster in its metadata, an operations /healthz
// endpoint answering 200, a service's own log saying it started
// (logready.go), or ZooKeeper no longer holding the registration a crashed
// broker left, before that broker starts (stale.go) - polling a few times a
// second in one process, where a JVM, a Python module or a Python script
// with a supervisorctl per poll cost up to a second each.
package ready

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/fabrun/fabrun/internal/kafka"
	"github.com/fabrun/fabrun/internal/module"
	"github.com/fabrun/fabrun/internal/probe"
)

// Args are the module's options.
type Args struct {
	ZooKeeper   string   `json:"zookeeper"`
	Modes       []string `json:"modes"`
	Kafka       []string `json:"kafka"`
	BrokerIDs   []int    `json:"broker_ids"`
	URL         string   `json:"url"`
	TLSCA       string   `json:"tls_ca"`
	TLSKeystore string   `json:"tls_keystore"`
	Timeout     float64  `json:"timeout"`
	Interval    float64  `json:"interval"`

	// Before a broker starts (stale.go).
	StaleBroker      *int   `json:"stale_broker"`
	ZooKeeperConnect string `json:"zookeeper_connect"`

	// A log wait (logready.go).
	Begin    string  `json:"begin"`
	Done     string  `json:"done"`
	What     string  `json:"what"`
	Hint     string  `json:"hint"`
	Restarts int     `json:"restarts"`
	Settled  float64 `json:"settled"`
	Manager  string  `json:"manager"`
	Program  string  `json:"program"`
	Socket   string  `json:"socket"`
	Log      string  `json:"log"`
	Unit     string  `json:"unit"`
}

// Spec declares the module's options.
func Spec() module.Spec {
	return module.Spec{
		Name: "fabric_ready",
		Options: map[string]module.Option{
			"zookeeper":         {Type: module.Str},
			"modes":             {Type: module.List, Elements: module.Str, Default: []any{"leader", "follower"}},
			"kafka":             {Type: module.List, Elements: module.Str},
			"broker_ids":        {Type: module.List, Elements: module.Int},
			"url":               {Type: module.Str},
			"tls_ca":            {Type: module.Path},
			"tls_keystore":      {Type: module.Path},
			"timeout":           {Type: module.Float, Default: 120.0},
			"interval":          {Type: module.Float, Default: 0.25},
			"stale_broker":      {Type: module.Int},
			"zookeeper_connect": {Type: module.Str},
			"begin":             {Type: module.Str},
			"done":              {Type: module.Str},
			"what":              {Type: module.Str, Default: "item"},
			"hint":              {Type: module.Str, Default: ""},
			"restarts":          {Type: module.Int, Default: 3},
			"settled":           {Type: module.Float, Default: 900.0},
			"manager":           {Type: module.Str, Choices: []any{"supervisor", "systemd"}},
			"program":           {Type: module.Str},
			"socket":            {Type: module.Path},
			"log":               {Type: module.Path},
			"unit":              {Type: module.Str},
		},
		MutuallyExclusive: [][]string{{"zookeeper", "kafka", "url", "begin", "stale_broker"}},
		RequiredOneOf:     [][]string{{"zookeeper", "kafka", "url", "begin", "stale_broker"}},
		RequiredTogether:  [][]string{{"begin", "done"}, {"kafka", "broker_ids"}, {"stale_broker", "zookeeper_connect"}},
		RequiredIf: []module.RequiredIf{
			{Option: "manager", Value: "supervisor", Requires: []string{"program", "socket", "log"}},
			{Option: "manager", Value: "systemd", Requires: []string{"unit"}},
		},
		SupportsCheckMode: true,
	}
}

// answer is one poll's outcome: ready, or why not (final: waiting longer
// cannot help); data for the result.
type answer struct {
	ready   bool
	final   bool
	problem string
	warning string // with ready: what the wait was for, worth telling
	data    map[string]any
}

// Run is the module's body. It only reads: check mode waits the same way.
func Run(ctx *module.Context) (module.Result, error) {
	var a Args
	if err := ctx.Decode(&a); err != nil {
		return module.Result{}, err
	}
	if a.Timeout <= 0 || a.Interval <= 0 {
		return module.Result{}, fmt.Errorf("timeout and interval must be positive (are %g and %g)", a.Timeout, a.Interval)
	}
	poll, what, closer, err := poller(a)
	if err != nil {
		return module.Result{}, err
	}
	if closer != nil {
		defer closer()
	}
	start := time.Now()
	deadline := start.Add(time.Duration(a.Timeout * float64(time.Second)))
	for tries := 1; ; tries++ {
		try := min(5*time.Second, time.Until(deadline))
		pctx, cancel := context.WithTimeout(context.Background(), max(try, 100*time.Millisecond))
		ans := poll(pctx)
		cancel()
		ans.data["tries"] = tries
		ans.data["seconds"] = time.Since(start).Round(10 * time.Millisecond).Seconds()
		if ans.ready {
			res := module.Result{Msg: what + " is ready", Data: ans.data}
			if ans.warning != "" {
				res.Warnings = []string{fmt.Sprintf("%s (waited %.1f s)", ans.warning, time.Since(start).Seconds())}
			}
			return res, nil
		}
		if ans.final {
			return module.Result{Data: ans.data}, fmt.Errorf("%s is not ready: %s", what, ans.problem)
		}
		if time.Now().Add(time.Duration(a.Interval * float64(time.Second))).After(deadline) {
			// The last answer stays in the failed result (stdout, content).
			return module.Result{Data: ans.data}, fmt.Errorf("%s is not ready after %.0f s (%d tries): %s", what, a.Timeout, tries, ans.problem)
		}
		time.Sleep(time.Duration(a.Interval * float64(time.Second)))
	}
}

// poller returns the poll for the service asked about, its name, and what
// to close when the wait ends (or nil).
func poller(a Args) (func(context.Context) answer, string, func(), error) {
	if a.Begin != "" {
		run, name, err := serviceRun(a, true)
		if err != nil {
			return nil, "", nil, err
		}
		poll, err := logPoller(a, run)
		return poll, name, nil, err
	}
	if a.TLSCA == "" {
		return nil, "", nil, errors.New("tls_ca is required with zookeeper, kafka, url and stale_broker")
	}
	if a.StaleBroker != nil {
		run, _, err := serviceRun(a, false)
		if err != nil {
			return nil, "", nil, err
		}
		return stalePoller(a, run)
	}
	if len(a.Kafka) > 0 {
		poll, what, err := kafkaPoller(a)
		return poll, what, nil, err
	}
	if a.URL != "" {
		if !strings.HasPrefix(a.URL, "https://") {
			return nil, "", nil, fmt.Errorf("url must be https:// (is %q)", a.URL)
		}
		client, err := probe.OpsClient(a.TLSCA, 0)
		if err != nil {
			return nil, "", nil, err
		}
		return func(ctx context.Context) answer {
			defer client.CloseIdleConnections()
			h, err := probe.Healthz(ctx, client, a.URL)
			if err != nil {
				return answer{problem: err.Error(), data: map[string]any{}}
			}
			return answer{ready: h.OK, problem: h.Problem(), data: map[string]any{"status": h.Code, "content": h.Body}}
		}, a.URL, nil, nil
	}
	if len(a.Modes) == 0 {
		return nil, "", nil, fmt.Errorf("modes must name at least one ZooKeeper mode")
	}
	cfg, err := backboneTLS(a)
	if err != nil {
		return nil, "", nil, err
	}
	return func(ctx context.Context) answer {
		text, err := probe.FourLetter(ctx, a.ZooKeeper, "srvr", cfg)
		data := map[string]any{"stdout": text}
		if err != nil {
			return answer{problem: err.Error(), data: data}
		}
		s, err := probe.ParseSrvr(text)
		if err != nil {
			return answer{problem: err.Error(), data: data}
		}
		data["mode"] = s.Mode
		if !slices.Contains(a.Modes, s.Mode) {
			return answer{problem: "mode " + s.Mode + ", want " + strings.Join(a.Modes, " or "), data: data}
		}
		return answer{ready: true, data: data}
	}, "ZooKeeper " + a.ZooKeeper, nil, nil
}

// backboneTLS is the client side of a ZooKeeper connection: tls_ca, and
// tls_keystore's certificate when given.
func backboneTLS(a Args) (*tls.Config, error) {
	pool, err := probe.CAPool(a.TLSCA)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if a.TLSKeystore != "" {
		pair, err := probe.KeyStore(a.TLSKeystore)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// serviceRun is the current run of the service manager's program or unit
// (with its log lines, or only whether it runs), and its name.
func serviceRun(a Args, lines bool) (currentRun, string, error) {
	log := a.Log
	if !lines {
		log = "" // a long-running service's log can be tens of megabytes
	}
	switch a.Manager {
	case "supervisor":
		return supervisorRun(a.Socket, a.Program, log), a.Program, nil
	case "systemd":
		return systemdRun(a.Unit, lines), a.Unit, nil
	}
	return nil, "", errors.New("manager is required with begin and stale_broker")
}

// kafkaPoller waits until the cluster's metadata lists every broker of
// broker_ids: registered in ZooKeeper and known to the controller.
func kafkaPoller(a Args) (func(context.Context) answer, string, error) {
	if len(a.BrokerIDs) == 0 {
		return nil, "", errors.New("broker_ids must name at least one broker")
	}
	if a.TLSKeystore == "" {
		return nil, "", errors.New("tls_keystore is required with kafka (the brokers want a client certificate)")
	}
	cfg, err := kafka.Config(a.TLSCA, a.TLSKeystore, time.Duration(min(a.Timeout, 5)*float64(time.Second)))
	if err != nil {
		return nil, "", err
	}
	// Each poll asks once: the poll loop is the retry.
	cfg.Metadata.Retry.Max = 0
	want := slices.Sorted(slices.Values(a.BrokerIDs))
	return func(context.Context) answer {
		ids, err := kafka.BrokerIDs(a.Kafka, cfg)
		if err != nil {
			return answer{problem: err.Error(), data: map[string]any{}}
		}
		data := map[string]any{"broker_ids": ids}
		var missing []string
		for _, id := range want {
			if !slices.Contains(ids, int32(id)) {
				missing = append(missing, fmt.Sprint(id))
			}
		}
		if len(missing) > 0 {
			return answer{problem: fmt.Sprintf("brokers %s are not in the cluster's metadata (it lists %v)", strings.Join(missing, ", "), ids), data: data}
		}
		return answer{ready: true, data: data}
	}, "the Kafka cluster (brokers " + strings.ReplaceAll(strings.Trim(fmt.Sprint(want), "[]"), " ", ", ") + ")", nil
}

// logPoller waits for the service's log (logready.go).
func logPoller(a Args, run currentRun) (func(context.Context) answer, error) {
	w := logWait{what: a.What, hint: a.Hint, restarts: a.Restarts, settled: time.Duration(a.Settled * float64(time.Second))}
	var err error
	if w.begin, err = regexp.Compile(a.Begin); err != nil {
		return nil, fmt.Errorf("begin: %v", err)
	}
	if w.done, err = regexp.Compile(a.Done); err != nil {
		return nil, fmt.Errorf("done: %v", err)
	}
	if w.begin.NumSubexp() < 1 || w.done.NumSubexp() < 1 {
		return nil, errors.New("begin and done must each have a group naming what starts")
	}
	var pids []int
	return func(ctx context.Context) answer { return w.poll(ctx, run, &pids, processAge) }, nil
}
