// fabric_install installs one controller file on a node by checksum, and
// unpacks a tarball, in one call (see internal/install; its action plugin
// sends the file only when needed).
package main

import (
	"github.com/fabrun/fabrun/internal/install"
	"github.com/fabrun/fabrun/internal/module"
)

func main() { module.Main(install.Spec(), install.Run) }
