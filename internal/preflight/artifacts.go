package preflight

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/fabrun/fabrun/internal/configtx"
	"github.com/fabrun/fabrun/internal/inventory"
	"github.com/fabrun/fabrun/internal/module"
)

// The artifacts checks live here rather than in the modules that read the
// files: fabric_crypto deliberately keeps an existing identity directory
// and fabric_configtx keeps a genesis block a network uses, so neither can
// tell a damaged file from one to keep; and the orderer and peer roles
// would only notice when a service fails to start, after ZooKeeper and
// Kafka are running. Preflight looks at them (on the controller, read only)
// before anything starts.

// artifacts checks the crypto material and the genesis block the
// artifacts phase keeps on the controller: what exists must be usable,
// and when the run does not make them (preflight_artifacts_required),
// they must exist.
func (c *checker) artifacts(t *inventory.Topology) {
	n := c.in.Network
	required := false
	if !isUnset(n.ArtifactsRequired) {
		r, err := module.ParseBool(n.ArtifactsRequired)
		if err != nil {
			c.errorf("artifacts", controller, "preflight_artifacts_required %v", err)
		}
		required = r
	}
	if dir := text(n.ChannelDir); dir != "" {
		c.genesis(filepath.Join(dir, "genesis.block"), required)
	}
	if dir := text(n.CryptoDir); dir != "" {
		c.keys(t, dir, required)
	}
}

// genesis: a genesis block that is there must decode as one.
func (c *checker) genesis(path string, required bool) {
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if required {
			c.add(Error, "genesis-block", controller, "run the artifacts phase (playbooks/artifacts.yml, or fabrun deploy)",
				"the genesis block %s (artifacts_channel_dir) is missing, and this playbook does not make it", path)
		}
	case err != nil:
		c.errorf("genesis-block", controller, "the genesis block %s (artifacts_channel_dir) cannot be read: %v", path, err)
	default:
		if _, err := configtx.DecodeArtifact(configtx.GenesisBlock, data); err != nil {
			c.add(Error, "genesis-block", controller, "restore it from a backup, or remove it so the artifacts phase writes a new one (only before the orderers first start)",
				"the genesis block %s (artifacts_channel_dir) is corrupt: %v", path, err)
		}
	}
}

// keyFile is one private key a node or admin needs.
type keyFile struct {
	host, what, path string
}

// keys: in an organization whose material exists, every identity directory
// that exists has its private keys, readable by their owner only.
// nodeKeys are a node's signing and TLS keys in its cryptogen directory.
func nodeKeys(host, node, dir string) []keyFile {
	return []keyFile{
		{host, node + " signing key", filepath.Join(dir, "msp", "keystore", "priv_sk")},
		{host, node + " TLS key", filepath.Join(dir, "tls", "server.key")},
	}
}

func (c *checker) keys(t *inventory.Topology, dir string, required bool) {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if required {
			c.add(Error, "crypto-key", controller, "run the artifacts phase (playbooks/artifacts.yml, or fabrun deploy)",
				"the crypto material %s (artifacts_crypto_dir) is missing, and this playbook does not make it", dir)
		}
		return
	}
	var keys []keyFile
	ordererOrg := filepath.Join(dir, "ordererOrganizations", t.Domain)
	for _, o := range t.Orderers {
		keys = append(keys, nodeKeys(o.Host, "orderer "+o.FQDN, filepath.Join(ordererOrg, "orderers", o.FQDN))...)
	}
	for _, org := range t.Orgs {
		orgDir := filepath.Join(dir, "peerOrganizations", org.Domain)
		for _, p := range org.Peers {
			keys = append(keys, nodeKeys(p.Host, "peer "+p.FQDN, filepath.Join(orgDir, "peers", p.FQDN))...)
		}
		admin := filepath.Join(orgDir, "users", "Admin@"+org.Domain)
		keys = append(keys, keyFile{controller, "org " + org.MSPID + " admin signing key", filepath.Join(admin, "msp", "keystore", "priv_sk")})
	}
	for _, k := range keys {
		// The identity directory: <node>/msp/keystore/priv_sk -> <node>.
		identity := filepath.Dir(filepath.Dir(filepath.Dir(k.path)))
		if filepath.Base(k.path) == "server.key" {
			identity = filepath.Dir(filepath.Dir(k.path))
		}
		st, err := os.Stat(k.path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if _, derr := os.Stat(identity); derr == nil {
				c.add(Error, "crypto-key", k.host, "restore the key, or remove "+identity+" so the artifacts phase issues a new identity",
					"the %s %s (artifacts_crypto_dir) is missing: fabric_crypto keeps an existing identity directory, so it would never be written again", k.what, k.path)
			} else if required {
				c.add(Error, "crypto-key", k.host, "run the artifacts phase (playbooks/artifacts.yml, or fabrun deploy)",
					"the %s %s (artifacts_crypto_dir) is missing, and this playbook does not make it", k.what, k.path)
			}
		case err != nil:
			c.errorf("crypto-key", k.host, "the %s %s (artifacts_crypto_dir) cannot be read: %v", k.what, k.path, err)
		case !st.Mode().IsRegular():
			c.errorf("crypto-key", k.host, "the %s %s (artifacts_crypto_dir) is not a regular file", k.what, k.path)
		case st.Mode().Perm()&0o077 != 0:
			c.add(Error, "crypto-key", k.host, fmt.Sprintf("chmod 600 %s", k.path),
				"the %s %s (artifacts_crypto_dir) has mode %04o: a private key must be readable by its owner only", k.what, k.path, st.Mode().Perm())
		}
	}
}
