// fabric_chaincode installs, instantiates (or upgrades), invokes and queries
// Go chaincode, with the legacy lifecycle and the v2 lifecycle.
package main

import (
	"github.com/fabrun/fabrun/internal/chaincode"
	"github.com/fabrun/fabrun/internal/module"
)

func main() { module.Main(chaincode.Spec(), chaincode.Run) }
