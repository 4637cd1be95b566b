// fabric_orderer_channel joins an orderer to a channel, removes a channel
// from it, or lists its channels, through its channel participation API.
package main

import (
	"github.com/fabrun/fabrun/internal/module"
	"github.com/fabrun/fabrun/internal/participation"
)

func main() { module.Main(participation.Spec(), participation.Run) }
