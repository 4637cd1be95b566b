package configtx

import (
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"

	mb "github.com/hyperledger/fabric-protos-go/msp"
	"gopkg.in/yaml.v3"

	"github.com/fabrun/fabrun/internal/mspconfig"
)

// verifyingMSP reads an MSP directory into the MSPConfig a channel carries,
// the way Fabric's msp.GetVerifyingMspConfig does for the "bccsp" type: the
// certificate files go in byte for byte, in directory order; files that are
// not PEM are skipped (with a warning, as Fabric logs one). path names the
// MSPDir field for errors.
func verifyingMSP(path, dir, id string) (*mb.MSPConfig, []string, error) {
	var warnings []string
	st, err := os.Stat(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil, fieldErr(path, "MSP directory %s does not exist", dir)
		}
		return nil, nil, fieldErr(path, "MSP directory %s: %v", dir, err)
	}
	if !st.IsDir() {
		return nil, nil, fieldErr(path, "%s is not a directory", dir)
	}
	pemDir := func(sub string) ([][]byte, bool, error) {
		d := filepath.Join(dir, sub)
		entries, err := os.ReadDir(d)
		if os.IsNotExist(err) {
			return nil, false, nil
		}
		if err != nil {
			return nil, true, fieldErr(path, "cannot read %s: %v", d, err)
		}
		// os.ReadDir sorts by name, as ioutil.ReadDir does in Fabric.
		content := [][]byte{}
		for _, e := range entries {
			full := filepath.Join(d, e.Name())
			fi, err := os.Stat(full)
			if err != nil {
				warnings = append(warnings, fmt.Sprintf("MSP %s: skipping %s: %v", id, full, err))
				continue
			}
			if fi.IsDir() {
				continue
			}
			b, err := os.ReadFile(full)
			if err != nil {
				warnings = append(warnings, fmt.Sprintf("MSP %s: skipping %s: %v", id, full, err))
				continue
			}
			if blk, _ := pem.Decode(b); blk == nil {
				warnings = append(warnings, fmt.Sprintf("MSP %s: skipping %s: no PEM content", id, full))
				continue
			}
			content = append(content, b)
		}
		return content, true, nil
	}

	cacerts, _, err := pemDir("cacerts")
	if err != nil {
		return nil, nil, err
	}
	if len(cacerts) == 0 {
		return nil, nil, fieldErr(path, "MSP directory %s has no CA certificate in cacerts/", dir)
	}
	admins, _, err := pemDir("admincerts")
	if err != nil {
		return nil, nil, err
	}
	intermediates, _, err := pemDir("intermediatecerts")
	if err != nil {
		return nil, nil, err
	}
	tlsCACerts, _, err := pemDir("tlscacerts")
	if err != nil {
		return nil, nil, err
	}
	tlsIntermediates := [][]byte{}
	if len(tlsCACerts) > 0 {
		if tlsIntermediates, _, err = pemDir("tlsintermediatecerts"); err != nil {
			return nil, nil, err
		}
	}
	crls, _, err := pemDir("crls")
	if err != nil {
		return nil, nil, err
	}

	var ouis []*mb.FabricOUIdentifier
	var nodeOUs *mb.FabricNodeOUs
	configFile := filepath.Join(dir, "config.yaml")
	if raw, err := os.ReadFile(configFile); err == nil {
		var conf mspconfig.File
		if err := yaml.Unmarshal(raw, &conf); err != nil {
			return nil, nil, fieldErr(path, "invalid MSP configuration %s: %v", configFile, err)
		}
		for _, ou := range conf.OrganizationalUnitIdentifiers {
			if ou == nil {
				continue
			}
			f := filepath.Join(dir, ou.Certificate)
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, nil, fieldErr(path, "%s: cannot load OrganizationalUnit certificate %s: %v", configFile, f, err)
			}
			ouis = append(ouis, &mb.FabricOUIdentifier{Certificate: b, OrganizationalUnitIdentifier: ou.OrganizationalUnitIdentifier})
		}
		if n := conf.NodeOUs; n != nil && n.Enable {
			nodeOUs = &mb.FabricNodeOUs{Enable: true}
			load := func(c *mspconfig.OUIdentifier, kind string) *mb.FabricOUIdentifier {
				if c == nil || c.OrganizationalUnitIdentifier == "" {
					return nil
				}
				oi := &mb.FabricOUIdentifier{OrganizationalUnitIdentifier: c.OrganizationalUnitIdentifier}
				if c.Certificate != "" {
					f := filepath.Join(dir, c.Certificate)
					if b, err := os.ReadFile(f); err == nil {
						oi.Certificate = b
					} else {
						warnings = append(warnings, fmt.Sprintf("MSP %s: %s certificate not loaded: %v", id, kind, err))
					}
				}
				return oi
			}
			nodeOUs.ClientOuIdentifier = load(n.ClientOUIdentifier, "ClientOU")
			nodeOUs.PeerOuIdentifier = load(n.PeerOUIdentifier, "PeerOU")
			nodeOUs.AdminOuIdentifier = load(n.AdminOUIdentifier, "AdminOU")
			nodeOUs.OrdererOuIdentifier = load(n.OrdererOUIdentifier, "OrdererOU")
		}
	} else if !os.IsNotExist(err) {
		return nil, nil, fieldErr(path, "cannot read %s: %v", configFile, err)
	}

	conf := &mb.FabricMSPConfig{
		Admins:                        admins,
		RootCerts:                     cacerts,
		IntermediateCerts:             intermediates,
		Name:                          id,
		OrganizationalUnitIdentifiers: ouis,
		RevocationList:                crls,
		CryptoConfig: &mb.FabricCryptoConfig{
			SignatureHashFamily:            "SHA2",
			IdentityIdentifierHashFunction: "SHA256",
		},
		TlsRootCerts:         tlsCACerts,
		TlsIntermediateCerts: tlsIntermediates,
		FabricNodeOus:        nodeOUs,
	}
	b, err := marshal(conf)
	if err != nil {
		return nil, nil, err
	}
	return &mb.MSPConfig{Config: b, Type: 0 /* FABRIC */}, warnings, nil
}
