package status

import (
	"strings"
	"testing"
)

// A real orderer's /metrics excerpt (Fabric v2.5.9, three consenters).
const raftMetricsText = `# HELP consensus_etcdraft_cluster_size Number of nodes in this channel.
# TYPE consensus_etcdraft_cluster_size gauge
consensus_etcdraft_cluster_size{channel="mychannel"} 3
consensus_etcdraft_cluster_size{channel="system-channel"} 3
# HELP consensus_etcdraft_is_leader The leadership status of the current node: 1 if it is the leader else 0.
# TYPE consensus_etcdraft_is_leader gauge
consensus_etcdraft_is_leader{channel="mychannel"} 1
consensus_etcdraft_is_leader{channel="system-channel"} 0
consensus_etcdraft_leader_changes{channel="mychannel"} 1
`

func TestRaftNode(t *testing.T) {
	follower := strings.ReplaceAll(raftMetricsText, `is_leader{channel="mychannel"} 1`, `is_leader{channel="mychannel"} 0`)
	orderers := []string{"orderer0.example.com", "orderer1.example.com", "orderer2.example.com"}
	for _, tc := range []struct {
		name    string
		channel string
		metrics []string // per orderer; "" = unreachable
		healthy bool
		text    string
	}{
		{"one leader", "mychannel", []string{follower, raftMetricsText, follower}, true,
			"leader orderer1.example.com, cluster size 3"},
		{"one orderer silent", "mychannel", []string{raftMetricsText, follower, ""}, true,
			"leader orderer0.example.com, cluster size 3; no Raft metrics from orderer2.example.com"},
		{"no leader", "mychannel", []string{follower, follower, follower}, false, "no Raft leader, cluster size 3"},
		{"two leaders", "mychannel", []string{raftMetricsText, raftMetricsText, follower}, false,
			"more than one orderer reports being leader (orderer0.example.com, orderer1.example.com)"},
		{"system channel without leader", "system-channel", []string{raftMetricsText, raftMetricsText, raftMetricsText}, false,
			"no Raft leader"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gauges := map[string]raftGauges{}
			for i, m := range tc.metrics {
				if m != "" {
					gauges[orderers[i]] = ParseRaftMetrics(m)
				}
			}
			n := RaftNode(tc.channel, orderers, gauges)
			text := n.Detail + n.Error
			if n.Healthy != tc.healthy || !strings.HasPrefix(text, tc.text) || n.Kind != "raft" || n.Name != tc.channel {
				t.Errorf("RaftNode = %+v, want healthy=%v and %q", n, tc.healthy, tc.text)
			}
		})
	}
}
