package configtx

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/fabrun/fabrun/internal/bytesize"
	"io"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// FieldError is a configuration error tied to one field, named by its path
// in the configtx.yaml (e.g. Profiles.TwoOrgsChannel.Application.Policies.Admins.Rule).
type FieldError struct {
	Path string
	Msg  string
}

func (e *FieldError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

func fieldErr(path, format string, a ...any) error {
	return &FieldError{Path: path, Msg: fmt.Sprintf(format, a...)}
}

// ParseYAML decodes a configtx.yaml document strictly: YAML anchors, aliases
// and merge keys (<<) work as in any configtx.yaml, and a key that no
// section defines is an error naming its path.
func ParseYAML(data []byte) (*TopLevel, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var raw any
	if err := dec.Decode(&raw); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fieldErr("", "the configuration is empty")
		}
		return nil, fmt.Errorf("invalid YAML: %v", err)
	}
	return Decode(raw)
}

// Decode converts a generic configuration value (what YAML or JSON decode
// to: maps, lists, scalars) into a TopLevel, strictly.
func Decode(raw any) (*TopLevel, error) {
	if raw == nil {
		return nil, fieldErr("", "the configuration is empty")
	}
	t := &TopLevel{}
	if err := decodeValue("", raw, reflect.ValueOf(t).Elem()); err != nil {
		return nil, err
	}
	for i, o := range t.Organizations {
		// Only profiles may name an organization instead of defining it.
		if o != nil && o.ref != "" {
			return nil, fieldErr(fmt.Sprintf("Organizations[%d]", i), "expected an organization definition (a mapping), got the name %q", o.ref)
		}
	}
	return t, nil
}

var (
	durationType = reflect.TypeOf(time.Duration(0))
	orgPtrType   = reflect.TypeOf(&Organization{})
)

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// fieldsOf returns a struct type's fields by their yaml name.
func fieldsOf(t reflect.Type) (map[string]int, []string) {
	m := map[string]int{}
	var names []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if tag == "" || tag == "-" {
			continue
		}
		name := strings.Split(tag, ",")[0]
		m[name] = i
		names = append(names, name)
	}
	return m, names
}

func decodeValue(path string, v any, rv reflect.Value) error {
	if v == nil {
		// An empty YAML value ("Organizations:") leaves the zero value,
		// as configtxgen does.
		return nil
	}
	if rv.Type() == orgPtrType {
		if s, ok := v.(string); ok {
			// A plain name instead of an alias: resolved against the
			// top-level Organizations after decoding.
			rv.Set(reflect.ValueOf(&Organization{ref: s}))
			return nil
		}
	}
	if rv.Type() == durationType {
		s, ok := v.(string)
		if !ok {
			return fieldErr(path, "expected a duration such as \"2s\", got %s", describe(v))
		}
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return fieldErr(path, "invalid duration %q (use Go syntax such as \"2s\" or \"500ms\")", s)
		}
		rv.SetInt(int64(d))
		return nil
	}
	switch rv.Kind() {
	case reflect.Ptr:
		nv := reflect.New(rv.Type().Elem())
		if err := decodeValue(path, v, nv.Elem()); err != nil {
			return err
		}
		rv.Set(nv)
		return nil
	case reflect.Struct:
		m, ok := asMap(v)
		if !ok {
			return fieldErr(path, "expected a mapping, got %s", describe(v))
		}
		fields, names := fieldsOf(rv.Type())
		keys := sortedKeys(m)
		for _, k := range keys {
			idx, ok := fields[k]
			if !ok {
				// configtxgen (viper) matches keys case-insensitively.
				for name, i := range fields {
					if strings.EqualFold(name, k) {
						idx, ok = i, true
						break
					}
				}
			}
			if !ok {
				return fieldErr(join(path, k), "unknown field (valid fields here: %s)", strings.Join(names, ", "))
			}
			if err := decodeValue(join(path, k), m[k], rv.Field(idx)); err != nil {
				return err
			}
		}
		return nil
	case reflect.Map:
		m, ok := asMap(v)
		if !ok {
			return fieldErr(path, "expected a mapping, got %s", describe(v))
		}
		out := reflect.MakeMapWithSize(rv.Type(), len(m))
		for _, k := range sortedKeys(m) {
			ev := reflect.New(rv.Type().Elem()).Elem()
			if err := decodeValue(join(path, k), m[k], ev); err != nil {
				return err
			}
			out.SetMapIndex(reflect.ValueOf(k), ev)
		}
		rv.Set(out)
		return nil
	case reflect.Slice:
		l, ok := v.([]any)
		if !ok {
			return fieldErr(path, "expected a list, got %s", describe(v))
		}
		out := reflect.MakeSlice(rv.Type(), len(l), len(l))
		for i, e := range l {
			if err := decodeValue(fmt.Sprintf("%s[%d]", path, i), e, out.Index(i)); err != nil {
				return err
			}
		}
		rv.Set(out)
		return nil
	case reflect.String:
		switch x := v.(type) {
		case string:
			rv.SetString(x)
		case bool, int, int64, uint64, float64:
			rv.SetString(scalarString(x))
		default:
			return fieldErr(path, "expected a string, got %s", describe(v))
		}
		return nil
	case reflect.Bool:
		switch x := v.(type) {
		case bool:
			rv.SetBool(x)
		case string:
			b, err := strconv.ParseBool(strings.TrimSpace(x))
			if err != nil {
				return fieldErr(path, "expected true or false, got %q", x)
			}
			rv.SetBool(b)
		default:
			return fieldErr(path, "expected true or false, got %s", describe(v))
		}
		return nil
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Uint32, reflect.Uint64:
		n, err := toUint(v, rv.Kind() == reflect.Uint32)
		if err != nil {
			return fieldErr(path, "%v", err)
		}
		var max uint64
		switch rv.Kind() {
		case reflect.Uint32:
			max = math.MaxUint32
		case reflect.Int32:
			max = math.MaxInt32
		case reflect.Int, reflect.Int64:
			max = math.MaxInt64
		default:
			max = math.MaxUint64
		}
		if n > max {
			return fieldErr(path, "value %d is too large", n)
		}
		if rv.Kind() == reflect.Uint32 || rv.Kind() == reflect.Uint64 {
			rv.SetUint(n)
		} else {
			rv.SetInt(int64(n))
		}
		return nil
	}
	return fieldErr(path, "unsupported field type %s", rv.Type())
}

// toUint converts a whole, non-negative number; sizes allows byte units.
func toUint(v any, sizes bool) (uint64, error) {
	switch x := v.(type) {
	case int:
		if x < 0 {
			return 0, fmt.Errorf("expected a non-negative whole number, got %d", x)
		}
		return uint64(x), nil
	case int64:
		if x < 0 {
			return 0, fmt.Errorf("expected a non-negative whole number, got %d", x)
		}
		return uint64(x), nil
	case uint64:
		return x, nil
	case float64:
		if x < 0 || x != math.Trunc(x) || x > 1<<63 {
			return 0, fmt.Errorf("expected a non-negative whole number, got %v", x)
		}
		return uint64(x), nil
	case string:
		s := strings.TrimSpace(x)
		if n, err := strconv.ParseUint(s, 10, 64); err == nil {
			return n, nil
		}
		if sizes {
			n, err := bytesize.Parse(s)
			if err != nil {
				return 0, err
			}
			return uint64(n), nil
		}
		return 0, fmt.Errorf("expected a whole number, got %q", x)
	}
	return 0, fmt.Errorf("expected a whole number, got %s", describe(v))
}

func asMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case map[any]any:
		out := make(map[string]any, len(m))
		for k, e := range m {
			out[fmt.Sprint(k)] = e
		}
		return out, true
	}
	return nil, false
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func scalarString(v any) string {
	if f, ok := v.(float64); ok && f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return fmt.Sprint(v)
}

func describe(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("the string %q", x)
	case bool:
		return fmt.Sprintf("the boolean %v", x)
	case int, int64, uint64, float64:
		return fmt.Sprintf("the number %v", x)
	case []any:
		return "a list"
	case map[string]any, map[any]any:
		return "a mapping"
	}
	return fmt.Sprintf("%T", v)
}
