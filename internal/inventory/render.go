package inventory

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
)

var safeName = regexp.MustCompile(`^[A-Za-z0-9_.:-]+$`)

// RenderWithAnsible evaluates host variables with Ansible itself, for
// templates beyond the subset this package evaluates: an ad-hoc debug task
// on the controller's implicit localhost (connection local) reads
// hostvars[host][name]. No inventory host is contacted. extra are the
// --extra-vars, env the environment (ANSIBLE_CONFIG...).
func RenderWithAnsible(ctx context.Context, ansible, source string, extra []string, env []string, host string, names ...string) (map[string]any, error) {
	if !safeName.MatchString(host) {
		return nil, fmt.Errorf("host name %q cannot be rendered", host)
	}
	var items []string
	for _, n := range names {
		if !isIdent(n) {
			return nil, fmt.Errorf("variable name %q cannot be rendered", n)
		}
		items = append(items, fmt.Sprintf("'%s': hostvars['%s']['%s']", n, host, n))
	}
	args := []string{"localhost", "-c", "local", "-m", "ansible.builtin.debug",
		"-a", "msg={{ {" + strings.Join(items, ", ") + "} | to_json }}"}
	if source != "" {
		args = append(args, "-i", source)
	}
	for _, e := range extra {
		args = append(args, "-e", e)
	}
	cmd := exec.CommandContext(ctx, ansible, args...)
	cmd.Env = append(append(os.Environ(), env...),
		"ANSIBLE_STDOUT_CALLBACK=minimal", "ANSIBLE_LOAD_CALLBACK_PLUGINS=1",
		"ANSIBLE_CALLBACK_RESULT_FORMAT=json", "ANSIBLE_DEPRECATION_WARNINGS=0", "ANSIBLE_NOCOLOR=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("rendering %s with ansible: %v: %s %s", strings.Join(names, ", "), err,
			strings.TrimSpace(out.String()), strings.TrimSpace(errb.String()))
	}
	s := out.String()
	i := strings.Index(s, "{")
	if i < 0 {
		return nil, fmt.Errorf("rendering with ansible: unexpected output %q", s)
	}
	var res struct {
		Msg string `json:"msg"`
	}
	if err := json.Unmarshal([]byte(s[i:]), &res); err != nil {
		return nil, fmt.Errorf("rendering with ansible: %v in %q", err, s)
	}
	vals := map[string]any{}
	if err := json.Unmarshal([]byte(res.Msg), &vals); err != nil {
		return nil, fmt.Errorf("rendering with ansible: %v in %q", err, res.Msg)
	}
	return vals, nil
}
