// Package playbook runs ansible-playbook through go-ansible and turns its
// output into structured progress: plays, tasks, per-host results, waits
// (retries) and the final stats.
//
// The progress comes from fabrun_events, a small aggregate callback plugin
// embedded in this package. Ansible's own stdout callback keeps printing the
// usual human output; fabrun_events adds one marked JSON line per event to the
// same stream. The runner splits the two (see Splitter): events drive the
// progress display and the failure report, the human text goes to the log and,
// with -v, to the terminal.
package playbook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Marker starts every event line fabrun_events prints.
const Marker = "\x1eFABRUN-EVENT "

// Event names (the callback method names, as in ansible.posix.jsonl).
const (
	EventPlaybookStart = "v2_playbook_on_start"
	EventPlayStart     = "v2_playbook_on_play_start"
	EventTaskStart     = "v2_playbook_on_task_start"
	EventHandlerStart  = "v2_playbook_on_handler_task_start"
	EventNoHosts       = "v2_playbook_on_no_hosts_matched"
	EventOK            = "v2_runner_on_ok"
	EventFailed        = "v2_runner_on_failed"
	EventSkipped       = "v2_runner_on_skipped"
	EventUnreachable   = "v2_runner_on_unreachable"
	EventRetry         = "v2_runner_retry"
	EventAsyncPoll     = "v2_runner_on_async_poll"
	EventStats         = "v2_playbook_on_stats"
)

// Event is one line from fabrun_events. Field names follow ansible.posix.jsonl
// (and go-ansible's AnsiblePlaybookJSONLEventResults), plus a few the runner
// needs (retries, ignore_errors, failed loop items).
type Event struct {
	Event     string                 `json:"_event"`
	Timestamp string                 `json:"_timestamp"`
	Playbook  string                 `json:"playbook,omitempty"`
	Play      *Play                  `json:"play,omitempty"`
	Task      *Task                  `json:"task,omitempty"`
	Hosts     map[string]*HostResult `json:"hosts,omitempty"`
	Stats     map[string]*Stats      `json:"stats,omitempty"`
}

// Play identifies a play.
type Play struct {
	Name  string   `json:"name"`
	ID    string   `json:"id"`
	Hosts []string `json:"hosts,omitempty"`
}

// Task identifies a task.
type Task struct {
	Name    string `json:"name"`
	ID      string `json:"id"`
	Path    string `json:"path,omitempty"`
	Action  string `json:"action,omitempty"`
	Handler bool   `json:"handler,omitempty"`
}

// HostResult is a task's result on one host, cut to what the runner shows.
type HostResult struct {
	Action       string        `json:"action,omitempty"`
	Changed      bool          `json:"changed,omitempty"`
	Failed       bool          `json:"failed,omitempty"`
	Skipped      bool          `json:"skipped,omitempty"`
	Unreachable  bool          `json:"unreachable,omitempty"`
	IgnoreErrors bool          `json:"ignore_errors,omitempty"`
	Msg          any           `json:"msg,omitempty"`
	Stderr       any           `json:"stderr,omitempty"`
	Stdout       any           `json:"stdout,omitempty"`
	RC           *int          `json:"rc,omitempty"`
	Censored     string        `json:"censored,omitempty"`
	Exception    string        `json:"exception,omitempty"`
	ModuleStderr string        `json:"module_stderr,omitempty"`
	Attempts     int           `json:"attempts,omitempty"`
	Retries      int           `json:"retries,omitempty"`
	FailedItems  []*HostResult `json:"failed_items,omitempty"`
	// Preflight is the fabric_preflight module's outcome, whole.
	Preflight json.RawMessage `json:"fabrun_preflight,omitempty"`
}

// Message is the clearest one-paragraph explanation of a failed result:
// Ansible's msg, then stderr, then stdout, then the failed loop items.
func (r *HostResult) Message() string {
	if r == nil {
		return ""
	}
	var parts []string
	if s := text(r.Msg); s != "" {
		parts = append(parts, s)
	}
	if s := strings.TrimSpace(text(r.Stderr)); s != "" && !strings.Contains(strings.Join(parts, "\n"), s) {
		parts = append(parts, s)
	}
	if s := strings.TrimSpace(r.ModuleStderr); s != "" {
		parts = append(parts, LastLines(s, 10))
	}
	// A command that failed with nothing on stderr: its stdout explains
	// (e.g. supervisorctl prints its errors there).
	if s := strings.TrimSpace(text(r.Stdout)); s != "" && (len(parts) == 0 ||
		strings.TrimSpace(text(r.Stderr)) == "" && r.RC != nil && *r.RC != 0) {
		parts = append(parts, LastLines(s, 10))
	}
	for _, it := range r.FailedItems {
		if m := it.Message(); m != "" {
			parts = append(parts, m)
		}
	}
	if len(parts) == 0 && r.Censored != "" {
		parts = append(parts, r.Censored)
	}
	if len(parts) == 0 && r.Exception != "" {
		parts = append(parts, LastLines(r.Exception, 3))
	}
	if len(parts) == 0 && r.RC != nil {
		parts = append(parts, fmt.Sprintf("exit status %d", *r.RC))
	}
	return strings.Join(parts, "\n")
}

func text(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case []any:
		var lines []string
		for _, x := range t {
			lines = append(lines, text(x))
		}
		return strings.Join(lines, "\n")
	default:
		b, err := json.Marshal(t)
		if err != nil {
			return fmt.Sprint(t)
		}
		return string(b)
	}
}

// LastLines is the last n lines of s (failure messages show the end of an
// exception or a log).
func LastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Stats is a host's line of the PLAY RECAP.
type Stats struct {
	OK          int `json:"ok"`
	Changed     int `json:"changed"`
	Failures    int `json:"failures"`
	Unreachable int `json:"unreachable"`
	Skipped     int `json:"skipped"`
	Rescued     int `json:"rescued"`
	Ignored     int `json:"ignored"`
}

// ParseEvent decodes one line (with or without the marker).
func ParseEvent(line string) (*Event, error) {
	line = strings.TrimPrefix(strings.TrimSpace(line), strings.TrimSpace(Marker))
	var ev Event
	if err := json.Unmarshal([]byte(line), &ev); err != nil {
		return nil, fmt.Errorf("decoding event: %w", err)
	}
	if ev.Event == "" {
		return nil, fmt.Errorf("decoding event: no _event in %q", truncate(line, 80))
	}
	return &ev, nil
}

// Time is the event's timestamp, or the zero time.
func (e *Event) Time() time.Time {
	t, err := time.Parse(time.RFC3339Nano, e.Timestamp)
	if err != nil {
		return time.Time{}
	}
	return t
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// Splitter is the io.Writer go-ansible writes ansible-playbook's stdout to.
// Lines that start with Marker are decoded and handed to OnEvent; every
// other line goes to Human (nil: dropped).
type Splitter struct {
	OnEvent func(*Event)
	Human   func(line string)
	// OnBadEvent, if set, is told about marked lines that do not decode.
	OnBadEvent func(line string, err error)

	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer. It is safe for concurrent use.
func (s *Splitter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf.Write(p)
	for {
		data := s.buf.Bytes()
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		line := string(data[:i])
		s.buf.Next(i + 1)
		s.line(line)
	}
	return len(p), nil
}

// Flush handles a last line without a newline.
func (s *Splitter) Flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.buf.Len() > 0 {
		line := s.buf.String()
		s.buf.Reset()
		s.line(line)
	}
}

func (s *Splitter) line(line string) {
	line = strings.TrimSuffix(line, "\r")
	if idx := strings.Index(line, Marker); idx >= 0 {
		ev, err := ParseEvent(line[idx+len(Marker):])
		if err != nil {
			if s.OnBadEvent != nil {
				s.OnBadEvent(line, err)
			}
			return
		}
		if s.OnEvent != nil {
			s.OnEvent(ev)
		}
		// Text printed before the marker on the same line is human output.
		if idx > 0 && s.Human != nil {
			s.Human(line[:idx])
		}
		return
	}
	if s.Human != nil {
		s.Human(line)
	}
}
