package cryptogen

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/fabrun/fabrun/internal/mspconfig"
)

// Node types, which decide a certificate's NodeOU and its TLS file names.
const (
	TypeClient  = "client"
	TypePeer    = "peer"
	TypeOrderer = "orderer"
	TypeAdmin   = "admin"
)

// File is one file of a Unit, its path relative to the unit's directory.
type File struct {
	Path string
	Data []byte
	Mode fs.FileMode
}

// Unit is a directory that is created whole or not at all: a new org, or a
// new node, user or org MSP inside an existing org.
type Unit struct {
	Dir        string   // relative to the output directory, slash-separated
	Dirs       []string // directories inside Dir, empty ones included
	Files      []File
	Identities []Identity
}

// Identity is one thing a unit creates, for reports.
type Identity struct {
	Org  string `json:"org"`
	Name string `json:"name"`
	Type string `json:"type"` // ca, tlsca, msp, peer, orderer, admin, client
	Dir  string `json:"dir"`  // relative to the output directory
}

// Paths lists the unit's files relative to the output directory.
func (u *Unit) Paths() []string {
	out := make([]string, len(u.Files))
	for i, f := range u.Files {
		out[i] = path.Join(u.Dir, f.Path)
	}
	return out
}

func (u *Unit) dir(p string) { u.Dirs = append(u.Dirs, p) }

func (u *Unit) file(p string, data []byte, mode fs.FileMode) {
	u.Files = append(u.Files, File{Path: p, Data: data, Mode: mode})
}

// Plan is everything a run would create, fully generated in memory.
type Plan struct {
	OutputDir string // absolute
	Orgs      []*Org
	Units     []*Unit
	Warnings  []string
}

// Created lists every file the plan creates, relative to the output
// directory, sorted.
func (p *Plan) Created() []string {
	var out []string
	for _, u := range p.Units {
		out = append(out, u.Paths()...)
	}
	sort.Strings(out)
	return out
}

// Identities lists every identity the plan creates.
func (p *Plan) Identities() []Identity {
	out := []Identity{}
	for _, u := range p.Units {
		out = append(out, u.Identities...)
	}
	return out
}

// Build renders and validates cfg, reads the CAs of organizations that
// already exist under outputDir, and generates in memory every key and
// certificate that is missing. It writes nothing.
func Build(cfg *Config, outputDir string, now time.Time) (*Plan, error) {
	abs, err := filepath.Abs(outputDir)
	if err != nil {
		return nil, err
	}
	orgs, warnings, err := cfg.Render()
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(abs); err == nil && !st.IsDir() {
		return nil, fmt.Errorf("output_dir %s exists and is not a directory", abs)
	}
	p := &Plan{OutputDir: abs, Orgs: orgs, Warnings: warnings}
	for _, o := range orgs {
		g := &orgGen{org: o, base: abs, now: now}
		units, w, err := g.build()
		if err != nil {
			return nil, err
		}
		p.Units = append(p.Units, units...)
		p.Warnings = append(p.Warnings, w...)
	}
	return p, nil
}

type orgGen struct {
	org       *Org
	base      string
	now       time.Time
	signCA    *CA
	tlsCA     *CA
	adminCert []byte // PEM of Admin@domain's signing certificate
}

func (g *orgGen) abs(rel ...string) string {
	return filepath.Join(append([]string{g.base, filepath.FromSlash(g.org.Dir())}, rel...)...)
}

func exists(p string) (bool, error) {
	_, err := os.Lstat(p)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, err
}

func (g *orgGen) build() ([]*Unit, []string, error) {
	there, err := exists(g.abs())
	if err != nil {
		return nil, nil, err
	}
	if !there {
		u, err := g.newOrg()
		if err != nil {
			return nil, nil, err
		}
		return []*Unit{u}, nil, nil
	}
	return g.extend()
}

// newOrg generates a whole organization as one unit, as `cryptogen generate`.
func (g *orgGen) newOrg() (*Unit, error) {
	o := g.org
	u := &Unit{Dir: o.Dir()}
	var err error
	var signKey, tlsKey keyPair
	if g.signCA, signKey, err = newCA(o.Domain, o.CA.CommonName, o.CA, g.now); err != nil {
		return nil, err
	}
	if g.tlsCA, tlsKey, err = newCA(o.Domain, "tls"+o.CA.CommonName, o.CA, g.now); err != nil {
		return nil, err
	}
	u.dir("ca")
	u.file("ca/"+g.signCA.Name+"-cert.pem", certPEM(g.signCA.Cert), 0o644)
	u.file("ca/priv_sk", signKey.pem, 0o600)
	u.dir("tlsca")
	u.file("tlsca/"+g.tlsCA.Name+"-cert.pem", certPEM(g.tlsCA.Cert), 0o644)
	u.file("tlsca/priv_sk", tlsKey.pem, 0o600)
	u.Identities = append(u.Identities,
		Identity{Org: o.Key(), Name: g.signCA.Name, Type: "ca", Dir: o.Dir() + "/ca"},
		Identity{Org: o.Key(), Name: g.tlsCA.Name, Type: "tlsca", Dir: o.Dir() + "/tlsca"})

	// The admin first: non-NodeOU MSPs list its certificate in admincerts.
	if err := g.identity(u, "users/"+o.Admin, o.Admin, nil, TypeAdmin); err != nil {
		return nil, err
	}
	g.verifyingMSP(u, "msp")
	for _, n := range o.Nodes {
		if err := g.identity(u, o.NodesDir()+"/"+n.CommonName, n.CommonName, n.SANS, o.Kind); err != nil {
			return nil, err
		}
	}
	for _, name := range o.Users {
		if err := g.identity(u, "users/"+name, name, nil, TypeClient); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// extend adds what is missing to an existing organization, signing with its
// existing CAs, as `cryptogen extend`. Every addition is its own unit.
func (g *orgGen) extend() ([]*Unit, []string, error) {
	o := g.org
	var warnings []string
	var err error
	for _, ca := range []struct {
		dir string
		dst **CA
	}{{"ca", &g.signCA}, {"tlsca", &g.tlsCA}} {
		*ca.dst, err = loadCA(g.abs(ca.dir), o.CA)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: organization %s exists at %s but its %s cannot be used (existing material is never replaced; fix or remove it): %v",
				o.Path, o.Key(), g.abs(), ca.dir, err)
		}
	}
	if g.signCA.Name != o.CA.CommonName {
		warnings = append(warnings, fmt.Sprintf("%s.CA: the existing CA of %s is named %s, not %s; new certificates are signed by the existing CA",
			o.Path, o.Key(), g.signCA.Name, o.CA.CommonName))
	}
	hasConfig, err := exists(g.abs("msp", "config.yaml"))
	if err != nil {
		return nil, nil, err
	}
	mspThere, err := exists(g.abs("msp"))
	if err != nil {
		return nil, nil, err
	}
	if mspThere && hasConfig != o.NodeOUs {
		warnings = append(warnings, fmt.Sprintf("%s.EnableNodeOUs is %v but the existing MSP %s %s config.yaml; existing identities keep their shape, new ones follow EnableNodeOUs",
			o.Path, o.NodeOUs, g.abs("msp"), map[bool]string{true: "has a", false: "has no"}[hasConfig]))
	}

	var units []*Unit
	add := func(rel, name string, sans []string, typ string) error {
		there, err := exists(g.abs(filepath.FromSlash(rel)))
		if err != nil || there {
			return err
		}
		u := &Unit{Dir: o.Dir() + "/" + rel}
		if err := g.identity(u, "", name, sans, typ); err != nil {
			return err
		}
		units = append(units, u)
		return nil
	}

	adminDir := "users/" + o.Admin
	if err := add(adminDir, o.Admin, nil, TypeAdmin); err != nil {
		return nil, nil, err
	}
	if len(units) == 0 {
		certPath := g.abs("users", o.Admin, "msp", "signcerts", o.Admin+"-cert.pem")
		if !o.NodeOUs {
			c, err := readCert(certPath)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: cannot read the existing admin certificate: %v", o.Path, err)
			}
			g.adminCert = certPEM(c)
		}
	}
	if !mspThere {
		u := &Unit{Dir: o.Dir() + "/msp"}
		g.verifyingMSP(u, "")
		units = append(units, u)
	}
	for _, n := range o.Nodes {
		if err := add(o.NodesDir()+"/"+n.CommonName, n.CommonName, n.SANS, o.Kind); err != nil {
			return nil, nil, err
		}
	}
	for _, name := range o.Users {
		if err := add("users/"+name, name, nil, TypeClient); err != nil {
			return nil, nil, err
		}
	}
	return units, warnings, nil
}

func join2(base, p string) string {
	if base == "" {
		return p
	}
	return base + "/" + p
}

// verifyingMSP writes the org's MSP (no keys): cacerts, tlscacerts,
// admincerts holding Admin's certificate without NodeOUs, config.yaml with.
func (g *orgGen) verifyingMSP(u *Unit, base string) {
	o := g.org
	for _, d := range []string{"admincerts", "cacerts", "tlscacerts"} {
		u.dir(join2(base, d))
	}
	u.file(join2(base, "cacerts/"+g.signCA.Name+"-cert.pem"), certPEM(g.signCA.Cert), 0o644)
	u.file(join2(base, "tlscacerts/"+g.tlsCA.Name+"-cert.pem"), certPEM(g.tlsCA.Cert), 0o644)
	if o.NodeOUs {
		u.file(join2(base, "config.yaml"), nodeOUConfig("cacerts/"+g.signCA.Name+"-cert.pem"), 0o644)
	} else {
		u.file(join2(base, "admincerts/"+o.Admin+"-cert.pem"), g.adminCert, 0o644)
	}
	u.Identities = append(u.Identities, Identity{Org: o.Key(), Name: o.Key(), Type: "msp", Dir: path.Join(u.Dir, base)})
}

// identity writes a node's or user's local MSP and TLS material under base,
// as cryptogen's GenerateLocalMSP, followed by its admincerts fix-up.
func (g *orgGen) identity(u *Unit, base, name string, sans []string, typ string) error {
	o := g.org
	msp := join2(base, "msp")
	tls := join2(base, "tls")
	for _, d := range []string{"admincerts", "cacerts", "tlscacerts", "keystore", "signcerts"} {
		u.dir(join2(msp, d))
	}
	u.dir(tls)

	key, err := newKey()
	if err != nil {
		return err
	}
	var ous []string
	if o.NodeOUs {
		ous = []string{typ}
	}
	cert, err := g.signCA.sign(name, ous, nil, &key.key.PublicKey, signKeyUsage, []x509.ExtKeyUsage{}, g.now)
	if err != nil {
		return err
	}
	signPEM := certPEM(cert)
	u.file(join2(msp, "keystore/priv_sk"), key.pem, 0o600)
	u.file(join2(msp, "signcerts/"+name+"-cert.pem"), signPEM, 0o644)
	u.file(join2(msp, "cacerts/"+g.signCA.Name+"-cert.pem"), certPEM(g.signCA.Cert), 0o644)
	u.file(join2(msp, "tlscacerts/"+g.tlsCA.Name+"-cert.pem"), certPEM(g.tlsCA.Cert), 0o644)
	if o.NodeOUs {
		u.file(join2(msp, "config.yaml"), nodeOUConfig("cacerts/"+g.signCA.Name+"-cert.pem"), 0o644)
	} else {
		// cryptogen leaves a user's own certificate in its admincerts and
		// puts the org admin's certificate in every node's.
		switch typ {
		case TypePeer, TypeOrderer:
			u.file(join2(msp, "admincerts/"+o.Admin+"-cert.pem"), g.adminCert, 0o644)
		default:
			u.file(join2(msp, "admincerts/"+name+"-cert.pem"), signPEM, 0o644)
		}
	}
	if typ == TypeAdmin {
		g.adminCert = signPEM
	}

	tlsKey, err := newKey()
	if err != nil {
		return err
	}
	tlsCert, err := g.tlsCA.sign(name, nil, sans, &tlsKey.key.PublicKey, tlsKeyUsage, tlsExtKeyUsage, g.now)
	if err != nil {
		return err
	}
	prefix := "server"
	if typ == TypeClient || typ == TypeAdmin {
		prefix = "client"
	}
	u.file(join2(tls, "ca.crt"), certPEM(g.tlsCA.Cert), 0o644)
	u.file(join2(tls, prefix+".crt"), certPEM(tlsCert), 0o644)
	u.file(join2(tls, prefix+".key"), tlsKey.pem, 0o600)
	u.Identities = append(u.Identities, Identity{Org: o.Key(), Name: name, Type: typ, Dir: path.Join(u.Dir, base)})
	return nil
}

// nodeOUConfig is the MSP config.yaml cryptogen writes when NodeOUs are on.
func nodeOUConfig(caFile string) []byte {
	id := func(ou string) *mspconfig.OUIdentifier {
		return &mspconfig.OUIdentifier{Certificate: caFile, OrganizationalUnitIdentifier: ou}
	}
	cfg := mspconfig.File{NodeOUs: &mspconfig.NodeOUs{
		Enable:              true,
		ClientOUIdentifier:  id(TypeClient),
		PeerOUIdentifier:    id(TypePeer),
		AdminOUIdentifier:   id(TypeAdmin),
		OrdererOUIdentifier: id(TypeOrderer),
	}}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(cfg); err != nil {
		panic(err) // a fixed struct always encodes
	}
	enc.Close()
	return b.Bytes()
}
