// Command fabrun deploys, verifies, reports on and tears down the Fabric
// network the inventory describes. Everything but this call lives in
// internal/runner/app and the packages it uses.
package main

import (
	"os"

	"github.com/fabrun/fabrun/internal/runner/app"
)

func main() {
	os.Exit(app.Main())
}
