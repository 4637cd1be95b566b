package fabricclient

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"sync"
	"time"

	"github.com/golang/protobuf/proto"
	mb "github.com/hyperledger/fabric-protos-go/msp"
	"github.com/hyperledger/fabric-sdk-go/pkg/common/providers/fab"
)

// channelMembership verifies identities and signatures (of endorsements)
// against the MSPs in a channel's configuration.
//
// It replaces the SDK's own membership, whose copy of Fabric's MSP code
// "sanitises" CA certificates to low-S signatures and then fails to chain an
// unsanitised certificate to its sanitised twin with current Go versions
// (x509 treats two certificates with the same subject and key as one). That
// failure hits about every other organisation cryptogen makes. This check
// uses the certificates exactly as configured, like Fabric's current MSP:
// the certificate must chain to one of the MSP's root CAs (through its
// intermediates) and not be expired.
type channelMembership struct {
	msps map[string]*x509.VerifyOptions
}

func newChannelMembership(cfg fab.ChannelCfg) (*channelMembership, error) {
	m := &channelMembership{msps: map[string]*x509.VerifyOptions{}}
	for _, mc := range cfg.MSPs() {
		if mc == nil || mc.Type != 0 { // 0: FABRIC (X.509) MSP
			continue
		}
		fc := &mb.FabricMSPConfig{}
		if err := proto.Unmarshal(mc.Config, fc); err != nil {
			return nil, fmt.Errorf("channel %s: bad MSP config: %v", cfg.ID(), err)
		}
		opts := &x509.VerifyOptions{Roots: x509.NewCertPool(), Intermediates: x509.NewCertPool(),
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
		for _, r := range fc.RootCerts {
			c, err := parsePEMCert(r)
			if err != nil {
				return nil, fmt.Errorf("MSP %s: root certificate: %v", fc.Name, err)
			}
			opts.Roots.AddCert(c)
		}
		for _, r := range fc.IntermediateCerts {
			c, err := parsePEMCert(r)
			if err != nil {
				return nil, fmt.Errorf("MSP %s: intermediate certificate: %v", fc.Name, err)
			}
			opts.Intermediates.AddCert(c)
		}
		m.msps[fc.Name] = opts
	}
	return m, nil
}

func parsePEMCert(b []byte) (*x509.Certificate, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("no PEM block")
	}
	return x509.ParseCertificate(blk.Bytes)
}

func (m *channelMembership) identity(serializedID []byte) (*x509.Certificate, error) {
	sid := &mb.SerializedIdentity{}
	if err := proto.Unmarshal(serializedID, sid); err != nil {
		return nil, fmt.Errorf("bad serialized identity: %v", err)
	}
	opts, ok := m.msps[sid.Mspid]
	if !ok {
		return nil, fmt.Errorf("MSP %s is not a member of the channel", sid.Mspid)
	}
	cert, err := parsePEMCert(sid.IdBytes)
	if err != nil {
		return nil, fmt.Errorf("identity of %s: %v", sid.Mspid, err)
	}
	if time.Now().After(cert.NotAfter) {
		return nil, fmt.Errorf("the certificate of %s (%s) expired on %s", sid.Mspid, cert.Subject.CommonName, cert.NotAfter)
	}
	o := *opts
	if _, err := cert.Verify(o); err != nil {
		// Expiry is checked above. Like Fabric, accept a chain that is
		// valid at the certificate's own start, e.g. a certificate issued
		// seconds "in the future" (cryptogen rounds NotBefore to the minute).
		o.CurrentTime = cert.NotBefore.Add(time.Second)
		if _, err2 := cert.Verify(o); err2 == nil {
			return cert, nil
		}
		return nil, fmt.Errorf("the certificate of %s (%s) is not issued by that MSP: %v", sid.Mspid, cert.Subject.CommonName, err)
	}
	return cert, nil
}

// Validate checks an identity against the channel's MSPs.
func (m *channelMembership) Validate(serializedID []byte) error {
	_, err := m.identity(serializedID)
	return err
}

// Verify checks an identity and its signature over msg.
func (m *channelMembership) Verify(serializedID []byte, msg []byte, sig []byte) error {
	cert, err := m.identity(serializedID)
	if err != nil {
		return err
	}
	switch k := cert.PublicKey.(type) {
	case *ecdsa.PublicKey:
		h := sha256.Sum256(msg)
		if !ecdsa.VerifyASN1(k, h[:], sig) {
			return fmt.Errorf("signature by %s does not verify", cert.Subject.CommonName)
		}
	case ed25519.PublicKey:
		if !ed25519.Verify(k, msg, sig) {
			return fmt.Errorf("signature by %s does not verify", cert.Subject.CommonName)
		}
	default:
		return fmt.Errorf("unsupported key type %T of %s", cert.PublicKey, cert.Subject.CommonName)
	}
	return nil
}

// ContainsMSP reports whether the channel has that MSP.
func (m *channelMembership) ContainsMSP(msp string) bool {
	_, ok := m.msps[msp]
	return ok
}

// membershipCache keeps one membership per channel config block.
type membershipCache struct {
	mu    sync.Mutex
	byKey map[string]*channelMembership
}

func (c *membershipCache) get(cfg fab.ChannelCfg) (*channelMembership, error) {
	key := fmt.Sprintf("%s/%d", cfg.ID(), cfg.BlockNumber())
	c.mu.Lock()
	defer c.mu.Unlock()
	if m, ok := c.byKey[key]; ok {
		return m, nil
	}
	m, err := newChannelMembership(cfg)
	if err != nil {
		return nil, err
	}
	if c.byKey == nil {
		c.byKey = map[string]*channelMembership{}
	}
	c.byKey[key] = m
	return m, nil
}
