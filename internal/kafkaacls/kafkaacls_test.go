package kafkaacls

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Shopify/sarama"

	"github.com/fabrun/fabrun/internal/module"
)

func TestWantedAndMissing(t *testing.T) {
	o0, o1 := "User:orderer0.backbone.example.com", "User:orderer1.backbone.example.com"
	tests := []struct {
		name       string
		principals []string
		operations []string
		have       []Entry
		wantErr    string
		missing    []string
	}{
		{"nothing yet", []string{o0}, []string{"Write", "read"}, nil, "",
			[]string{o0 + " may READ from *", o0 + " may WRITE from *"}},
		{"all there", []string{o0}, []string{"Write"},
			[]Entry{{o0, "*", sarama.AclOperationWrite}}, "", nil},
		{"another host does not count", []string{o0}, []string{"Write"},
			[]Entry{{o0, "10.0.0.1", sarama.AclOperationWrite}}, "", []string{o0 + " may WRITE from *"}},
		{"one of two principals", []string{o0, o1}, []string{"Describe"},
			[]Entry{{o0, "*", sarama.AclOperationDescribe}}, "", []string{o1 + " may DESCRIBE from *"}},
		{"repeated pairs once", []string{o0, o0}, []string{"Create"}, nil, "", []string{o0 + " may CREATE from *"}},
		{"no principal", nil, []string{"Write"}, nil, "principals", nil},
		{"not a user principal", []string{"orderer0"}, []string{"Write"}, nil, "principals: \"orderer0\"", nil},
		{"unknown operation", []string{o0}, []string{"Produce"}, nil, "operations: unknown operation \"Produce\"", nil},
		{"no operation", []string{o0}, nil, nil, "operations", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := Args{Principals: tt.principals, Operations: tt.operations}.Wanted()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := lines(Missing(w, tt.have))
			if strings.Join(got, "|") != strings.Join(tt.missing, "|") {
				t.Errorf("missing = %q, want %q", got, tt.missing)
			}
		})
	}
}

// Bad options fail naming the option, before any connection.
func TestRunRefusesBadOptions(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.crt")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o600)
	base := map[string]any{"bootstrap": []any{"127.0.0.1:1"}, "tls_ca": notPEM, "tls_keystore": notPEM,
		"principals": []any{"User:o0"}, "operations": []any{"Write"}}
	tests := []struct {
		name    string
		change  map[string]any
		wantMsg string
	}{
		{"principal", map[string]any{"principals": []any{"o0"}}, "principals"},
		{"operation", map[string]any{"operations": []any{"Fly"}}, "operations"},
		{"empty topic", map[string]any{"topic": ""}, "topic"},
		{"CA not PEM", nil, "tls_ca"},
		{"no bootstrap", map[string]any{"bootstrap": nil}, "bootstrap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := map[string]any{}
			for k, v := range base {
				args[k] = v
			}
			for k, v := range tt.change {
				if v == nil {
					delete(args, k)
				} else {
					args[k] = v
				}
			}
			b, _ := json.Marshal(args)
			out := module.Execute(Spec(), b, Run)
			if out["failed"] != true || !strings.Contains(out["msg"].(string), tt.wantMsg) {
				t.Errorf("got %v, want a failure naming %q", out, tt.wantMsg)
			}
		})
	}
}
