// fabric_kafka_acls completes a topic's ALLOW ACLs over the Kafka admin
// protocol (see internal/kafkaacls).
package main

import (
	"github.com/fabrun/fabrun/internal/kafkaacls"
	"github.com/fabrun/fabrun/internal/module"
)

func main() { module.Main(kafkaacls.Spec(), kafkaacls.Run) }
