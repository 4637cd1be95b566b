// Package module implements Ansible's binary-module protocol: Ansible runs a
// module as `module <args-file>` and reads exactly one JSON object from stdout.
// Every fabrun module is a thin main that declares a Spec and calls Run.
package module

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Type is an option's declared type, named as in Ansible's argument_spec.
type Type string

const (
	Str   Type = "str"
	Bool  Type = "bool"
	Int   Type = "int"
	Float Type = "float"
	Path  Type = "path"
	List  Type = "list"
	Dict  Type = "dict"
	Raw   Type = "raw"
)

// Option declares one module option.
type Option struct {
	Type     Type
	Elements Type // element type of a List; empty means Raw
	Required bool
	Default  any
	Choices  []any
	NoLog    bool // the value is secret: never echoed in any output
	// SecretKeys: in a Dict, or a List of Dicts, the values under these
	// keys are secret (a file's content beside its path and mode, which
	// stay readable).
	SecretKeys []string
	// QuietKeys: like SecretKeys in the echoed invocation (a whole config
	// file is noise there), but not secret: a diff may show them.
	QuietKeys []string
	Aliases   []string
}

// Spec declares a module's options and their relations.
type Spec struct {
	Name              string
	Options           map[string]Option
	MutuallyExclusive [][]string
	RequiredOneOf     [][]string
	RequiredTogether  [][]string
	// RequiredIf lists rules "when Option equals Value, Requires must be set".
	RequiredIf        []RequiredIf
	SupportsCheckMode bool
}

// ConfigSource is a module's configuration, given inline (config) or as a
// file (config_file); WithConfigSource declares the two options.
type ConfigSource struct {
	Config     map[string]any `json:"config"`
	ConfigFile string         `json:"config_file"`
}

// WithConfigSource adds the options config and config_file to s, exactly
// one of them required.
func WithConfigSource(s Spec) Spec {
	s.Options["config"] = Option{Type: Dict}
	s.Options["config_file"] = Option{Type: Path}
	s.MutuallyExclusive = append(s.MutuallyExclusive, []string{"config", "config_file"})
	s.RequiredOneOf = append(s.RequiredOneOf, []string{"config", "config_file"})
	return s
}

// RequiredIf is one conditional requirement.
type RequiredIf struct {
	Option   string
	Value    any
	Requires []string
}

// Internal carries the `_ansible_*` arguments Ansible adds to every call.
type Internal struct {
	CheckMode bool
	Diff      bool
	NoLog     bool
	Verbosity int
	Debug     bool
	TmpDir    string
	Version   string
}

// Validate checks raw arguments against the spec and returns the normalised
// parameters (defaults filled, types coerced) and the internal arguments.
// Errors name the offending option.
func (s Spec) Validate(raw map[string]any) (map[string]any, Internal, error) {
	var in Internal
	params := map[string]any{}
	var unknown []string
	aliases := map[string]string{}
	for name, o := range s.Options {
		for _, a := range o.Aliases {
			aliases[a] = name
		}
	}
	for k, v := range raw {
		if strings.HasPrefix(k, "_ansible_") {
			in.apply(k, v)
			continue
		}
		name := k
		if _, ok := s.Options[k]; !ok {
			canon, ok := aliases[k]
			if !ok {
				unknown = append(unknown, k)
				continue
			}
			name = canon
		}
		if _, dup := params[name]; dup {
			return nil, in, fmt.Errorf("option %q given more than once (through an alias)", name)
		}
		params[name] = v
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, in, fmt.Errorf("Unsupported parameters for (%s) module: %s. Supported parameters include: %s",
			s.Name, strings.Join(unknown, ", "), strings.Join(s.names(), ", "))
	}

	for _, group := range s.MutuallyExclusive {
		if set := s.present(params, group); len(set) > 1 {
			return nil, in, fmt.Errorf("parameters are mutually exclusive: %s", strings.Join(set, "|"))
		}
	}
	for _, group := range s.RequiredOneOf {
		if len(s.present(params, group)) == 0 {
			return nil, in, fmt.Errorf("one of the following is required: %s", strings.Join(group, ", "))
		}
	}
	for _, group := range s.RequiredTogether {
		if set := s.present(params, group); len(set) > 0 && len(set) < len(group) {
			return nil, in, fmt.Errorf("parameters are required together: %s", strings.Join(group, ", "))
		}
	}

	var missing []string
	for _, name := range s.names() {
		o := s.Options[name]
		v, ok := params[name]
		if !ok || v == nil {
			if o.Required {
				missing = append(missing, name)
				continue
			}
			params[name] = o.Default
			continue
		}
		cv, err := coerce(v, o.Type, o.Elements)
		if err != nil {
			return nil, in, fmt.Errorf("argument '%s' is of type %s and we were unable to convert to %s: %v", name, kindOf(v), o.Type, err)
		}
		if len(o.Choices) > 0 && !inChoices(cv, o.Choices) {
			return nil, in, fmt.Errorf("value of %s must be one of: %s, got: %v", name, joinAny(o.Choices), cv)
		}
		params[name] = cv
	}
	if len(missing) > 0 {
		return nil, in, fmt.Errorf("missing required arguments: %s", strings.Join(missing, ", "))
	}
	for _, r := range s.RequiredIf {
		if v, ok := params[r.Option]; ok && v != nil && fmt.Sprint(v) == fmt.Sprint(r.Value) {
			var need []string
			for _, q := range r.Requires {
				if params[q] == nil {
					need = append(need, q)
				}
			}
			if len(need) > 0 {
				return nil, in, fmt.Errorf("%s is %v but all of the following are missing: %s", r.Option, r.Value, strings.Join(need, ", "))
			}
		}
	}
	return params, in, nil
}

// secrets returns the string forms of every no_log option's value.
func (s Spec) secrets(params map[string]any) []string {
	var out []string
	for name, o := range s.Options {
		if o.NoLog {
			collectStrings(params[name], &out)
			continue
		}
		for _, d := range dictsOf(params[name]) {
			for _, k := range o.SecretKeys {
				collectStrings(d[k], &out)
			}
		}
	}
	return out
}

// dictsOf returns v itself if it is a dict, or the dicts a list holds.
func dictsOf(v any) []map[string]any {
	switch t := v.(type) {
	case map[string]any:
		return []map[string]any{t}
	case []any:
		var out []map[string]any
		for _, e := range t {
			if d, ok := e.(map[string]any); ok {
				out = append(out, d)
			}
		}
		return out
	}
	return nil
}

func collectStrings(v any, out *[]string) {
	switch t := v.(type) {
	case nil:
	case string:
		if t != "" {
			*out = append(*out, t)
		}
	case []any:
		for _, e := range t {
			collectStrings(e, out)
		}
	case map[string]any:
		for _, e := range t {
			collectStrings(e, out)
		}
	default:
		*out = append(*out, fmt.Sprint(t))
	}
}

func (s Spec) names() []string { return slices.Sorted(maps.Keys(s.Options)) }

func (s Spec) present(params map[string]any, group []string) []string {
	var set []string
	for _, g := range group {
		if v, ok := params[g]; ok && v != nil {
			set = append(set, g)
		}
	}
	return set
}

func (in *Internal) apply(k string, v any) {
	switch k {
	case "_ansible_check_mode":
		in.CheckMode, _ = toBool(v)
	case "_ansible_diff":
		in.Diff, _ = toBool(v)
	case "_ansible_no_log":
		in.NoLog, _ = toBool(v)
	case "_ansible_debug":
		in.Debug, _ = toBool(v)
	case "_ansible_verbosity":
		n, _ := toInt(v)
		in.Verbosity = int(n)
	case "_ansible_tmpdir":
		in.TmpDir, _ = v.(string)
	case "_ansible_version":
		in.Version, _ = v.(string)
	}
}

func coerce(v any, t Type, elem Type) (any, error) {
	switch t {
	case "", Raw:
		return v, nil
	case Str, Path:
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case bool, float64, int, int64:
			s = fmt.Sprint(x)
		default:
			return nil, fmt.Errorf("not a string")
		}
		if t == Path {
			s = os.ExpandEnv(s)
			if strings.HasPrefix(s, "~/") {
				if home, err := os.UserHomeDir(); err == nil {
					s = home + s[1:]
				}
			}
		}
		return s, nil
	case Bool:
		return toBool(v)
	case Int:
		return toInt(v)
	case Float:
		switch x := v.(type) {
		case float64:
			return x, nil
		case string:
			return strconv.ParseFloat(strings.TrimSpace(x), 64)
		}
		return nil, fmt.Errorf("not a number")
	case List:
		var items []any
		switch x := v.(type) {
		case []any:
			items = x
		case string:
			// Ansible accepts a comma-separated string for a list.
			for _, p := range strings.Split(x, ",") {
				items = append(items, strings.TrimSpace(p))
			}
		default:
			items = []any{x}
		}
		out := make([]any, len(items))
		for i, e := range items {
			ce, err := coerce(e, elem, "")
			if err != nil {
				return nil, fmt.Errorf("element %d: %v", i, err)
			}
			out[i] = ce
		}
		return out, nil
	case Dict:
		switch x := v.(type) {
		case map[string]any:
			return x, nil
		case string:
			var m map[string]any
			if err := json.Unmarshal([]byte(x), &m); err != nil {
				return nil, fmt.Errorf("not a dictionary")
			}
			return m, nil
		}
		return nil, fmt.Errorf("not a dictionary")
	}
	return nil, fmt.Errorf("unknown type %q in spec", t)
}

// ParseBool reads a boolean the way Ansible does (its `boolean()` and
// `| bool`): true or false, or yes/no, on/off, y/n, t/f, 1/0 in any case.
func ParseBool(v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case float64:
		if x == 0 || x == 1 {
			return x == 1, nil
		}
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "yes", "on", "1", "true", "y", "t":
			return true, nil
		case "no", "off", "0", "false", "n", "f":
			return false, nil
		}
	}
	return false, fmt.Errorf("%v is not a boolean", v)
}

// toBool is ParseBool for module options, where an empty string (an
// option templated from an unset variable) is false.
func toBool(v any) (bool, error) {
	if s, ok := v.(string); ok && strings.TrimSpace(s) == "" {
		return false, nil
	}
	return ParseBool(v)
}

func toInt(v any) (int64, error) {
	switch x := v.(type) {
	case float64:
		if x != math.Trunc(x) || math.IsInf(x, 0) || math.Abs(x) > 1<<53 {
			return 0, fmt.Errorf("%v is not a whole number", x)
		}
		return int64(x), nil
	case string:
		return strconv.ParseInt(strings.TrimSpace(x), 10, 64)
	case bool:
		return 0, fmt.Errorf("a boolean is not an integer")
	}
	return 0, fmt.Errorf("not an integer")
}

func inChoices(v any, choices []any) bool {
	for _, c := range choices {
		if reflect.DeepEqual(v, c) || fmt.Sprint(v) == fmt.Sprint(c) {
			return true
		}
	}
	return false
}

func joinAny(xs []any) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

func kindOf(v any) string {
	switch v.(type) {
	case string:
		return "str"
	case bool:
		return "bool"
	case float64:
		return "number"
	case []any:
		return "list"
	case map[string]any:
		return "dict"
	}
	return fmt.Sprintf("%T", v)
}
