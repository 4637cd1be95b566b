package hoststate

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeSupervisord answers getProcessInfo for "svc" as the real one does
// (its XML-RPC struct), with the pid and state the test sets.
type fakeSupervisord struct {
	pid   int
	state string
}

func (f *fakeSupervisord) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.state == "" {
		fmt.Fprint(w, `<?xml version='1.0'?><methodResponse><fault><value><struct>`+
			`<member><name>faultCode</name><value><int>10</int></value></member>`+
			`<member><name>faultString</name><value><string>BAD_NAME: svc</string></value></member>`+
			`</struct></value></fault></methodResponse>`)
		return
	}
	fmt.Fprintf(w, `<?xml version='1.0'?><methodResponse><params><param><value><struct>`+
		`<member><name>name</name><value><string>svc</string></value></member>`+
		`<member><name>start</name><value><int>1700000000</int></value></member>`+
		`<member><name>statename</name><value><string>%s</string></value></member>`+
		`<member><name>pid</name><value><int>%d</int></value></member>`+
		`</struct></value></param></params></methodResponse>`, f.state, f.pid)
}

func TestCompare(t *testing.T) {
	tests := []struct {
		name   string
		drift  func(t *testing.T, root string, sup *fakeSupervisord, a *Args)
		reason string // "" = in sync
	}{
		{"nothing changed", func(*testing.T, string, *fakeSupervisord, *Args) {}, ""},
		{"touched, same content", func(t *testing.T, root string, _ *fakeSupervisord, _ *Args) {
			later := time.Now().Add(time.Hour)
			must(t, os.Chtimes(filepath.Join(root, "etc/app.conf"), later, later))
		}, ""},
		{"a file's content", func(t *testing.T, root string, _ *fakeSupervisord, _ *Args) {
			must(t, os.WriteFile(filepath.Join(root, "etc/app.conf"), []byte("port=2\n"), 0o644))
		}, "etc/app.conf: content changed"},
		{"a file deleted", func(t *testing.T, root string, _ *fakeSupervisord, _ *Args) {
			must(t, os.Remove(filepath.Join(root, "etc/tls/key.pem")))
		}, "etc/tls/key.pem: missing"},
		{"a file's mode", func(t *testing.T, root string, _ *fakeSupervisord, _ *Args) {
			must(t, os.Chmod(filepath.Join(root, "etc/tls/key.pem"), 0o644))
		}, "etc/tls/key.pem: mode or owner changed"},
		{"a file added", func(t *testing.T, root string, _ *fakeSupervisord, _ *Args) {
			must(t, os.WriteFile(filepath.Join(root, "etc/tls/extra.pem"), nil, 0o644))
		}, "etc/tls/extra.pem: new"},
		{"a managed directory deleted", func(t *testing.T, root string, _ *fakeSupervisord, _ *Args) {
			must(t, os.Remove(filepath.Join(root, "data")))
		}, "data: missing"},
		{"the whole tree deleted", func(t *testing.T, root string, _ *fakeSupervisord, _ *Args) {
			must(t, os.RemoveAll(filepath.Join(root, "etc")))
		}, "etc: missing"},
		{"the desired inputs", func(_ *testing.T, _ string, _ *fakeSupervisord, a *Args) { a.Digest = "other" },
			"the desired state changed"},
		{"the service stopped", func(_ *testing.T, _ string, s *fakeSupervisord, _ *Args) { s.state = "STOPPED" },
			"service svc is not running"},
		{"the service unknown", func(_ *testing.T, _ string, s *fakeSupervisord, _ *Args) { s.state = "" },
			"service svc is not running"},
		{"the service stopped and a file changed", func(t *testing.T, root string, s *fakeSupervisord, _ *Args) {
			s.state = "STOPPED"
			must(t, os.WriteFile(filepath.Join(root, "etc/app.conf"), []byte("port=2\n"), 0o644))
		}, "service svc is not running"},
		{"the service restarted", func(_ *testing.T, _ string, s *fakeSupervisord, _ *Args) { s.pid = 43 },
			"service svc was restarted"},
		{"no record", func(t *testing.T, root string, _ *fakeSupervisord, a *Args) {
			must(t, os.Remove(a.Path))
		}, "no record of a full run"},
	}
	// Where the stopped service is the only difference: it may just be started.
	onlyStopped := map[string]bool{"the service stopped": true, "the service unknown": true}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for p, mode := range map[string]os.FileMode{"etc/app.conf": 0o644, "etc/tls/key.pem": 0o600, "etc/tls/cert.pem": 0o644} {
				must(t, os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o750))
				must(t, os.WriteFile(filepath.Join(root, p), []byte("port=1\n"), mode))
			}
			must(t, os.Mkdir(filepath.Join(root, "data"), 0o750))
			must(t, os.Symlink("app.conf", filepath.Join(root, "etc/current")))
			sock := filepath.Join(t.TempDir(), "s.sock")
			l, err := net.Listen("unix", sock)
			must(t, err)
			sup := &fakeSupervisord{pid: 42, state: "RUNNING"}
			srv := &http.Server{Handler: sup}
			go srv.Serve(l)
			t.Cleanup(func() { srv.Close() })
			a := Args{Path: filepath.Join(root, "run/state.json"), Digest: "d1",
				Trees:   []string{filepath.Join(root, "etc")},
				Dirs:    []string{filepath.Join(root, "data")},
				Service: &Service{Manager: "supervisor", Name: "svc", Socket: sock}}
			rec, err := Snapshot(a)
			must(t, err)
			must(t, writeRecord(a.Path, rec))
			tt.drift(t, root, sup, &a)
			d, err := Compare(a)
			must(t, err)
			if d.OnlyStopped != onlyStopped[tt.name] {
				t.Errorf("OnlyStopped = %v, want %v (%q)", d.OnlyStopped, onlyStopped[tt.name], d.Reasons)
			}
			got := strings.ReplaceAll(strings.Join(d.Reasons, "; "), root+"/", "")
			if tt.reason == "" && got != "" {
				t.Errorf("reasons %q, want in sync", got)
			}
			if tt.reason != "" && !strings.Contains(got, tt.reason) {
				t.Errorf("reasons %q, want %q", got, tt.reason)
			}
		})
	}
}

func TestSnapshotRefusesAStoppedService(t *testing.T) {
	a := Args{Path: filepath.Join(t.TempDir(), "s"), Digest: "d",
		Service: &Service{Manager: "supervisor", Name: "svc", Socket: filepath.Join(t.TempDir(), "none.sock")}}
	if _, err := Snapshot(a); err == nil || !strings.Contains(err.Error(), "not running") {
		t.Fatalf("Snapshot with no supervisord: %v", err)
	}
}

func TestServiceValidate(t *testing.T) {
	for _, tt := range []struct {
		s    Service
		want string
	}{
		{Service{Manager: "supervisor", Name: "a", Socket: "/s"}, ""},
		{Service{Manager: "supervisor", Name: "a"}, "needs name and socket"},
		{Service{Manager: "systemd", Unit: "fabrun-a"}, ""},
		{Service{Manager: "systemd"}, "needs unit"},
		{Service{Manager: "runit"}, "supervisor or systemd"},
	} {
		err := tt.s.validate()
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%+v: %v, want %q", tt.s, err, tt.want)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
