package hoststate

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/fabrun/fabrun/internal/supervisor"
)

// Service names the process a role runs, under its host's manager.
type Service struct {
	Manager string `json:"manager"` // supervisor or systemd
	Name    string `json:"name"`    // supervisor program
	Unit    string `json:"unit"`    // systemd unit
	Socket  string `json:"socket"`  // supervisord's unix socket
}

// Process identifies one run of a service: a restart changes it.
type Process struct {
	PID   int64  `json:"pid"`
	Start string `json:"start"`
}

func (s *Service) validate() error {
	switch s.Manager {
	case "supervisor":
		if s.Name == "" || s.Socket == "" {
			return errors.New("service: a supervisor service needs name and socket")
		}
	case "systemd":
		if s.Unit == "" {
			return errors.New("service: a systemd service needs unit")
		}
		if s.Name == "" {
			s.Name = s.Unit
		}
	default:
		return fmt.Errorf("service.manager must be supervisor or systemd (is %q)", s.Manager)
	}
	return nil
}

// process returns the running process, or nil when it does not run.
func (s *Service) process() (*Process, error) {
	if s.Manager == "systemd" {
		return systemdProcess(s.Unit)
	}
	return supervisorProcess(s.Socket, s.Name)
}

// systemdProcess reads the unit's properties (Key=Value lines, in
// systemctl's own order).
func systemdProcess(unit string) (*Process, error) {
	out, err := exec.Command("systemctl", "show", "--property=ActiveState,MainPID,ExecMainStartTimestampMonotonic", unit).Output()
	if err != nil {
		return nil, fmt.Errorf("systemctl show %s: %v", unit, err)
	}
	props := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			props[k] = strings.TrimSpace(v)
		}
	}
	pid, _ := strconv.ParseInt(props["MainPID"], 10, 64)
	if props["ActiveState"] != "active" || pid == 0 {
		return nil, nil
	}
	return &Process{PID: pid, Start: props["ExecMainStartTimestampMonotonic"]}, nil
}

// supervisorProcess asks supervisord for the program. A supervisord that
// does not answer runs nothing.
func supervisorProcess(socket, name string) (*Process, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	info, err := supervisor.NewClient(socket).ProcessInfo(ctx, name)
	var down *supervisor.DownError
	var fault *supervisor.Fault
	switch {
	case errors.As(err, &down), errors.As(err, &fault):
		return nil, nil // not running, or no such program (BAD_NAME)
	case err != nil:
		return nil, fmt.Errorf("supervisord on %s: %v", socket, err)
	case info.StateName != "RUNNING":
		return nil, nil
	}
	return &Process{PID: info.PID, Start: info.Start}, nil
}
