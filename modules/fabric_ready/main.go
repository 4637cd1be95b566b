// fabric_ready waits until a service serves: a ZooKeeper member in a
// quorum, or an operations /healthz endpoint (see internal/ready).
package main

import (
	"github.com/fabrun/fabrun/internal/module"
	"github.com/fabrun/fabrun/internal/ready"
)

func main() { module.Main(ready.Spec(), ready.Run) }
