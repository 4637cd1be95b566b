// Command fabric_crypto is the Ansible module that generates Hyperledger
// Fabric crypto material like `cryptogen generate` / `cryptogen extend`.
// Its documentation is fabric_crypto.yml beside this file.
package main

import (
	"github.com/fabrun/fabrun/internal/cryptogen"
	"github.com/fabrun/fabrun/internal/module"
)

func main() { module.Main(cryptogen.Spec, cryptogen.Run) }
