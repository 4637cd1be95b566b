package moduledoc

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestPython(t *testing.T) {
	tests := []struct {
		name    string
		sidecar string
		want    []string // substrings of the output, in order
		wantErr string
	}{
		{
			name: "all sections",
			sidecar: "DOCUMENTATION:\n  module: m\n  short_description: Does m\n" +
				"EXAMPLES: |\n  - name: Use m\n    fabrun.fabric.m: {}\n" +
				"RETURN:\n  path: {description: where, returned: always, type: str}\n",
			want: []string{"DOCUMENTATION = r'''\nmodule: m\nshort_description: Does m\n'''",
				"EXAMPLES = r'''\n- name: Use m\n  fabrun.fabric.m: {}\n'''", "RETURN = r'''\npath:"},
		},
		{name: "documentation only", sidecar: "DOCUMENTATION:\n  module: m\n", want: []string{"DOCUMENTATION = r'''\nmodule: m\n'''"}},
		{name: "no documentation", sidecar: "EXAMPLES: x\n", wantErr: "no DOCUMENTATION"},
		{name: "not yaml", sidecar: "DOCUMENTATION: [", wantErr: "reading the YAML documentation"},
		{name: "triple quote", sidecar: "DOCUMENTATION:\n  module: m\nEXAMPLES: \"a ''' b\"\n", wantErr: "EXAMPLES contains '''"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Python([]byte(tt.sidecar))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			rest := string(got)
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("output lacks %q (in order):\n%s", w, got)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

// The DOCUMENTATION text must decode to the same data as the sidecar's.
func TestPythonRoundTrip(t *testing.T) {
	sidecar := "DOCUMENTATION:\n  module: m\n  options:\n    name: {description: [\"The name: it matters.\"], type: str, required: true}\n"
	got, err := Python([]byte(sidecar))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.SplitN(strings.SplitN(string(got), "r'''\n", 2)[1], "'''", 2)[0]
	var want, back map[string]any
	if err := yaml.Unmarshal([]byte(sidecar), &want); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal([]byte(text), &back); err != nil {
		t.Fatal(err)
	}
	if a, b := mustYAML(t, want["DOCUMENTATION"]), mustYAML(t, back); a != b {
		t.Fatalf("round trip differs:\n%s\n---\n%s", a, b)
	}
}

func mustYAML(t *testing.T, v any) string {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
