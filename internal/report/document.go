// Package report is what fabrun shows: progress a person can follow on a
// terminal (one line per phase, a spinner or a counter during long waits),
// summaries, and the one JSON document --json prints at the end.
package report

import (
	"encoding/json"
	"io"
	"time"

	"github.com/fabrun/fabrun/internal/preflight"
	"github.com/fabrun/fabrun/internal/status"
	"github.com/fabrun/fabrun/internal/verify"
)

// Exit codes. They tell a failed deploy from a failed verification from
// preflight errors, for scripts and CI.
const (
	ExitOK        = 0
	ExitUsage     = 1 // bad flags, no repository, an internal error
	ExitDeploy    = 2 // a playbook failed (deploy, teardown, plan)
	ExitVerify    = 3 // verification failed, or status found unhealthy nodes
	ExitPreflight = 4 // preflight found errors
	ExitCancelled = 5 // the user declined (teardown) or no answer could be asked
	ExitInterrupt = 130
)

// Phase is one step with its time: preflight, a play, verify.
type Phase struct {
	Name    string  `json:"name"`
	OK      bool    `json:"ok"`
	Skipped bool    `json:"skipped,omitempty"`
	Seconds float64 `json:"seconds"`
	Detail  string  `json:"detail,omitempty"`
}

// Document is the one JSON document --json prints.
type Document struct {
	Command   string    `json:"command"`
	OK        bool      `json:"ok"`
	ExitCode  int       `json:"exit_code"`
	Home      string    `json:"home,omitempty"`
	Inventory string    `json:"inventory,omitempty"`
	Started   time.Time `json:"started"`
	Seconds   float64   `json:"seconds"`
	Check     bool      `json:"check_mode,omitempty"`
	Phases    []Phase   `json:"phases,omitempty"`
	// Error is the reason for failure in one sentence.
	Error     string            `json:"error,omitempty"`
	Preflight *preflight.Report `json:"preflight,omitempty"`
	// Playbook is the run of the last playbook and Failures its failed
	// tasks (the runner's playbook.Result and its Failures: report shows
	// them, the runner defines them).
	Playbook any                 `json:"playbook,omitempty"`
	Failures any                 `json:"failures,omitempty"`
	Verify   *verify.Outcome     `json:"verify,omitempty"`
	Heights  map[string]uint64   `json:"heights,omitempty"`
	Status   *status.Report      `json:"status,omitempty"`
	Plan     map[string][]string `json:"plan,omitempty"`
	Network  *NetworkSummary     `json:"network,omitempty"`
	Extra    map[string]any      `json:"extra,omitempty"`
}

// NetworkSummary names what was deployed.
type NetworkSummary struct {
	Channel   string   `json:"channel"`
	Chaincode string   `json:"chaincode"`
	Version   string   `json:"chaincode_version"`
	Orderers  []string `json:"orderers"`
	Brokers   []int    `json:"kafka_brokers"`
	ZooKeeper []int    `json:"zookeeper"`
	Peers     []string `json:"peers"`
}

// WriteJSON prints the document, indented, followed by a newline.
func WriteJSON(w io.Writer, d *Document) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(d)
}
