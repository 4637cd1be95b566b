package strictyaml

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

type inner struct {
	N    int    `yaml:"N"`
	Name string `yaml:"Name"`
}

type doc struct {
	Count   uint32          `yaml:"Count"`
	On      bool            `yaml:"On"`
	Tags    []string        `yaml:"Tags"`
	Inner   inner           `yaml:"Inner"`
	Ptr     *inner          `yaml:"Ptr"`
	Flags   map[string]bool `yaml:"Flags"`
	Ignored string          `yaml:"-"`
}

func TestStrictYAMLUnmarshal(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		opts Options
		want doc
		err  string // the whole error; empty: success
	}{
		{name: "scalars coerced", in: "Count: '7'\nOn: yes\nTags: [1, 10.0.0.1, true]\n",
			want: doc{Count: 7, On: true, Tags: []string{"1", "10.0.0.1", "true"}}},
		{name: "null leaves the zero value", in: "Count:\nInner:\n", want: doc{}},
		{name: "unknown key at the root", in: "d: &d {N: 1, Name: a}\n",
			err: `the doc (line 1): unknown field "d" (valid fields: Count, On, Tags, Inner, Ptr, Flags)`},
		{name: "merged mappings: own keys win, earlier merged ones over later", in: "Flags: {<<: [{a: true, b: true}, {b: false, c: false}], c: true}\nInner: {<<: {N: 2, Name: x}, Name: y}\n",
			want: doc{Flags: map[string]bool{"a": true, "b": true, "c": true}, Inner: inner{N: 2, Name: "y"}}},
		{name: "alias", in: "Inner: &i {N: 3}\nPtr: *i\n", want: doc{Inner: inner{N: 3}, Ptr: &inner{N: 3}}},
		{name: "case must match", in: "count: 1\n", err: `the doc (line 1): unknown field "count" (valid fields: Count, On, Tags, Inner, Ptr, Flags)`},
		{name: "case folded", in: "count: 1\n", opts: Options{FoldCase: true}, want: doc{Count: 1}},
		{name: "negative unsigned", in: "Count: -1\n", err: `Count (line 1): expected a non-negative whole number, got "-1"`},
		{name: "too large", in: "Count: 4294967296\n", err: `Count (line 1): 4294967296 is out of range (at most 4294967295)`},
		{name: "fraction", in: "Inner: {N: 1.5}\n", err: `Inner.N (line 1): expected a whole number, got "1.5"`},
		{name: "whole float", in: "Inner: {N: 2.0}\n", want: doc{Inner: inner{N: 2}}},
		{name: "not a boolean", in: "On: maybe\n", err: `On (line 1): expected a boolean (true or false), got "maybe"`},
		{name: "not a list", in: "Tags: {a: 1}\n", err: `Tags (line 1): expected a list, got a mapping`},
		{name: "not a string", in: "Tags: [[x]]\n", err: `Tags[0] (line 1): expected a string, got a list`},
		{name: "not a mapping", in: "Inner: 3\n", err: `Inner (line 1): expected a mapping, got "3"`},
		{name: "duplicate key", in: "Inner:\n  N: 1\n  N: 2\n", err: `Inner (line 3): key "N" is already defined (line 2)`},
		{name: "empty", in: "", err: "the doc is empty"},
		{name: "only a comment", in: "# nothing\n", err: "the doc is empty"},
		{name: "not YAML", in: "Tags: [\n", err: "invalid YAML: yaml: line 1: did not find expected node content"},
		{name: "anchor merged into itself", in: "Inner: &i\n  <<: *i\n  N: 1\n", err: `Inner (line 2): alias *i is part of the value it refers to`},
		{name: "anchor merged into itself through a list", in: "Flags: &f {<<: [{a: true}, *f]}\n", err: `Flags (line 1): alias *f is part of the value it refers to`},
		{name: "unknown anchor", in: "Ptr: *nope\n", err: "invalid YAML: yaml: unknown anchor 'nope' referenced"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.opts.Name == "" {
				tc.opts.Name = "the doc"
			}
			var got doc
			err := Unmarshal([]byte(tc.in), &got, tc.opts)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("decoded %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestStrictYAMLDecode: a module's dictionary decodes by the same rules,
// JSON's float64 numbers included, and its errors name no line.
func TestStrictYAMLDecode(t *testing.T) {
	var got doc
	in := map[string]any{"Count": float64(98 * 1024 * 1024), "Inner": map[string]any{"N": "4"}, "Tags": []any{"yes", 2.5}}
	if err := Decode(in, &got, Options{Name: "config"}); err != nil {
		t.Fatal(err)
	}
	want := doc{Count: 98 * 1024 * 1024, Inner: inner{N: 4}, Tags: []string{"yes", "2.5"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded %+v, want %+v", got, want)
	}
	err := Decode(map[string]any{"Inner": map[string]any{"Bad": 1}}, &got, Options{Name: "config"})
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Path != "Inner" || fe.Line != 0 || strings.Contains(err.Error(), "line") {
		t.Errorf("got %#v (%v), want a FieldError at Inner without a line", err, err)
	}
	if err := Decode(nil, &got, Options{Name: "config"}); err == nil || err.Error() != "config is empty" {
		t.Errorf("nil: got %v", err)
	}
}

// TestStrictYAMLConvert: a Convert function decodes its own types and its
// errors are placed at the value.
func TestStrictYAMLConvert(t *testing.T) {
	opts := Options{Name: "the doc", Convert: func(n *yaml.Node, rv reflect.Value) (bool, error) {
		if rv.Kind() != reflect.Uint32 {
			return false, nil
		}
		if n.Value == "big" {
			rv.SetUint(1 << 20)
			return true, nil
		}
		if n.Value == "bad" {
			return true, errors.New("not a size")
		}
		return false, nil
	}}
	var got doc
	if err := Unmarshal([]byte("Count: big\n"), &got, opts); err != nil || got.Count != 1<<20 {
		t.Errorf("got %d, %v", got.Count, err)
	}
	if err := Unmarshal([]byte("On: true\nCount: bad\n"), &got, opts); err == nil || err.Error() != "Count (line 2): not a size" {
		t.Errorf("got %v", err)
	}
}

// FuzzStrictYAMLUnmarshal: no document, however malformed, makes decoding
// panic or recurse without end.
func FuzzStrictYAMLUnmarshal(f *testing.F) {
	f.Add([]byte("Count: 7\nInner: &i {N: 1}\nPtr: *i\nFlags: {<<: [{a: true}], b: no}\n"), true)
	f.Add([]byte("Inner: &i\n  <<: *i\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, fold bool) {
		var d doc
		Unmarshal(data, &d, Options{Name: "the doc", FoldCase: fold})
	})
}
