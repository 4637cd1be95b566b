package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fabrun/fabrun/internal/preflight"
	"github.com/fabrun/fabrun/internal/status"
	"github.com/fabrun/fabrun/internal/verify"
)

// Status words at the start of a phase line.
const (
	wordOK   = "ok"
	wordFail = "FAILED"
	wordSkip = "skip"
	wordWarn = "warn"
)

// FormatDuration prints 0.4s, 14.2s, 2m05s, 1h02m.
func FormatDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "0.0s"
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}

// PhaseLine is "ok      ZooKeeper ensemble                         14.2s  2 hosts, 5 changed".
func PhaseLine(word, name string, d time.Duration, detail string) string {
	line := fmt.Sprintf("%-6s  %-40s %8s", word, truncate(name, 40), FormatDuration(d))
	if detail != "" {
		line += "  " + detail
	}
	return line
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// PlaySummary is what the terminal says of a finished play.
type PlaySummary struct {
	Hosts                  []string
	Tasks, Changed, Failed int
	NoHosts                bool
}

// PlayDetail summarises a play: hosts and what changed or failed.
func PlayDetail(p PlaySummary) string {
	if p.NoHosts {
		return "no hosts matched"
	}
	var parts []string
	if n := len(p.Hosts); n > 0 && !(n == 1 && (p.Hosts[0] == "localhost" || p.Hosts[0] == "all")) {
		parts = append(parts, strings.Join(p.Hosts, ","))
	}
	parts = append(parts, plural(p.Tasks, "task"))
	if p.Changed > 0 {
		parts = append(parts, fmt.Sprintf("%d changed", p.Changed))
	} else {
		parts = append(parts, "no change")
	}
	if p.Failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", p.Failed))
	}
	return strings.Join(parts, ", ")
}

var spinnerFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// Progress follows a run: it prints a line when a phase (a play, or a step
// of the runner) ends, and while one runs shows a spinner on a terminal or,
// elsewhere, a line every Every during long waits (retries and long tasks).
type Progress struct {
	W io.Writer
	// TTY: redraw a live line with a spinner.
	TTY bool
	// Quiet: Ansible's own output is shown too (-v): no live line.
	Quiet bool
	// Every is how often a waiting line is printed off a terminal (default 15s).
	Every time.Duration
	// Now is the clock; a test's own clock also keeps the live goroutine
	// off, whose ticks would follow the real one.
	Now func() time.Time

	mu        sync.Mutex
	phase     string
	start     time.Time
	task      string
	taskStart time.Time
	wait      string
	lastWait  time.Time
	live      bool
	frame     int
	stop      chan struct{}
	done      chan struct{}
	Phases    []Phase
}

func (p *Progress) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Progress) every() time.Duration {
	if p.Every > 0 {
		return p.Every
	}
	return 15 * time.Second
}

// Begin starts a phase.
func (p *Progress) Begin(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.phase, p.start, p.task, p.wait = name, p.now(), "", ""
	p.lastWait = p.start
	if !p.Quiet && p.Now == nil && p.stop == nil {
		p.stop, p.done = make(chan struct{}), make(chan struct{})
		go p.spin(p.stop, p.done)
	}
	if !p.TTY && p.Quiet {
		fmt.Fprintf(p.W, "%-6s  %s\n", "...", name)
	}
}

// Task notes the task that runs now (shown on the live line).
func (p *Progress) Task(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.task, p.taskStart, p.wait = name, p.now(), ""
}

// Wait notes a retry (a wait for a port, a leader, a block...).
func (p *Progress) Wait(host string, attempt, retries int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.wait = fmt.Sprintf("%s: attempt %d/%d", host, attempt, retries)
	if !p.TTY && p.now().Sub(p.lastWait) >= p.every() {
		p.lastWait = p.now()
		fmt.Fprintf(p.W, "%-6s  %s: %s (%s, %s)\n", "...", p.phase, p.task, p.wait, FormatDuration(p.now().Sub(p.start)))
	}
}

// tick prints a "still running" line off a terminal when a task has run
// longer than Every since the last line (the live goroutine calls it).
func (p *Progress) tick() {
	if p.TTY || p.phase == "" {
		return
	}
	if p.now().Sub(p.lastWait) >= p.every() {
		p.lastWait = p.now()
		what := p.task
		if p.wait != "" {
			what += " (" + p.wait + ")"
		}
		fmt.Fprintf(p.W, "%-6s  %s: %s (%s)\n", "...", p.phase, what, FormatDuration(p.now().Sub(p.start)))
	}
}

// End closes the current phase with a line.
func (p *Progress) End(ok bool, detail string) Phase {
	return p.end(ok, false, detail)
}

// Skip records a phase that did not run.
func (p *Progress) Skip(name, why string) Phase {
	p.Begin(name)
	return p.end(true, true, why)
}

func (p *Progress) end(ok, skipped bool, detail string) Phase {
	p.stopSpinner()
	p.mu.Lock()
	defer p.mu.Unlock()
	d := p.now().Sub(p.start)
	word := wordOK
	switch {
	case skipped:
		word = wordSkip
	case !ok:
		word = wordFail
	}
	p.clearLive()
	fmt.Fprintln(p.W, PhaseLine(word, p.phase, d, detail))
	ph := Phase{Name: p.phase, OK: ok, Skipped: skipped, Seconds: round(d.Seconds()), Detail: detail}
	p.Phases = append(p.Phases, ph)
	p.phase, p.task, p.wait = "", "", ""
	return ph
}

// Println prints a line above the live line.
func (p *Progress) Println(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearLive()
	fmt.Fprintln(p.W, s)
}

func round(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }

func (p *Progress) clearLive() {
	if p.live {
		fmt.Fprint(p.W, "\r\033[K")
		p.live = false
	}
}

func (p *Progress) stopSpinner() {
	p.mu.Lock()
	stop, done := p.stop, p.done
	p.stop, p.done = nil, nil
	p.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
}

// Close stops the spinner.
func (p *Progress) Close() {
	p.stopSpinner()
	p.mu.Lock()
	p.clearLive()
	p.mu.Unlock()
}

func (p *Progress) spin(stop, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(120 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			p.mu.Lock()
			if !p.TTY {
				p.tick()
			} else if p.phase != "" {
				p.frame = (p.frame + 1) % len(spinnerFrames)
				fmt.Fprint(p.W, "\r\033[K"+p.liveLine())
				p.live = true
			}
			p.mu.Unlock()
		}
	}
}

// liveLine is the spinner line: "⠋ Kafka brokers · Wait for Kafka (server214: attempt 3/60) 12.3s".
func (p *Progress) liveLine() string {
	s := spinnerFrames[p.frame] + " " + p.phase
	if p.task != "" {
		s += " · " + truncate(p.task, 50)
	}
	if p.wait != "" {
		s += " (" + p.wait + ")"
	}
	return s + " " + FormatDuration(p.now().Sub(p.start))
}

// PreflightLines prints findings, errors first, one per line, indented.
func PreflightLines(r *preflight.Report) []string {
	var out []string
	for _, f := range r.Findings {
		word := map[preflight.Level]string{preflight.Error: "error", preflight.Warning: "warning", preflight.Info: "note"}[f.Level]
		line := fmt.Sprintf("        %s: %s", word, f.Message)
		// A message about one host already starts with its name.
		if len(f.Hosts) > 0 && !strings.HasPrefix(f.Message, f.Hosts[0]+": ") {
			line += " [" + strings.Join(f.Hosts, ", ") + "]"
		}
		out = append(out, line)
		if f.Advice != "" {
			out = append(out, "          -> "+f.Advice)
		}
	}
	return out
}

// PreflightDetail is "2 warnings" / "1 error, 2 warnings" / "".
func PreflightDetail(r *preflight.Report) string {
	var parts []string
	if n := len(r.Of(preflight.Error)); n > 0 {
		parts = append(parts, plural(n, "error"))
	}
	if n := len(r.Of(preflight.Warning)); n > 0 {
		parts = append(parts, plural(n, "warning"))
	}
	return strings.Join(parts, ", ")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// StatusLines is the status table.
func StatusLines(r *status.Report) []string {
	var out []string
	for _, n := range r.Nodes {
		word := wordOK
		text := n.Detail
		if !n.Healthy {
			word = wordFail
			text = n.Error
		}
		where := n.Host
		if n.Endpoint != "" {
			where = strings.TrimSpace(n.Host + " " + n.Endpoint)
		}
		out = append(out, strings.TrimRight(fmt.Sprintf("%-6s  %-9s %-26s %-28s %s", word, n.Kind, n.Name, where, text), " "))
		if n.Affects != "" {
			out = append(out, fmt.Sprintf("%8s-> %s", "", n.Affects))
		}
	}
	bad := len(r.Unhealthy())
	if r.Healthy {
		out = append(out, fmt.Sprintf("all %d checks healthy", len(r.Nodes)))
	} else {
		out = append(out, fmt.Sprintf("%s of %d not healthy", plural(bad, "check"), len(r.Nodes)))
	}
	return out
}

// VerifyLines explains a verification.
func VerifyLines(o *verify.Outcome) []string {
	if o == nil {
		return nil
	}
	var out []string
	for _, c := range o.Checks {
		word := wordOK
		if !c.OK {
			word = wordFail
		}
		line := fmt.Sprintf("        %s %s", word, c.Name)
		if c.Detail != "" {
			line += " (" + c.Detail + ")"
		}
		out = append(out, line)
	}
	if o.Error != "" {
		out = append(out, "        error: "+o.Error)
	}
	return out
}

// VerifyDetail is the one-line result of a verification.
func VerifyDetail(o *verify.Outcome) string {
	if o == nil {
		return ""
	}
	if o.Error != "" && len(o.After) == 0 {
		return "could not verify"
	}
	var peers []string
	for _, b := range o.After {
		peers = append(peers, short(b.Peer))
	}
	if len(o.After) == 0 {
		return o.Mode
	}
	a := o.After[0]
	return fmt.Sprintf("%s: a=%d b=%d, moved 10, a=%d b=%d on %s",
		o.Mode, o.Before.From, o.Before.To, a.From, a.To, strings.Join(peers, ", "))
}

// short is peer0.org1 for peer0.org1.example.com.
func short(fqdn string) string {
	parts := strings.SplitN(fqdn, ".", 3)
	if len(parts) >= 2 {
		return parts[0] + "." + parts[1]
	}
	return fqdn
}

// SummaryLines is the success summary of a deploy or verify.
func SummaryLines(n *NetworkSummary, o *verify.Outcome, heights map[string]uint64, phases []Phase) []string {
	var out []string
	if n != nil {
		ordering := fmt.Sprintf("orderers %s; Kafka brokers %s; ZooKeeper %s", strings.Join(n.Orderers, ", "), ints(n.Brokers), ints(n.ZooKeeper))
		if len(n.Brokers) == 0 { // etcdraft: the orderers are the whole ordering service
			ordering = "Raft orderers " + strings.Join(n.Orderers, ", ")
		}
		out = append(out, fmt.Sprintf("  channel     %s (%s)", n.Channel, ordering))
		var peers []string
		for _, p := range n.Peers {
			s := p
			if h, ok := heights[p]; ok {
				s += fmt.Sprintf(" (height %d)", h)
			}
			peers = append(peers, s)
		}
		out = append(out, fmt.Sprintf("  peers       %s joined: %s", plural(len(n.Peers), "peer"), strings.Join(peers, ", ")))
		out = append(out, fmt.Sprintf("  chaincode   %s %s", n.Chaincode, n.Version))
	}
	if o != nil && len(o.After) > 0 {
		var reads []string
		for _, b := range o.After {
			reads = append(reads, fmt.Sprintf("a=%d b=%d on %s", b.From, b.To, b.Peer))
		}
		out = append(out, fmt.Sprintf("  values      %s network: read a=%d b=%d, moved 10 (tx %s), then %s",
			o.Mode, o.Before.From, o.Before.To, shortTx(o.TxID), strings.Join(reads, "; ")))
	}
	if len(phases) > 0 {
		// Phases of the same name (each phase playbook's preflight play) add up.
		var names []string
		secs := map[string]float64{}
		count := map[string]int{}
		for _, p := range phases {
			if p.Skipped {
				continue
			}
			if count[p.Name] == 0 {
				names = append(names, p.Name)
			}
			count[p.Name]++
			secs[p.Name] += p.Seconds
		}
		var ps []string
		for _, n := range names {
			s := fmt.Sprintf("%s %s", n, FormatDuration(time.Duration(secs[n]*float64(time.Second))))
			if count[n] > 1 {
				s += fmt.Sprintf(" (%d×)", count[n])
			}
			ps = append(ps, s)
		}
		out = append(out, "  time        "+strings.Join(ps, " · "))
	}
	return out
}

func shortTx(tx string) string {
	if len(tx) > 12 {
		return tx[:12]
	}
	return tx
}

func ints(xs []int) string {
	s := append([]int(nil), xs...)
	sort.Ints(s)
	var parts []string
	for _, x := range s {
		parts = append(parts, fmt.Sprint(x))
	}
	return strings.Join(parts, ", ")
}
