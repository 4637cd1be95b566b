// fabric_host_facts tells a role what it needs to know about its node (the
// Java runtime, paths that exist) in one call (see internal/hostfacts).
package main

import (
	"github.com/fabrun/fabrun/internal/hostfacts"
	"github.com/fabrun/fabrun/internal/module"
)

func main() { module.Main(hostfacts.Spec(), hostfacts.Run) }
