package module

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
)

// Diff is one before/after pair in Ansible's diff format.
type Diff struct {
	Before       string `json:"before"`
	After        string `json:"after"`
	BeforeHeader string `json:"before_header,omitempty"`
	AfterHeader  string `json:"after_header,omitempty"`
}

// States maps each value of a module's state option to the function that
// brings it about.
type States[A any] map[string]func(*Context, A) (Result, error)

// Run brings about the state named.
func (s States[A]) Run(ctx *Context, state string, a A) (Result, error) {
	if f, ok := s[state]; ok {
		return f(ctx, a)
	}
	return Result{}, fmt.Errorf("unknown state %q", state)
}

// Result is what a module reports. Data holds module-specific return values.
type Result struct {
	Changed  bool
	Msg      string
	Diff     []Diff
	Data     map[string]any
	Warnings []string
}

// Context is what a module's body receives: validated parameters and the
// modes Ansible asked for.
type Context struct {
	Params   map[string]any
	Internal Internal
	warnings []string
}

// CheckMode reports whether the module must not change anything.
func (c *Context) CheckMode() bool { return c.Internal.CheckMode }

// DiffMode reports whether Ansible asked for a diff.
func (c *Context) DiffMode() bool { return c.Internal.Diff }

// Warn adds a warning that Ansible prints after the task.
func (c *Context) Warn(format string, a ...any) {
	c.warnings = append(c.warnings, fmt.Sprintf(format, a...))
}

// Decode copies the validated parameters into a struct with json tags.
func (c *Context) Decode(into any) error {
	b, err := json.Marshal(c.Params)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, into)
}

// Body is a module's logic. A returned error fails the task with its text.
type Body func(*Context) (Result, error)

// Main runs a module the way Ansible calls it and exits: 0 on success,
// 1 on failure.
func Main(spec Spec, body Body) {
	data, err := ArgsData(spec.Name, os.Args[1:], os.Stdin)
	var out map[string]any
	if err != nil {
		out = map[string]any{"failed": true, "msg": err.Error()}
	} else {
		out = Execute(spec, data, body)
	}
	os.Exit(Write(os.Stdout, out))
}

// ArgsData reads a module's arguments: from the file Ansible names as its
// one argument, or from standard input when that is "-" (the collection's
// action, plugins/plugin_utils/cached_module.py, which writes no file).
func ArgsData(name string, args []string, stdin io.Reader) ([]byte, error) {
	switch {
	case len(args) != 1:
		return nil, fmt.Errorf("usage: %s <args-file>|- (Ansible passes a JSON arguments file; - reads them from standard input)", name)
	case args[0] == "-":
		return io.ReadAll(stdin)
	default:
		return os.ReadFile(args[0])
	}
}

// Write prints the result object and returns the exit code it implies.
func Write(w io.Writer, out map[string]any) int {
	b, err := json.Marshal(out)
	if err != nil {
		b = []byte(`{"failed": true, "msg": "module result could not be encoded as JSON"}`)
		out = map[string]any{"failed": true}
	}
	fmt.Fprintln(w, string(b))
	if f, _ := out["failed"].(bool); f {
		return 1
	}
	return 0
}

// ParseArgs decodes an arguments file. Ansible writes binary-module arguments
// as a flat JSON object; the ANSIBLE_MODULE_ARGS wrapper is accepted too.
func ParseArgs(data []byte) (map[string]any, error) {
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("module arguments are not a JSON object: %v", err)
	}
	if raw == nil {
		return nil, fmt.Errorf("module arguments are not a JSON object")
	}
	if wrapped, ok := raw["ANSIBLE_MODULE_ARGS"].(map[string]any); ok && len(raw) == 1 {
		raw = wrapped
	}
	return raw, nil
}

// Execute parses, validates and runs a module body, and returns the result
// object Ansible expects. It never panics: a panic in the body becomes a
// failed result.
func Execute(spec Spec, data []byte, body Body) (out map[string]any) {
	var secrets []string
	defer func() {
		if r := recover(); r != nil {
			out = map[string]any{
				"failed":    true,
				"msg":       fmt.Sprintf("module %s failed unexpectedly: %v", spec.Name, r),
				"exception": string(debug.Stack()),
			}
		}
		out = scrub(out, secrets).(map[string]any)
	}()

	raw, err := ParseArgs(data)
	if err != nil {
		return map[string]any{"failed": true, "msg": err.Error()}
	}
	params, in, err := spec.Validate(raw)
	if err != nil {
		return map[string]any{"failed": true, "msg": err.Error()}
	}
	secrets = spec.secrets(params)
	invocation := map[string]any{"module_args": maskedArgs(spec, params)}
	if in.CheckMode && !spec.SupportsCheckMode {
		return map[string]any{"skipped": true, "changed": false,
			"msg": fmt.Sprintf("remote module (%s) does not support check mode", spec.Name)}
	}

	ctx := &Context{Params: params, Internal: in}
	res, err := body(ctx)
	out = map[string]any{}
	for k, v := range res.Data {
		out[k] = v
	}
	out["changed"] = res.Changed
	out["invocation"] = invocation
	if w := append(ctx.warnings, res.Warnings...); len(w) > 0 {
		out["warnings"] = w
	}
	if err != nil {
		out["failed"] = true
		out["msg"] = err.Error()
		return out
	}
	if res.Msg != "" {
		out["msg"] = res.Msg
	}
	if in.Diff && len(res.Diff) > 0 {
		if len(res.Diff) == 1 {
			out["diff"] = res.Diff[0]
		} else {
			out["diff"] = res.Diff
		}
	}
	if in.NoLog {
		// The task asked for no logging: keep only the status.
		return map[string]any{"changed": out["changed"], "failed": out["failed"],
			"msg": "the output has been hidden due to the fact that 'no_log: true' was specified for this result"}
	}
	return out
}

const masked = "********"

func maskedArgs(spec Spec, params map[string]any) map[string]any {
	m := make(map[string]any, len(params))
	for k, v := range params {
		o := spec.Options[k]
		switch {
		case o.NoLog && v != nil:
			v = masked
		case len(o.SecretKeys) > 0 || len(o.QuietKeys) > 0:
			v = maskedKeys(v, append(append([]string{}, o.SecretKeys...), o.QuietKeys...))
		}
		m[k] = v
	}
	return m
}

// maskedKeys copies a dict, or a list of dicts, with the values under keys
// masked; the parameters themselves stay as the module reads them.
func maskedKeys(v any, keys []string) any {
	mask := func(d map[string]any) map[string]any {
		c := make(map[string]any, len(d))
		for k, e := range d {
			c[k] = e
		}
		for _, k := range keys {
			if _, ok := c[k]; ok {
				c[k] = masked
			}
		}
		return c
	}
	switch t := v.(type) {
	case map[string]any:
		return mask(t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			if d, ok := e.(map[string]any); ok {
				e = mask(d)
			}
			out[i] = e
		}
		return out
	}
	return v
}

// scrub replaces every occurrence of a secret value anywhere in the output.
func scrub(v any, secrets []string) any {
	if len(secrets) == 0 {
		return v
	}
	switch t := v.(type) {
	case string:
		for _, s := range secrets {
			t = strings.ReplaceAll(t, s, masked)
		}
		return t
	case map[string]any:
		for k, e := range t {
			t[k] = scrub(e, secrets)
		}
		return t
	case []any:
		for i, e := range t {
			t[i] = scrub(e, secrets)
		}
		return t
	case []string:
		for i, e := range t {
			t[i] = scrub(e, secrets).(string)
		}
		return t
	case Diff:
		return Diff{scrub(t.Before, secrets).(string), scrub(t.After, secrets).(string), t.BeforeHeader, t.AfterHeader}
	case []Diff:
		for i, e := range t {
			t[i] = scrub(e, secrets).(Diff)
		}
		return t
	case nil, bool, int, int64, float64:
		return v
	}
	// Structs and typed maps are re-encoded so nested strings are scrubbed too.
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var generic any
	if json.Unmarshal(b, &generic) != nil {
		return v
	}
	return scrub(generic, secrets)
}

// Lines is a list as diff text, one item a line; "(none)" for an empty list.
func Lines(list []string) string {
	if len(list) == 0 {
		return "(none)\n"
	}
	return strings.Join(list, "\n") + "\n"
}
