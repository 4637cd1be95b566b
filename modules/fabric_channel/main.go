// fabric_channel creates Fabric channels, joins peers to them, fetches
// blocks, applies anchor-peer updates and lists a peer's channels.
package main

import (
	"github.com/fabrun/fabrun/internal/channel"
	"github.com/fabrun/fabrun/internal/module"
)

func main() { module.Main(channel.Spec(), channel.Run) }
