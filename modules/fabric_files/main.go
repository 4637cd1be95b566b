// fabric_files makes a node's directories and files as given, in one call
// (see internal/files).
package main

import (
	"github.com/fabrun/fabrun/internal/files"
	"github.com/fabrun/fabrun/internal/module"
)

func main() { module.Main(files.Spec(), files.Run) }
