package status

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
)

// Srvr is what ZooKeeper's `srvr` four-letter command reports.
type Srvr struct {
	Version     string `json:"version"`
	Mode        string `json:"mode"` // leader, follower, standalone, observer
	NodeCount   int    `json:"node_count"`
	Zxid        string `json:"zxid,omitempty"`
	Connections int    `json:"connections"`
}

// FourLetter sends a four-letter command to a ZooKeeper server and returns
// its answer; over TLS with cfg (the deployed ensemble serves only TLS
// clients), in plaintext when cfg is nil.
func FourLetter(ctx context.Context, addr, cmd string, cfg *tls.Config) (string, error) {
	conn, err := dialZooKeeper(ctx, addr, cfg)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if _, err := io.WriteString(conn, cmd); err != nil {
		return "", err
	}
	b, err := io.ReadAll(io.LimitReader(conn, 1<<20))
	if err != nil && len(b) == 0 {
		return "", err
	}
	return string(b), nil
}

// dialZooKeeper connects to addr, with a TLS handshake when cfg is set (the
// server's certificate must name addr's host).
func dialZooKeeper(ctx context.Context, addr string, cfg *tls.Config) (net.Conn, error) {
	if cfg == nil {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}
	d := tls.Dialer{Config: cfg}
	return d.DialContext(ctx, "tcp", addr)
}

// ParseSrvr reads a `srvr` answer.
func ParseSrvr(text string) (*Srvr, error) {
	t := strings.TrimSpace(text)
	switch {
	case t == "":
		return nil, fmt.Errorf("empty answer to srvr")
	case strings.Contains(t, "not in the whitelist") || strings.Contains(t, "not executed"):
		return nil, fmt.Errorf("srvr is not allowed (4lw.commands.whitelist): %s", t)
	case strings.Contains(t, "not currently serving requests"):
		return nil, fmt.Errorf("not serving requests (no quorum)")
	}
	s := &Srvr{}
	for _, line := range strings.Split(t, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "Zookeeper version":
			s.Version = strings.SplitN(v, "-", 2)[0]
			s.Version = strings.SplitN(s.Version, ",", 2)[0]
		case "Mode":
			s.Mode = v
		case "Node count":
			s.NodeCount, _ = strconv.Atoi(v)
		case "Zxid":
			s.Zxid = v
		case "Connections":
			s.Connections, _ = strconv.Atoi(v)
		}
	}
	if s.Mode == "" {
		return nil, fmt.Errorf("srvr answer has no Mode: %q", firstLine(t))
	}
	return s, nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// BrokerRegistration is /brokers/ids/<id>.
type BrokerRegistration struct {
	ID        int      `json:"-"`
	Endpoints []string `json:"endpoints"`
	Host      string   `json:"host"`
	Port      int      `json:"port"`
}

// PartitionState is /brokers/topics/<t>/partitions/<p>/state.
type PartitionState struct {
	Leader      int   `json:"leader"`
	ISR         []int `json:"isr"`
	LeaderEpoch int   `json:"leader_epoch"`
}

// Topic is a topic's partition 0 (Fabric's channels have one partition).
type Topic struct {
	Name     string         `json:"name"`
	Replicas []int          `json:"replicas"`
	State    PartitionState `json:"state"`
}

// KafkaMeta is what Kafka keeps in ZooKeeper about brokers and topics.
type KafkaMeta struct {
	Brokers map[int]BrokerRegistration `json:"brokers"`
	Topics  map[string]Topic           `json:"topics"`
}

type quietLogger struct{}

func (quietLogger) Printf(string, ...interface{}) {}

// ReadKafkaMeta reads broker registrations and topic states from the
// ZooKeeper ensemble, over TLS with cfg (plaintext when nil).
func ReadKafkaMeta(ctx context.Context, servers []string, timeout time.Duration, cfg *tls.Config) (*KafkaMeta, error) {
	type result struct {
		m   *KafkaMeta
		err error
	}
	done := make(chan result, 1)
	dial := func(network, address string, timeout time.Duration) (net.Conn, error) {
		dctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		return dialZooKeeper(dctx, address, cfg)
	}
	conn, _, err := zk.Connect(servers, timeout, zk.WithLogger(quietLogger{}), zk.WithLogInfo(false), zk.WithDialer(dial))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	go func() {
		m, err := readKafkaMeta(conn)
		done <- result{m, err}
	}()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	select {
	case r := <-done:
		return r.m, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("no answer from ZooKeeper %s within %s", strings.Join(servers, ","), timeout)
	}
}

type zkReader interface {
	Children(path string) ([]string, *zk.Stat, error)
	Get(path string) ([]byte, *zk.Stat, error)
}

// children lists a znode's children; a znode that does not exist (yet) has none.
func children(c zkReader, path string) ([]string, error) {
	kids, _, err := c.Children(path)
	if err == zk.ErrNoNode {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return kids, nil
}

func readKafkaMeta(c zkReader) (*KafkaMeta, error) {
	m := &KafkaMeta{Brokers: map[int]BrokerRegistration{}, Topics: map[string]Topic{}}
	ids, err := children(c, "/brokers/ids")
	if err != nil {
		return nil, err
	}
	for _, s := range ids {
		id, err := strconv.Atoi(s)
		if err != nil {
			continue
		}
		data, _, err := c.Get("/brokers/ids/" + s)
		if err != nil {
			continue // the broker deregistered meanwhile
		}
		var reg BrokerRegistration
		_ = json.Unmarshal(data, &reg)
		reg.ID = id
		m.Brokers[id] = reg
	}
	topics, err := children(c, "/brokers/topics")
	if err != nil {
		return nil, err
	}
	for _, t := range topics {
		top := Topic{Name: t, State: PartitionState{Leader: -1}}
		if data, _, err := c.Get("/brokers/topics/" + t); err == nil {
			var assign struct {
				Partitions map[string][]int `json:"partitions"`
			}
			if json.Unmarshal(data, &assign) == nil {
				top.Replicas = assign.Partitions["0"]
			}
		}
		if data, _, err := c.Get("/brokers/topics/" + t + "/partitions/0/state"); err == nil {
			_ = json.Unmarshal(data, &top.State)
		}
		m.Topics[t] = top
	}
	return m, nil
}

func sortedInts(xs []int) []int {
	out := append([]int(nil), xs...)
	sort.Ints(out)
	return out
}
