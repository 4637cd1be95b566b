// Package inventory reads an Ansible inventory the way the playbooks see it,
// without contacting any host: `ansible-inventory -i X --list` gives groups
// and host variables, role defaults (roles/*/defaults/main.yml) sit below
// them and --extra-vars above them. Topology turns the result into typed
// nodes (ZooKeeper, Kafka, orderers, peers by org).
package inventory

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Group is an inventory group: its own hosts and its child groups, in
// inventory order.
type Group struct {
	Hosts    []string
	Children []string
}

// Inventory is an inventory's groups and variables plus the layers around
// them that the runner knows: role defaults below, extra vars above.
type Inventory struct {
	// Source is the -i argument (file or directory).
	Source string
	// Dir is inventory_dir: the directory of the inventory source.
	Dir string
	// HostVars are the variables ansible-inventory reports per host.
	HostVars map[string]map[string]any
	// Groups by name ("all" included).
	Groups map[string]*Group
	// Defaults are role defaults (lowest precedence).
	Defaults map[string]any
	// Extra are --extra-vars (highest precedence).
	Extra map[string]any
	// Magic are variables Ansible itself defines, e.g. playbook_dir.
	Magic map[string]any

	hostOrder []string
}

// Load runs `ansible-inventory -i source --list` (which parses the
// inventory and contacts no host) and parses its output.
func Load(ctx context.Context, ansibleInventory, source string, env []string) (*Inventory, error) {
	args := []string{"--list"}
	if source != "" {
		args = append([]string{"-i", source}, args...)
	}
	cmd := exec.CommandContext(ctx, ansibleInventory, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("ansible-inventory -i %s --list: %v: %s", source, err, strings.TrimSpace(errb.String()))
	}
	// ansible-inventory warns (e.g. "Unable to parse ... as an inventory
	// source") on stderr and still exits 0 with an empty inventory.
	if w := strings.TrimSpace(errb.String()); w != "" && strings.Contains(w, "Unable to parse") {
		return nil, fmt.Errorf("ansible-inventory -i %s: %s", source, w)
	}
	inv, err := Parse(out.Bytes())
	if err != nil {
		return nil, err
	}
	inv.Source = source
	inv.Dir = sourceDir(source)
	return inv, nil
}

// sourceDir is Ansible's inventory_dir for a source: the directory itself,
// or a file's directory.
func sourceDir(source string) string {
	abs, err := filepath.Abs(source)
	if err != nil {
		abs = source
	}
	if st, err := os.Stat(abs); err == nil && st.IsDir() {
		return abs
	}
	return filepath.Dir(abs)
}

// Parse reads `ansible-inventory --list` JSON.
func Parse(data []byte) (*Inventory, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("parsing ansible-inventory output: %w", err)
	}
	inv := &Inventory{
		HostVars: map[string]map[string]any{},
		Groups:   map[string]*Group{},
		Defaults: map[string]any{},
		Extra:    map[string]any{},
		Magic:    map[string]any{},
	}
	for name, msg := range raw {
		if name == "_meta" {
			var meta struct {
				HostVars map[string]map[string]any `json:"hostvars"`
			}
			if err := json.Unmarshal(msg, &meta); err != nil {
				return nil, fmt.Errorf("parsing _meta: %w", err)
			}
			for h, vars := range meta.HostVars {
				inv.HostVars[h] = normalize(vars).(map[string]any)
			}
			continue
		}
		var g struct {
			Hosts    []string `json:"hosts"`
			Children []string `json:"children"`
		}
		if err := json.Unmarshal(msg, &g); err != nil {
			return nil, fmt.Errorf("parsing group %s: %w", name, err)
		}
		inv.Groups[name] = &Group{Hosts: g.Hosts, Children: g.Children}
	}
	if _, ok := inv.Groups["all"]; !ok {
		return nil, fmt.Errorf("ansible-inventory output has no group \"all\"")
	}
	// Host order: as the groups list them, walking from "all".
	seen := map[string]bool{}
	inv.walkHosts("all", func(h string) {
		if !seen[h] {
			seen[h] = true
			inv.hostOrder = append(inv.hostOrder, h)
		}
		if inv.HostVars[h] == nil {
			inv.HostVars[h] = map[string]any{}
		}
	})
	var rest []string
	for h := range inv.HostVars {
		if !seen[h] {
			rest = append(rest, h)
		}
	}
	sort.Strings(rest)
	inv.hostOrder = append(inv.hostOrder, rest...)
	return inv, nil
}

// Hosts lists every host, in inventory order.
func (inv *Inventory) Hosts() []string { return append([]string(nil), inv.hostOrder...) }

// HasGroup is true when the group exists.
func (inv *Inventory) HasGroup(name string) bool { _, ok := inv.Groups[name]; return ok }

// GroupHosts lists the hosts of a group and of its children, each once, in
// the group's own order: its hosts, then each child's, depth first.
func (inv *Inventory) GroupHosts(name string) []string {
	seen := map[string]bool{}
	var out []string
	inv.walkHosts(name, func(h string) {
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	})
	return out
}

// walkHosts calls visit with each host of group and of its children, depth
// first, in inventory order (a host in several groups comes more than once);
// a child cycle is walked once.
func (inv *Inventory) walkHosts(group string, visit func(string)) {
	visiting := map[string]bool{}
	var walk func(string)
	walk = func(group string) {
		if visiting[group] {
			return
		}
		visiting[group] = true
		g := inv.Groups[group]
		if g == nil {
			return
		}
		for _, h := range g.Hosts {
			visit(h)
		}
		for _, c := range g.Children {
			walk(c)
		}
	}
	walk(group)
}

// Children lists a group's child groups.
func (inv *Inventory) Children(name string) []string {
	if g := inv.Groups[name]; g != nil {
		return append([]string(nil), g.Children...)
	}
	return nil
}

// Raw is a variable's value before rendering, with the layer it came from
// ("extra", "host", "magic", "default"); ok is false when undefined.
func (inv *Inventory) Raw(host, name string) (v any, layer string, ok bool) {
	if v, ok := inv.Extra[name]; ok {
		return v, "extra", true
	}
	if hv := inv.HostVars[host]; hv != nil {
		if v, ok := hv[name]; ok {
			return v, "host", true
		}
	}
	switch name {
	case "inventory_hostname":
		if host != "" {
			return host, "magic", true
		}
	case "inventory_hostname_short":
		if host != "" {
			return strings.SplitN(host, ".", 2)[0], "magic", true
		}
	case "inventory_dir":
		if inv.Dir != "" {
			return inv.Dir, "magic", true
		}
	case "inventory_file":
		if inv.Source != "" {
			abs, _ := filepath.Abs(inv.Source)
			return abs, "magic", true
		}
	}
	if v, ok := inv.Magic[name]; ok {
		return v, "magic", true
	}
	if v, ok := inv.Defaults[name]; ok {
		return v, "default", true
	}
	return nil, "", false
}

// Var is a variable's effective value on a host, with {{ }} expressions in
// strings rendered (nested maps and lists too). host may be "" for
// play-level values (defaults and extra vars only).
func (inv *Inventory) Var(host, name string) (any, bool, error) {
	return inv.resolve(host, name, 0)
}

func (inv *Inventory) resolve(host, name string, depth int) (any, bool, error) {
	if depth > 20 {
		return nil, false, fmt.Errorf("variable %q: templates nest too deep (a loop?)", name)
	}
	v, _, ok := inv.Raw(host, name)
	if !ok {
		return nil, false, nil
	}
	out, err := inv.renderValue(host, v, depth)
	if err != nil {
		return nil, true, fmt.Errorf("variable %q: %w", name, err)
	}
	return out, true, nil
}

func (inv *Inventory) renderValue(host string, v any, depth int) (any, error) {
	switch t := v.(type) {
	case string:
		return render(t, func(name string) (any, bool, error) { return inv.resolve(host, name, depth+1) })
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			r, err := inv.renderValue(host, x, depth)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			r, err := inv.renderValue(host, x, depth)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	default:
		return v, nil
	}
}

// String is a variable as a string; an undefined one is an error.
func (inv *Inventory) String(host, name string) (string, error) {
	v, ok, err := inv.Var(host, name)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("variable %q is not defined for %s", name, hostLabel(host))
	}
	return toString(v), nil
}

// Int is a variable as an integer; an undefined or non-integer one is an error.
func (inv *Inventory) Int(host, name string) (int, error) {
	v, ok, err := inv.Var(host, name)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("variable %q is not defined for %s", name, hostLabel(host))
	}
	n, err := ToInt(v)
	if err != nil {
		return 0, fmt.Errorf("variable %q on %s: %w", name, hostLabel(host), err)
	}
	return n, nil
}

// ToInt converts a YAML/JSON/extra-vars value to an int.
func ToInt(v any) (int, error) {
	switch t := v.(type) {
	case int:
		return t, nil
	case int64:
		return int(t), nil
	case uint64:
		return int(t), nil
	case float64:
		if t != float64(int64(t)) {
			return 0, fmt.Errorf("%v is not an integer", t)
		}
		return int(t), nil
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(t))
		if err != nil {
			return 0, fmt.Errorf("%q is not an integer", t)
		}
		return n, nil
	case bool:
		return 0, fmt.Errorf("%v is not an integer", t)
	default:
		return 0, fmt.Errorf("%v (%T) is not an integer", v, v)
	}
}

func hostLabel(host string) string {
	if host == "" {
		return "the play"
	}
	return host
}

// LoadRoleDefaults reads roles/<role>/defaults/main.yml under home for each
// role, later roles overriding earlier ones, into inv.Defaults. A missing
// file is skipped (a role that does not exist yet has no defaults).
func (inv *Inventory) LoadRoleDefaults(home string, roles ...string) error {
	for _, role := range roles {
		path := filepath.Join(home, "roles", role, "defaults", "main.yml")
		data, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return err
		}
		vars, err := ParseVarsYAML(data)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		for k, v := range vars {
			inv.Defaults[k] = v
		}
	}
	return nil
}

// ParseVarsYAML reads a YAML mapping of variables (a defaults or vars file).
func ParseVarsYAML(data []byte) (map[string]any, error) {
	var vars map[string]any
	if err := yaml.Unmarshal(data, &vars); err != nil {
		return nil, err
	}
	if vars == nil {
		vars = map[string]any{}
	}
	return normalize(vars).(map[string]any), nil
}

// normalize turns yaml.v3's map[string]interface{} trees into plain
// map[string]any / []any.
func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = normalize(x)
		}
		return t
	case map[any]any:
		out := map[string]any{}
		for k, x := range t {
			out[fmt.Sprint(k)] = normalize(x)
		}
		return out
	case []any:
		for i, x := range t {
			t[i] = normalize(x)
		}
		return t
	case float64:
		// JSON numbers: integers become ints, as YAML gives them.
		if t == float64(int64(t)) && t < 1<<53 && t > -(1<<53) {
			return int(t)
		}
		return t
	default:
		return v
	}
}

// AddExtraVars adds --extra-vars values as ansible-playbook reads them:
// "@file" (YAML or JSON), an inline YAML/JSON mapping, or key=value pairs
// separated by spaces (values are strings; quotes group words).
func (inv *Inventory) AddExtraVars(values []string, baseDir string) error {
	for _, v := range values {
		vars, err := ParseExtraVars(v, baseDir)
		if err != nil {
			return err
		}
		for k, x := range vars {
			inv.Extra[k] = x
		}
	}
	return nil
}

// ParseExtraVars reads one --extra-vars value.
func ParseExtraVars(value, baseDir string) (map[string]any, error) {
	s := strings.TrimSpace(value)
	switch {
	case s == "":
		return map[string]any{}, nil
	case strings.HasPrefix(s, "@"):
		p := s[1:]
		if !filepath.IsAbs(p) && baseDir != "" {
			p = filepath.Join(baseDir, p)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("extra vars %s: %w", value, err)
		}
		vars, err := ParseVarsYAML(data)
		if err != nil {
			return nil, fmt.Errorf("extra vars %s: %w", value, err)
		}
		return vars, nil
	case strings.HasPrefix(s, "{"):
		vars, err := ParseVarsYAML([]byte(s))
		if err != nil {
			return nil, fmt.Errorf("extra vars %q: %w", value, err)
		}
		return vars, nil
	}
	words, err := splitWords(s)
	if err != nil {
		return nil, fmt.Errorf("extra vars %q: %w", value, err)
	}
	vars := map[string]any{}
	for _, w := range words {
		k, v, ok := strings.Cut(w, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("extra vars %q: %q is not key=value", value, w)
		}
		vars[k] = v
	}
	return vars, nil
}

// splitWords splits on spaces, honouring single and double quotes and
// backslash escapes (as Ansible's parse_kv does for the common cases).
func splitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	var quote rune
	inWord, escaped := false, false
	for _, r := range s {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\':
			escaped, inWord = true, true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unclosed quote")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
