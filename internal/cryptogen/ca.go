package cryptogen

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// CA is a signing or TLS certificate authority: its key, its certificate,
// and the subject fields every certificate it signs carries (from the org's
// CA spec, as cryptogen does).
type CA struct {
	Name    string // the certificate's file name is Name + "-cert.pem"
	Cert    *x509.Certificate
	Signer  crypto.Signer
	Subject CASpec
}

// Validity of every certificate: about ten years, as cryptogen.
const validity = 3650 * 24 * time.Hour

// Usages per certificate profile, as cryptogen sets them.
const (
	caKeyUsage   = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	signKeyUsage = x509.KeyUsageDigitalSignature
	tlsKeyUsage  = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
)

var (
	caExtKeyUsage  = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}
	tlsExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
)

// lowS signs with ECDSA and normalizes S to the lower half of the curve
// order, the canonical form Fabric requires of every signature.
type lowS struct{ key *ecdsa.PrivateKey }

func (s lowS) Public() crypto.PublicKey { return &s.key.PublicKey }

func (s lowS) Sign(r io.Reader, digest []byte, _ crypto.SignerOpts) ([]byte, error) {
	if r == nil {
		r = rand.Reader
	}
	R, S, err := ecdsa.Sign(r, s.key, digest)
	if err != nil {
		return nil, err
	}
	n := s.key.Curve.Params().N
	if S.Cmp(new(big.Int).Rsh(n, 1)) > 0 {
		S.Sub(n, S)
	}
	return asn1.Marshal(struct{ R, S *big.Int }{R, S})
}

// keyPair is a new private key and its PEM encoding (PKCS#8, as cryptogen).
type keyPair struct {
	key *ecdsa.PrivateKey
	pem []byte
}

func newKey() (keyPair, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return keyPair{}, fmt.Errorf("generating a P-256 key: %v", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return keyPair{}, err
	}
	return keyPair{k, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})}, nil
}

func certPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// subject builds cryptogen's subject: C, ST, L default to US, California,
// San Francisco; OU, street and postal code only when given.
func subject(s CASpec) pkix.Name {
	n := pkix.Name{Country: []string{"US"}, Province: []string{"California"}, Locality: []string{"San Francisco"}}
	for _, f := range []struct {
		field *[]string
		value string
	}{
		{&n.Country, s.Country}, {&n.Province, s.Province}, {&n.Locality, s.Locality},
		{&n.OrganizationalUnit, s.OrganizationalUnit}, {&n.StreetAddress, s.StreetAddress}, {&n.PostalCode, s.PostalCode},
	} {
		if f.value != "" {
			*f.field = []string{f.value}
		}
	}
	return n
}

func certTemplate(now time.Time) (*x509.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, err
	}
	notBefore := now.Round(time.Minute).Add(-5 * time.Minute).UTC()
	return &x509.Certificate{
		SerialNumber:          serial,
		NotBefore:             notBefore,
		NotAfter:              notBefore.Add(validity).UTC(),
		BasicConstraintsValid: true,
	}, nil
}

// newCA creates a self-signed CA for org (the subject's O) named name.
func newCA(org, name string, spec CASpec, now time.Time) (*CA, keyPair, error) {
	kp, err := newKey()
	if err != nil {
		return nil, kp, err
	}
	tmpl, err := certTemplate(now)
	if err != nil {
		return nil, kp, err
	}
	tmpl.IsCA = true
	tmpl.KeyUsage = caKeyUsage
	tmpl.ExtKeyUsage = caExtKeyUsage
	tmpl.Subject = subject(spec)
	tmpl.Subject.Organization = []string{org}
	tmpl.Subject.CommonName = name
	// Subject Key Identifier: SHA-256 of the public point (RFC 7093 method 4).
	pub, err := kp.key.PublicKey.ECDH()
	if err != nil {
		return nil, kp, err
	}
	ski := sha256.Sum256(pub.Bytes())
	tmpl.SubjectKeyId = ski[:]
	signer := lowS{kp.key}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &kp.key.PublicKey, signer)
	if err != nil {
		return nil, kp, fmt.Errorf("creating CA certificate %s: %v", name, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, kp, err
	}
	return &CA{Name: name, Cert: cert, Signer: signer, Subject: spec}, kp, nil
}

// sign issues a certificate for pub with common name cn, the CA's subject
// fields plus ous as OUs, and sans as IP or DNS subject alternative names.
func (ca *CA) sign(cn string, ous, sans []string, pub *ecdsa.PublicKey, ku x509.KeyUsage, eku []x509.ExtKeyUsage, now time.Time) (*x509.Certificate, error) {
	tmpl, err := certTemplate(now)
	if err != nil {
		return nil, err
	}
	tmpl.KeyUsage = ku
	tmpl.ExtKeyUsage = eku
	tmpl.Subject = subject(ca.Subject)
	tmpl.Subject.CommonName = cn
	tmpl.Subject.OrganizationalUnit = append(tmpl.Subject.OrganizationalUnit, ous...)
	for _, san := range sans {
		if ip := net.ParseIP(san); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, san)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, pub, ca.Signer)
	if err != nil {
		return nil, fmt.Errorf("signing certificate for %s with %s: %v", cn, ca.Name, err)
	}
	return x509.ParseCertificate(der)
}

// loadCA reads an existing CA directory (ca/ or tlsca/): exactly one
// *-cert.pem and the private key priv_sk, which must belong together.
func loadCA(dir string, spec CASpec) (*CA, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var certs []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), "-cert.pem") {
			certs = append(certs, e.Name())
		}
	}
	if len(certs) != 1 {
		return nil, fmt.Errorf("%s: expected exactly one *-cert.pem, found %d", dir, len(certs))
	}
	cert, err := readCert(filepath.Join(dir, certs[0]))
	if err != nil {
		return nil, err
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("%s: not a CA certificate", filepath.Join(dir, certs[0]))
	}
	key, err := readKey(filepath.Join(dir, "priv_sk"))
	if err != nil {
		return nil, err
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("%s: priv_sk does not match %s", dir, certs[0])
	}
	return &CA{Name: strings.TrimSuffix(certs[0], "-cert.pem"), Cert: cert, Signer: lowS{key}, Subject: spec}, nil
}

func readCert(path string) (*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%s: not a PEM certificate", path)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return c, nil
}

// readKey reads a PEM EC private key (PKCS#8 as cryptogen writes, or SEC 1).
// Errors never include the key's bytes.
func readKey(path string) (*ecdsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s: not a PEM private key", path)
	}
	if k, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: not a PKCS#8 or SEC 1 private key", path)
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, errors.New(path + ": not an ECDSA private key")
	}
	return ec, nil
}
