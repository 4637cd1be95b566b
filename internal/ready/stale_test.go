package ready

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// fakeZnode answers Get for one path: its data, or err; block: never answers.
type fakeZnode struct {
	data  string
	owner int64
	err   error
	block bool
	gets  *int
}

func (f fakeZnode) Get(path string) ([]byte, *zk.Stat, error) {
	*f.gets++
	if f.block {
		select {}
	}
	if f.err != nil {
		return nil, nil, f.err
	}
	if path != "/kafka/brokers/ids/4" {
		return nil, nil, zk.ErrNoNode
	}
	return []byte(f.data), &zk.Stat{EphemeralOwner: f.owner}, nil
}

func TestStaleBroker(t *testing.T) {
	running := func(context.Context) ([]string, int, error) { return nil, 42, nil }
	stopped := func(context.Context) ([]string, int, error) { return nil, 0, errNotRunning }
	socketDown := func(context.Context) ([]string, int, error) { return nil, 0, errors.New("permission denied") }
	registration := `{"endpoints":["SSL://127.0.194.214:9093"],"host":null,"port":-1}`
	for _, tc := range []struct {
		name      string
		run       currentRun
		znode     fakeZnode
		ready     bool
		gets      int    // ZooKeeper reads made
		problem   string // in the answer's problem when not ready
		dataField string // set in the answer's data
	}{
		{"the broker runs: its registration is its own", running, fakeZnode{data: registration, owner: 0x10}, true, 0, "", "running"},
		{"stopped, no registration", stopped, fakeZnode{err: zk.ErrNoNode}, true, 1, "", ""},
		{"stopped, a registration left by a run that ended", stopped, fakeZnode{data: registration, owner: 0x10000051d250002}, false, 1,
			"broker 4's registration (SSL://127.0.194.214:9093, session 0x10000051d250002) from a run that ended", "session"},
		{"the service manager does not answer", socketDown, fakeZnode{}, false, 0, "permission denied", ""},
		{"ZooKeeper refuses the read", stopped, fakeZnode{err: zk.ErrNoAuth}, false, 1, "reading /kafka/brokers/ids/4 from ZooKeeper", ""},
		{"ZooKeeper does not answer yet", stopped, fakeZnode{block: true}, false, 1, "no answer from ZooKeeper yet", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gets := 0
			tc.znode.gets = &gets
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			w := &staleWait{id: 4, path: "/kafka/brokers/ids/4", run: tc.run}
			sessions := 0
			got := w.poll(ctx, func() (znodeGetter, error) { sessions++; return tc.znode, nil })
			if got.ready != tc.ready || got.final || gets != tc.gets || sessions != tc.gets {
				t.Errorf("ready=%v final=%v after %d sessions and %d reads, want ready=%v, not final, %d of each: %+v",
					got.ready, got.final, sessions, gets, tc.ready, tc.gets, got)
			}
			if !strings.Contains(got.problem, tc.problem) {
				t.Errorf("problem %q lacks %q", got.problem, tc.problem)
			}
			if _, ok := got.data[tc.dataField]; tc.dataField != "" && !ok {
				t.Errorf("data %v lacks %s", got.data, tc.dataField)
			}
		})
	}

	// No session with the ensemble yet: not ready, and says why.
	w0 := &staleWait{id: 4, path: "/kafka/brokers/ids/4", run: stopped}
	if got := w0.poll(context.Background(), func() (znodeGetter, error) { return nil, errors.New("tls: bad certificate") }); got.ready ||
		!strings.Contains(got.problem, "connecting to ZooKeeper: tls: bad certificate") {
		t.Errorf("without a session: %+v", got)
	}

	// A registration seen, then gone: ready, with a warning naming the session.
	gets := 0
	w := &staleWait{id: 4, path: "/kafka/brokers/ids/4", run: stopped}
	left := func() (znodeGetter, error) { return fakeZnode{data: registration, owner: 0xab, gets: &gets}, nil }
	if got := w.poll(context.Background(), left); got.ready || got.warning != "" {
		t.Fatalf("first poll: %+v", got)
	}
	gone := func() (znodeGetter, error) { return fakeZnode{err: zk.ErrNoNode, gets: &gets}, nil }
	got := w.poll(context.Background(), gone)
	if !got.ready || !strings.Contains(got.warning, "broker 4's registration from a run that ended (session 0xab)") {
		t.Errorf("once the registration is gone: ready=%v, warning %q", got.ready, got.warning)
	}
}

// The options a stale-registration wait needs, each refused by name.
func TestStaleBrokerOptions(t *testing.T) {
	ks := keystore(t)
	_, ca := mutualTLSListener(t)
	base := func() map[string]any {
		return map[string]any{"stale_broker": 4, "zookeeper_connect": "127.0.0.1:1", "tls_ca": ca, "tls_keystore": ks,
			"manager": "systemd", "unit": "fabrun-kafka", "timeout": 0.1}
	}
	for _, tc := range []struct {
		name, drop, set string
		value           any
		want            string
	}{
		{"no connect string", "zookeeper_connect", "", nil, "required together: stale_broker, zookeeper_connect"},
		{"no manager", "manager", "", nil, "manager is required with begin and stale_broker"},
		{"no key store", "tls_keystore", "", nil, "tls_keystore is required with stale_broker"},
		{"a negative id", "", "stale_broker", -1, "stale_broker must be a broker id >= 0"},
		{"not host:port", "", "zookeeper_connect", "zk1,zk2/kafka", `zookeeper_connect: ZooKeeper connect string "zk1,zk2/kafka"`},
		{"with zookeeper too", "", "zookeeper", "127.0.0.1:2", "mutually exclusive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := base()
			delete(a, tc.drop)
			if tc.set != "" {
				a[tc.set] = tc.value
			}
			if out := call(t, a); out["failed"] != true || !strings.Contains(fmt.Sprint(out["msg"]), tc.want) {
				t.Errorf("want a failure saying %q: %v", tc.want, out)
			}
		})
	}
}
