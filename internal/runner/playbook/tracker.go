package playbook

import (
	"encoding/json"
	"sort"
	"sync"
	"time"
)

// Result is what one ansible-playbook run did, built from its events.
type Result struct {
	Playbook string        `json:"playbook"`
	Start    time.Time     `json:"start"`
	End      time.Time     `json:"end"`
	Plays    []*PlayResult `json:"plays"`
	// Failures are the host results that failed the run (ignored errors are not here).
	Failures []Failure `json:"failures,omitempty"`
	// Stats is the PLAY RECAP, by host.
	Stats map[string]*Stats `json:"stats,omitempty"`
	// Changes lists, per host, the tasks that changed something (or, in check
	// mode, would change something), in run order.
	Changes map[string][]string `json:"changes,omitempty"`
	// ExitCode is ansible-playbook's exit status (0 success, -1 unknown).
	ExitCode int `json:"exit_code"`
	// Error explains a failure that no host result explains (a syntax error,
	// a missing playbook, an interrupted run): the tail of stderr.
	Error string `json:"error,omitempty"`
	// Log is the file with ansible-playbook's full output.
	Log string `json:"log,omitempty"`
	// Preflight is the last fabric_preflight outcome of the run (nil: the
	// rules did not run).
	Preflight json.RawMessage `json:"-"`
}

// OK is true when the run finished with no failed or unreachable host.
func (r *Result) OK() bool {
	if r == nil {
		return false
	}
	if r.ExitCode != 0 || len(r.Failures) > 0 {
		return false
	}
	for _, s := range r.Stats {
		if s.Failures > 0 || s.Unreachable > 0 {
			return false
		}
	}
	return true
}

// Duration is how long the run took.
func (r *Result) Duration() time.Duration {
	if r.End.IsZero() || r.Start.IsZero() {
		return 0
	}
	return r.End.Sub(r.Start)
}

// ChangedHosts lists the hosts with at least one change, sorted.
func (r *Result) ChangedHosts() []string {
	var hosts []string
	for h, tasks := range r.Changes {
		if len(tasks) > 0 {
			hosts = append(hosts, h)
		}
	}
	sort.Strings(hosts)
	return hosts
}

// TotalChanged counts changed host results over the whole run.
func (r *Result) TotalChanged() int {
	n := 0
	for _, p := range r.Plays {
		n += p.Changed
	}
	return n
}

// PlayResult is one play's summary.
type PlayResult struct {
	Name    string    `json:"name"`
	Hosts   []string  `json:"hosts,omitempty"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Tasks   int       `json:"tasks"`
	OK      int       `json:"ok"`
	Changed int       `json:"changed"`
	Failed  int       `json:"failed"`
	Skipped int       `json:"skipped"`
	// NoHosts is true when the play matched no host (e.g. --limit).
	NoHosts bool `json:"no_hosts,omitempty"`
	// Stopped is true when the run ended inside the play (no recap).
	Stopped bool `json:"stopped,omitempty"`
}

// Duration is how long the play took.
func (p *PlayResult) Duration() time.Duration {
	if p.End.IsZero() || p.Start.IsZero() {
		return 0
	}
	return p.End.Sub(p.Start)
}

// Failure is a failed task on a host.
type Failure struct {
	Play        string `json:"play"`
	Task        string `json:"task"`
	Host        string `json:"host"`
	Action      string `json:"action,omitempty"`
	Path        string `json:"path,omitempty"`
	Message     string `json:"message"`
	Unreachable bool   `json:"unreachable,omitempty"`
}

// Tracker folds events into a Result. Handle may be called from one
// goroutine at a time; Snapshot from any.
type Tracker struct {
	mu        sync.Mutex
	res       Result
	play      *PlayResult
	now       func() time.Time
	onPlayEnd func(PlayResult)
}

// OnPlayEnd has f called with each play's counts when the play ends (the
// next play starts, the recap comes, or the run finishes inside it).
func (t *Tracker) OnPlayEnd(f func(PlayResult)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.onPlayEnd = f
}

// NewTracker starts tracking a run of playbook.
func NewTracker(playbook string, now func() time.Time) *Tracker {
	if now == nil {
		now = time.Now
	}
	return &Tracker{
		res: Result{Playbook: playbook, Start: now(), ExitCode: -1,
			Stats: map[string]*Stats{}, Changes: map[string][]string{}},
		now: now,
	}
}

func (t *Tracker) at(ev *Event) time.Time {
	if ts := ev.Time(); !ts.IsZero() {
		return ts
	}
	return t.now()
}

// Handle folds one event in.
func (t *Tracker) Handle(ev *Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	at := t.at(ev)
	switch ev.Event {
	case EventPlayStart:
		t.closePlay(at, false)
		p := &PlayResult{Start: at}
		if ev.Play != nil {
			p.Name, p.Hosts = ev.Play.Name, ev.Play.Hosts
		}
		t.res.Plays = append(t.res.Plays, p)
		t.play = p
	case EventTaskStart, EventHandlerStart:
		if t.play != nil {
			t.play.Tasks++
			t.play.End = at
		}
	case EventNoHosts:
		if t.play != nil {
			t.play.NoHosts = true
		}
	case EventOK, EventFailed, EventSkipped, EventUnreachable:
		if t.play != nil {
			t.play.End = at
		}
		for host, hr := range ev.Hosts {
			t.hostResult(ev, host, hr)
		}
	case EventStats:
		t.closePlay(at, false)
		for h, s := range ev.Stats {
			t.res.Stats[h] = s
		}
	}
}

func (t *Tracker) hostResult(ev *Event, host string, hr *HostResult) {
	taskName, taskPath, action := "", "", ""
	if ev.Task != nil {
		taskName, taskPath, action = ev.Task.Name, ev.Task.Path, ev.Task.Action
	}
	if hr != nil && hr.Action != "" {
		action = hr.Action
	}
	playName := ""
	if t.play != nil {
		playName = t.play.Name
	}
	if hr != nil && len(hr.Preflight) > 0 {
		t.res.Preflight = hr.Preflight
	}
	switch {
	case ev.Event == EventFailed && hr != nil && hr.IgnoreErrors:
		// Ignored: neither a failure nor a change.
	case ev.Event == EventFailed || ev.Event == EventUnreachable:
		if t.play != nil {
			t.play.Failed++
		}
		t.res.Failures = append(t.res.Failures, Failure{
			Play: playName, Task: taskName, Host: host, Action: action, Path: taskPath,
			Message: hr.Message(), Unreachable: ev.Event == EventUnreachable,
		})
	case ev.Event == EventSkipped:
		if t.play != nil {
			t.play.Skipped++
		}
	case ev.Event == EventOK:
		if t.play != nil {
			t.play.OK++
		}
		if hr != nil && hr.Changed {
			if t.play != nil {
				t.play.Changed++
			}
			t.res.Changes[host] = append(t.res.Changes[host], qualified(playName, taskName))
		}
	}
}

func qualified(play, task string) string {
	if play == "" {
		return task
	}
	return play + " : " + task
}

func (t *Tracker) closePlay(at time.Time, stopped bool) {
	if t.play == nil {
		return
	}
	if t.play.End.IsZero() || t.play.End.Before(at) {
		t.play.End = at
	}
	t.play.Stopped = stopped
	if t.onPlayEnd != nil {
		t.onPlayEnd(*t.play)
	}
	t.play = nil
}

// Finish closes the run with ansible-playbook's exit code and an error
// text for failures no host result explains.
func (t *Tracker) Finish(exitCode int, errText string) *Result {
	t.mu.Lock()
	defer t.mu.Unlock()
	end := t.now()
	t.closePlay(end, true)
	t.res.End = end
	t.res.ExitCode = exitCode
	if exitCode != 0 && len(t.res.Failures) == 0 {
		t.res.Error = errText
	}
	return t.snapshot()
}

func (t *Tracker) snapshot() *Result {
	r := t.res
	r.Plays = make([]*PlayResult, len(t.res.Plays))
	for i, p := range t.res.Plays {
		cp := *p
		r.Plays[i] = &cp
	}
	r.Failures = append([]Failure(nil), t.res.Failures...)
	r.Stats = make(map[string]*Stats, len(t.res.Stats))
	for h, s := range t.res.Stats {
		cp := *s
		r.Stats[h] = &cp
	}
	r.Changes = make(map[string][]string, len(t.res.Changes))
	for h, c := range t.res.Changes {
		r.Changes[h] = append([]string(nil), c...)
	}
	return &r
}
