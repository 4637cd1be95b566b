// fabric_consensus sets a channel's ordering consensus: the type (kafka or
// etcdraft with its consenters) and the state (normal or maintenance), as
// the Kafka-to-Raft migration needs.
package main

import (
	"github.com/fabrun/fabrun/internal/consensus"
	"github.com/fabrun/fabrun/internal/module"
)

func main() { module.Main(consensus.Spec(), consensus.Run) }
