package hoststate

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"time"
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

// supervisorProcess asks supervisord (XML-RPC on its unix socket, what
// supervisorctl does, without starting a Python process) for the program.
// A supervisord that does not answer runs nothing.
func supervisorProcess(socket, name string) (*Process, error) {
	client := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		}},
	}
	body := `<?xml version="1.0"?><methodCall><methodName>supervisor.getProcessInfo</methodName>` +
		`<params><param><value><string>` + html.EscapeString(name) + `</string></value></param></params></methodCall>`
	resp, err := client.Post("http://supervisord/RPC2", "text/xml", strings.NewReader(body))
	if err != nil {
		return nil, nil
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	info, fault, err := parseProcessInfo(b)
	if err != nil {
		return nil, fmt.Errorf("supervisord on %s: %v", socket, err)
	}
	if fault != "" || info["statename"] != "RUNNING" {
		return nil, nil // no such program (BAD_NAME), or not running
	}
	pid, _ := strconv.ParseInt(info["pid"], 10, 64)
	return &Process{PID: pid, Start: info["start"]}, nil
}

// parseProcessInfo reads an XML-RPC response holding one struct (its
// members as strings) or a fault (its faultString).
func parseProcessInfo(b []byte) (map[string]string, string, error) {
	var doc struct {
		Params []member `xml:"params>param>value>struct>member"`
		Fault  []member `xml:"fault>value>struct>member"`
	}
	if err := xml.NewDecoder(bytes.NewReader(b)).Decode(&doc); err != nil {
		return nil, "", err
	}
	if len(doc.Fault) > 0 {
		for _, m := range doc.Fault {
			if m.Name == "faultString" {
				return nil, m.Value.text(), nil
			}
		}
		return nil, "fault", nil
	}
	if len(doc.Params) == 0 {
		return nil, "", errors.New("no process info in the answer")
	}
	info := map[string]string{}
	for _, m := range doc.Params {
		info[m.Name] = m.Value.text()
	}
	return info, "", nil
}

type member struct {
	Name  string `xml:"name"`
	Value value  `xml:"value"`
}

// value is an XML-RPC scalar: <int>, <i4>, <string>, <boolean> or bare text.
type value struct {
	Int    string `xml:"int"`
	I4     string `xml:"i4"`
	String string `xml:"string"`
	Bool   string `xml:"boolean"`
	Text   string `xml:",chardata"`
}

func (v value) text() string {
	for _, s := range []string{v.Int, v.I4, v.String, v.Bool} {
		if s != "" {
			return s
		}
	}
	return strings.TrimSpace(v.Text)
}
