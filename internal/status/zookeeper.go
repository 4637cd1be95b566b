package status

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/fabrun/fabrun/internal/probe"
)

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

// ReadKafkaMeta reads broker registrations and topic states from the
// ZooKeeper ensemble, under Kafka's chroot ("" for the root), over TLS with
// cfg (plaintext when nil).
func ReadKafkaMeta(ctx context.Context, servers []string, chroot string, timeout time.Duration, cfg *tls.Config) (*KafkaMeta, error) {
	conn, err := probe.ZooKeeperSession(servers, timeout, cfg)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	m, err := probe.Bounded(ctx, func() (*KafkaMeta, error) { return readKafkaMeta(conn, chroot) })
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return nil, fmt.Errorf("no answer from ZooKeeper %s within %s", strings.Join(servers, ","), timeout)
	}
	return m, err
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

func readKafkaMeta(c zkReader, chroot string) (*KafkaMeta, error) {
	m := &KafkaMeta{Brokers: map[int]BrokerRegistration{}, Topics: map[string]Topic{}}
	ids, err := children(c, chroot+"/brokers/ids")
	if err != nil {
		return nil, err
	}
	for _, s := range ids {
		id, err := strconv.Atoi(s)
		if err != nil {
			continue
		}
		data, _, err := c.Get(chroot + "/brokers/ids/" + s)
		if err != nil {
			continue // the broker deregistered meanwhile
		}
		var reg BrokerRegistration
		_ = json.Unmarshal(data, &reg)
		reg.ID = id
		m.Brokers[id] = reg
	}
	topics, err := children(c, chroot+"/brokers/topics")
	if err != nil {
		return nil, err
	}
	for _, t := range topics {
		top := Topic{Name: t, State: PartitionState{Leader: -1}}
		if data, _, err := c.Get(chroot + "/brokers/topics/" + t); err == nil {
			var assign struct {
				Partitions map[string][]int `json:"partitions"`
			}
			if json.Unmarshal(data, &assign) == nil {
				top.Replicas = assign.Partitions["0"]
			}
		}
		if data, _, err := c.Get(chroot + "/brokers/topics/" + t + "/partitions/0/state"); err == nil {
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
