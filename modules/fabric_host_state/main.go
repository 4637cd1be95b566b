// fabric_host_state records what a role's full run left on a host and tells,
// in one call, whether the host is still so (see internal/hoststate).
package main

import (
	"github.com/fabrun/fabrun/internal/hoststate"
	"github.com/fabrun/fabrun/internal/module"
)

func main() { module.Main(hoststate.Spec(), hoststate.Run) }
