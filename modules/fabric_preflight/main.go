// fabric_preflight evaluates fabrun's preflight rules once, on the
// controller, over the values Ansible resolved for every host.
package main

import (
	"github.com/fabrun/fabrun/internal/module"
	"github.com/fabrun/fabrun/internal/preflight"
)

func main() { module.Main(preflight.Spec(), preflight.Run) }
