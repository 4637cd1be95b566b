// Package strictyaml decodes a configuration document (YAML text, or the
// dictionary a module option holds) into Go structs strictly: a key that no
// field defines, a value of the wrong type or a duplicate key is an error
// naming the field's path (PeerOrgs[0].Template.Count) and, for YAML text,
// its line. Anchors, aliases and merge keys (<<) work as in any YAML file.
// Quoted numbers and booleans ("2", "true") are accepted where the field
// wants one, as Ansible's templating often produces strings.
//
// Fields are named by their `yaml` tag. The configuration readers of
// fabric_configtx (configtx.yaml) and fabric_crypto (crypto-config.yaml) use
// it, each with its own Options.
package strictyaml

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// FieldError is a configuration error tied to one field, named by its path
// in the document (e.g. Profiles.P.Orderer.BatchSize) and, where the
// document was YAML text, its line.
type FieldError struct {
	Path string
	Line int // 0 when the document had no text (a module's dictionary)
	Msg  string
}

func (e *FieldError) Error() string {
	at := e.Path
	if e.Line > 0 {
		at = fmt.Sprintf("%s (line %d)", at, e.Line)
	}
	if at == "" {
		return e.Msg
	}
	return at + ": " + e.Msg
}

// Options adapt the decoder to one kind of document.
type Options struct {
	// Name names the document in errors about its root ("the crypto config").
	Name string
	// FoldCase matches keys to field names case-insensitively, as viper
	// (and so configtxgen) does; otherwise names must match exactly.
	FoldCase bool
	// Convert decodes the values of types the document treats specially
	// (durations, byte sizes, references by name). It returns false for a
	// value it leaves to the decoder; an error it returns is reported at the
	// value's path and line.
	Convert func(n *yaml.Node, rv reflect.Value) (bool, error)
}

// Unmarshal decodes YAML text into out (a pointer to a struct).
func Unmarshal(data []byte, out any, o Options) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("invalid YAML: %v", err)
	}
	return o.decodeDoc(&doc, out)
}

// Decode decodes a generic value (maps, lists and scalars, as JSON or a
// module's arguments hold them) into out (a pointer to a struct), with the
// same rules as Unmarshal. Errors name no lines.
func Decode(v any, out any, o Options) error {
	if v == nil {
		return o.decodeDoc(&yaml.Node{}, out)
	}
	var doc yaml.Node
	// A node encoded from a value carries no line numbers.
	if err := doc.Encode(wholeNumbers(v)); err != nil {
		return err
	}
	return o.decodeDoc(&doc, out)
}

// wholeNumbers turns whole float64 values (what JSON numbers decode to)
// into integers, so that they encode as "2" rather than "2e+00".
func wholeNumbers(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = wholeNumbers(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = wholeNumbers(e)
		}
		return out
	case float64:
		if t == math.Trunc(t) && math.Abs(t) < 1<<53 {
			return int64(t)
		}
	}
	return v
}

// decoder is one decoding: the options, and the aliases being expanded.
type decoder struct {
	Options
	expanding map[*yaml.Node]bool
}

func (o Options) decodeDoc(doc *yaml.Node, out any) error {
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	if root.Kind == 0 || root.Kind == yaml.DocumentNode || isNull(root) {
		return &FieldError{Msg: o.Name + " is empty"}
	}
	d := &decoder{Options: o, expanding: map[*yaml.Node]bool{}}
	return d.decode(root, "", reflect.ValueOf(out).Elem())
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// fail is an error at the node n, which stands at path.
func (o *decoder) fail(n *yaml.Node, path, format string, a ...any) error {
	if path == "" {
		path = o.Name
	}
	return &FieldError{Path: path, Line: n.Line, Msg: fmt.Sprintf(format, a...)}
}

// failIf places err, if any, at the node n, which stands at path.
func (o *decoder) failIf(err error, n *yaml.Node, path string) error {
	if err == nil {
		return nil
	}
	return o.fail(n, path, "%v", err)
}

// follow calls fn with the value n stands for: n itself, or what the alias
// n refers to. An alias met again inside its own value (an anchor merged
// into itself) is an error rather than an endless walk.
func (o *decoder) follow(n *yaml.Node, path string, fn func(*yaml.Node) error) error {
	if n.Kind != yaml.AliasNode {
		return fn(n)
	}
	if o.expanding[n] {
		return o.fail(n, path, "alias *%s is part of the value it refers to", n.Value)
	}
	o.expanding[n] = true
	defer delete(o.expanding, n)
	return o.follow(n.Alias, path, fn)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (o *decoder) decode(n *yaml.Node, path string, rv reflect.Value) error {
	if n.Kind == yaml.AliasNode {
		return o.follow(n, path, func(v *yaml.Node) error { return o.decode(v, path, rv) })
	}
	if isNull(n) {
		// An empty value ("Organizations:") leaves the zero value, as
		// configtxgen and cryptogen do.
		return nil
	}
	if o.Convert != nil {
		if handled, err := o.Convert(n, rv); handled || err != nil {
			return o.failIf(err, n, path)
		}
	}
	switch rv.Kind() {
	case reflect.Ptr:
		nv := reflect.New(rv.Type().Elem())
		if err := o.decode(n, path, nv.Elem()); err != nil {
			return err
		}
		rv.Set(nv)
		return nil
	case reflect.Struct:
		return o.decodeStruct(n, path, rv)
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			break
		}
		m := reflect.MakeMap(rv.Type())
		err := o.eachPair(n, path, func(k, v *yaml.Node) error {
			ev := reflect.New(rv.Type().Elem()).Elem()
			if err := o.decode(v, join(path, k.Value), ev); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(k.Value).Convert(rv.Type().Key()), ev)
			return nil
		})
		if err != nil {
			return err
		}
		rv.Set(m)
		return nil
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return o.fail(n, path, "expected a list, got %s", Describe(n))
		}
		s := reflect.MakeSlice(rv.Type(), len(n.Content), len(n.Content))
		for i, e := range n.Content {
			if err := o.decode(e, fmt.Sprintf("%s[%d]", path, i), s.Index(i)); err != nil {
				return err
			}
		}
		rv.Set(s)
		return nil
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			return o.fail(n, path, "expected a string, got %s", Describe(n))
		}
		// Numbers and booleans written unquoted are fine as strings
		// (a SANS entry 10.0.0.1, a version 2.0).
		rv.SetString(n.Value)
		return nil
	case reflect.Bool:
		b, ok := parseBool(n)
		if !ok {
			return o.fail(n, path, "expected a boolean (true or false), got %s", Describe(n))
		}
		rv.SetBool(b)
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := parseInt(n, rv.Type().Bits())
		rv.SetInt(i)
		return o.failIf(err, n, path)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u, err := parseUint(n, rv.Type().Bits())
		rv.SetUint(u)
		return o.failIf(err, n, path)
	}
	return o.fail(n, path, "unsupported field type %s", rv.Type())
}

func (o *decoder) decodeStruct(n *yaml.Node, path string, rv reflect.Value) error {
	fields, names := fieldsOf(rv.Type())
	return o.eachPair(n, path, func(k, v *yaml.Node) error {
		idx, ok := fields[k.Value]
		if !ok && o.FoldCase {
			for name, i := range fields {
				if strings.EqualFold(name, k.Value) {
					idx, ok = i, true
					break
				}
			}
		}
		if !ok {
			return o.fail(k, path, "unknown field %q (valid fields: %s)", k.Value, strings.Join(names, ", "))
		}
		f := rv.Field(idx)
		// A key given again (over a merged one) replaces the value whole,
		// as a YAML merge does.
		f.Set(reflect.Zero(f.Type()))
		return o.decode(v, join(path, k.Value), f)
	})
}

// eachPair calls fn for every key and value of the mapping n in the order
// that gives YAML's merge semantics: the merged mappings' pairs first (an
// earlier merged mapping over a later one), then n's own, each of which
// may be given once.
func (o *decoder) eachPair(n *yaml.Node, path string, fn func(k, v *yaml.Node) error) error {
	if n.Kind != yaml.MappingNode {
		return o.fail(n, path, "expected a mapping, got %s", Describe(n))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Tag != "!!merge" {
			continue
		}
		err := o.follow(n.Content[i+1], path, func(merged *yaml.Node) error {
			sources := []*yaml.Node{merged}
			if merged.Kind == yaml.SequenceNode {
				sources = merged.Content
			}
			for j := len(sources) - 1; j >= 0; j-- {
				err := o.follow(sources[j], path, func(src *yaml.Node) error { return o.eachPair(src, path, fn) })
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Tag == "!!merge" {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			return o.fail(k, path, "expected a name as key, got %s", Describe(k))
		}
		if line, dup := seen[k.Value]; dup {
			return o.fail(k, path, "key %q is already defined (line %d)", k.Value, line)
		}
		seen[k.Value] = k.Line
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// fieldsOf returns a struct type's field indexes by their yaml name, and
// the names in their order.
func fieldsOf(t reflect.Type) (map[string]int, []string) {
	fields := map[string]int{}
	var names []string
	for i := 0; i < t.NumField(); i++ {
		name := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if name == "" || name == "-" {
			continue
		}
		fields[name] = i
		names = append(names, name)
	}
	return fields, names
}

func parseBool(n *yaml.Node) (bool, bool) {
	if n.Kind != yaml.ScalarNode {
		return false, false
	}
	// YAML 1.1's words too: configtxgen and cryptogen read YAML 1.1.
	switch strings.ToLower(strings.TrimSpace(n.Value)) {
	case "true", "yes", "on", "y", "t", "1":
		return true, true
	case "false", "no", "off", "n", "f", "0":
		return false, true
	}
	return false, false
}

func parseInt(n *yaml.Node, bits int) (int64, error) {
	if n.Kind != yaml.ScalarNode {
		return 0, fmt.Errorf("expected a whole number, got %s", Describe(n))
	}
	s := strings.TrimSpace(n.Value)
	i, err := strconv.ParseInt(s, 0, bits)
	if err == nil {
		return i, nil
	}
	if errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("%s is out of range", s)
	}
	if f, ferr := strconv.ParseFloat(s, 64); ferr == nil && f == math.Trunc(f) {
		if limit := math.Ldexp(1, bits-1); f < -limit || f >= limit {
			return 0, fmt.Errorf("%s is out of range", s)
		}
		return int64(f), nil
	}
	return 0, fmt.Errorf("expected a whole number, got %s", Describe(n))
}

// parseUint reads the scalar n as a non-negative whole number of at most
// bits bits.
func parseUint(n *yaml.Node, bits int) (uint64, error) {
	if n.Kind != yaml.ScalarNode {
		return 0, fmt.Errorf("expected a whole number, got %s", Describe(n))
	}
	s := strings.TrimSpace(n.Value)
	if strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("expected a non-negative whole number, got %s", Describe(n))
	}
	u, err := strconv.ParseUint(s, 0, bits)
	if err == nil {
		return u, nil
	}
	if errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("%s is out of range (at most %d)", s, uint64(1<<bits-1))
	}
	if f, ferr := strconv.ParseFloat(s, 64); ferr == nil && f == math.Trunc(f) {
		if f >= math.Ldexp(1, bits) {
			return 0, fmt.Errorf("%s is out of range (at most %d)", s, uint64(1<<bits-1))
		}
		return uint64(f), nil
	}
	return 0, fmt.Errorf("expected a whole number, got %s", Describe(n))
}

// Describe names a node's value for an error message.
func Describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	}
	return "an unexpected node"
}
