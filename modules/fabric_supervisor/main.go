// fabric_supervisor starts, restarts and stops a program of a host's own
// supervisord, and supervisord itself, in one call (see internal/supervisor).
package main

import (
	"github.com/fabrun/fabrun/internal/module"
	"github.com/fabrun/fabrun/internal/supervisor"
)

func main() { module.Main(supervisor.Spec(), supervisor.Run) }
