package ready

// Before a Kafka broker starts: ZooKeeper must no longer hold the broker's
// registration (/brokers/ids/<id>, an ephemeral znode) from a run that
// ended. A broker that crashed, or whose host lost power, leaves it behind
// until its ZooKeeper session times out (zookeeper.session.timeout.ms after
// the crash, or after the ensemble itself restarted); a broker started
// meanwhile finds the znode owned by another session and exits at once
// (NodeExists). A broker that runs owns its registration: nothing to wait
// for.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/fabrun/fabrun/internal/inventory"
	"github.com/fabrun/fabrun/internal/probe"
)

// znodeGetter reads one znode (a *zk.Conn).
type znodeGetter interface {
	Get(path string) ([]byte, *zk.Stat, error)
}

// staleWait is what a wait for a stale registration looks at.
type staleWait struct {
	id   int
	path string     // the registration's znode, under the chroot
	run  currentRun // the broker's service: running or not
	seen string     // the session of a stale registration seen during the wait
}

// poll asks the service manager first: ZooKeeper (session, opened on first
// use) only when the broker does not run, which on most full runs it does.
func (w *staleWait) poll(ctx context.Context, session func() (znodeGetter, error)) answer {
	data := map[string]any{"ready": false, "broker_id": w.id}
	_, _, err := w.run(ctx)
	switch {
	case err == nil:
		data["ready"], data["running"] = true, true
		return answer{ready: true, data: data}
	case !errors.Is(err, errNotRunning):
		return answer{problem: err.Error(), data: data}
	}
	zc, err := session()
	if err != nil {
		return answer{problem: "connecting to ZooKeeper: " + err.Error(), data: data}
	}
	type znode struct {
		data []byte
		stat *zk.Stat
	}
	n, err := probe.Bounded(ctx, func() (znode, error) {
		b, stat, err := zc.Get(w.path)
		return znode{b, stat}, err
	})
	switch {
	case errors.Is(err, zk.ErrNoNode):
		data["ready"] = true
		ans := answer{ready: true, data: data}
		if w.seen != "" {
			ans.warning = fmt.Sprintf("ZooKeeper held broker %d's registration from a run that ended (session %s) until that session timed out", w.id, w.seen)
		}
		return ans
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return answer{problem: "no answer from ZooKeeper yet", data: data}
	case err != nil:
		return answer{problem: fmt.Sprintf("reading %s from ZooKeeper: %v", w.path, err), data: data}
	}
	var reg struct {
		Endpoints []string `json:"endpoints"`
	}
	_ = json.Unmarshal(n.data, &reg)
	data["endpoints"] = reg.Endpoints
	w.seen = fmt.Sprintf("0x%x", n.stat.EphemeralOwner)
	data["session"] = w.seen
	return answer{data: data, problem: fmt.Sprintf(
		"ZooKeeper still holds broker %d's registration (%s, session %s) from a run that ended; "+
			"it goes when that session times out (zookeeper.session.timeout.ms), unless another broker with this id runs",
		w.id, strings.Join(reg.Endpoints, ", "), w.seen)}
}

// stalePoller waits until ZooKeeper holds no registration of broker
// stale_broker, or the broker runs.
func stalePoller(a Args, run currentRun) (func(context.Context) answer, string, func(), error) {
	if a.TLSKeystore == "" {
		return nil, "", nil, errors.New("tls_keystore is required with stale_broker (the ensemble wants a client certificate)")
	}
	if *a.StaleBroker < 0 {
		return nil, "", nil, fmt.Errorf("stale_broker must be a broker id >= 0 (is %d)", *a.StaleBroker)
	}
	servers, chroot, err := inventory.ParseZooKeeperConnect(a.ZooKeeperConnect)
	if err != nil {
		return nil, "", nil, fmt.Errorf("zookeeper_connect: %v", err)
	}
	cfg, err := backboneTLS(a)
	if err != nil {
		return nil, "", nil, err
	}
	var conn *zk.Conn
	session := func() (znodeGetter, error) {
		if conn == nil {
			c, err := probe.ZooKeeperSession(servers, time.Duration(min(a.Timeout, 10)*float64(time.Second)), cfg)
			if err != nil {
				return nil, err
			}
			conn = c
		}
		return conn, nil
	}
	closer := func() {
		if conn != nil {
			conn.Close()
		}
	}
	w := &staleWait{id: *a.StaleBroker, path: fmt.Sprintf("%s/brokers/ids/%d", chroot, *a.StaleBroker), run: run}
	return func(ctx context.Context) answer { return w.poll(ctx, session) },
		fmt.Sprintf("ZooKeeper for broker %d", w.id), closer, nil
}
