// Command fabric_configtx is the Ansible module that generates channel
// artifacts (configtxgen's genesis block, channel creation transaction and
// anchor peer update). The logic lives in internal/configtx.
package main

import (
	"github.com/fabrun/fabrun/internal/configtx"
	"github.com/fabrun/fabrun/internal/module"
)

func main() {
	module.Main(configtx.Spec, configtx.Run)
}
