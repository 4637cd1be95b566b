// Package cryptogen generates Hyperledger Fabric crypto material the way
// `cryptogen generate` and `cryptogen extend` do: the same input
// (crypto-config.yaml), the same directory tree and the same certificate
// profiles. Unlike cryptogen it validates the whole input first, never
// replaces an existing CA or key, and puts new material into place only once
// all of it has been written.
package cryptogen

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"

	"github.com/fabrun/fabrun/internal/strictyaml"
)

// Config is cryptogen's crypto-config.yaml.
type Config struct {
	OrdererOrgs []OrgSpec `yaml:"OrdererOrgs"`
	PeerOrgs    []OrgSpec `yaml:"PeerOrgs"`
}

// OrgSpec is one organization.
type OrgSpec struct {
	Name          string       `yaml:"Name"`
	Domain        string       `yaml:"Domain"`
	EnableNodeOUs bool         `yaml:"EnableNodeOUs"`
	CA            NodeSpec     `yaml:"CA"`
	Template      NodeTemplate `yaml:"Template"`
	Specs         []NodeSpec   `yaml:"Specs"`
	Users         UsersSpec    `yaml:"Users"`
}

// NodeSpec is one explicitly named node, or the CA. The subject fields
// (Country ... PostalCode) are used from the CA's spec only, as cryptogen does.
type NodeSpec struct {
	Hostname           string   `yaml:"Hostname"`
	CommonName         string   `yaml:"CommonName"`
	Country            string   `yaml:"Country"`
	Province           string   `yaml:"Province"`
	Locality           string   `yaml:"Locality"`
	OrganizationalUnit string   `yaml:"OrganizationalUnit"`
	StreetAddress      string   `yaml:"StreetAddress"`
	PostalCode         string   `yaml:"PostalCode"`
	SANS               []string `yaml:"SANS"`
}

// NodeTemplate creates Count nodes named from a template.
type NodeTemplate struct {
	Count    int      `yaml:"Count"`
	Start    int      `yaml:"Start"`
	Hostname string   `yaml:"Hostname"`
	SANS     []string `yaml:"SANS"`
}

// UsersSpec is the number of users besides Admin.
type UsersSpec struct {
	Count int `yaml:"Count"`
}

// decodeOptions read a crypto-config as cryptogen does: field names match
// exactly.
var decodeOptions = strictyaml.Options{Name: "the crypto config"}

// ParseYAML decodes a crypto-config document strictly: an unknown field, a
// value of the wrong type or a duplicate key is an error that names the field
// (and its line).
func ParseYAML(data []byte) (*Config, error) {
	var cfg Config
	if err := strictyaml.Unmarshal(data, &cfg, decodeOptions); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// ParseMap decodes a crypto-config given as a dictionary (a module's `config`
// option) with the same strictness as ParseYAML.
func ParseMap(m map[string]any) (*Config, error) {
	var cfg Config
	if err := strictyaml.Decode(m, &cfg, decodeOptions); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// Kinds of organization, named after their node type.
const (
	PeerOrg    = "peer"
	OrdererOrg = "orderer"
)

// Org is an organization with every template rendered: the list of nodes
// and users cryptogen would create for it.
type Org struct {
	Path    string // where in the config it came from: PeerOrgs[1]
	Name    string
	Domain  string
	Kind    string // PeerOrg or OrdererOrg
	NodeOUs bool
	CA      CASpec
	Nodes   []Node
	Users   []string // common names of users besides Admin
	Admin   string   // Admin@domain
}

// Key names the org in results: its Name, or its domain when unnamed.
func (o *Org) Key() string {
	if o.Name != "" {
		return o.Name
	}
	return o.Domain
}

// Dir is the org's directory relative to the output directory.
func (o *Org) Dir() string {
	if o.Kind == OrdererOrg {
		return "ordererOrganizations/" + o.Domain
	}
	return "peerOrganizations/" + o.Domain
}

// NodesDir is where the org's nodes live: peers or orderers.
func (o *Org) NodesDir() string { return o.Kind + "s" }

// CASpec is the rendered CA spec: the signing CA is named CommonName and the
// TLS CA "tls"+CommonName.
type CASpec struct {
	CommonName         string
	Country            string
	Province           string
	Locality           string
	OrganizationalUnit string
	StreetAddress      string
	PostalCode         string
}

// Node is one rendered node.
type Node struct {
	Path       string // where in the config it came from
	Hostname   string
	CommonName string
	SANS       []string // CommonName, Hostname, then the rendered SANS
}

const (
	defaultHostnameTemplate = "{{.Prefix}}{{.Index}}"
	defaultCNTemplate       = "{{.Hostname}}.{{.Domain}}"
)

type hostnameData struct {
	Prefix string
	Index  int
	Domain string
}

type specData struct {
	Hostname   string
	Domain     string
	CommonName string
}

func render(path, text string, data any) (string, error) {
	t, err := template.New(path).Option("missingkey=error").Parse(text)
	if err != nil {
		return "", fmt.Errorf("%s: bad template %q: %v", path, text, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("%s: cannot render %q: %v", path, text, err)
	}
	return b.String(), nil
}

// pathSafe reports why name cannot be one directory or file name, if so.
func pathSafe(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("must not be empty")
	case name == "." || name == "..":
		return fmt.Errorf("%q is not a valid name", name)
	case strings.ContainsAny(name, "/\\\x00"):
		return fmt.Errorf("%q must not contain '/', '\\' or NUL (it names a directory)", name)
	case strings.HasPrefix(name, "."):
		return fmt.Errorf("%q must not start with '.'", name)
	}
	return nil
}

// Render validates the whole config and renders every template, the way
// cryptogen does before generating anything. Errors name the field.
func (c *Config) Render() ([]*Org, []string, error) {
	var orgs []*Org
	var warnings []string
	if len(c.OrdererOrgs) == 0 && len(c.PeerOrgs) == 0 {
		return nil, nil, fmt.Errorf("the crypto config defines no organizations: OrdererOrgs and PeerOrgs are both empty")
	}
	keys := map[string]string{}
	domains := map[string]string{}
	for _, set := range []struct {
		field, kind string
		specs       []OrgSpec
	}{{"PeerOrgs", PeerOrg, c.PeerOrgs}, {"OrdererOrgs", OrdererOrg, c.OrdererOrgs}} {
		for i := range set.specs {
			path := fmt.Sprintf("%s[%d]", set.field, i)
			o, w, err := renderOrg(path, set.kind, set.specs[i])
			if err != nil {
				return nil, nil, err
			}
			warnings = append(warnings, w...)
			if prev, dup := domains[o.Dir()]; dup {
				return nil, nil, fmt.Errorf("%s.Domain: duplicate domain %q (also %s.Domain)", path, o.Domain, prev)
			}
			domains[o.Dir()] = path
			if prev, dup := keys[o.Key()]; dup {
				return nil, nil, fmt.Errorf("%s.Name: duplicate organization name %q (also %s)", path, o.Key(), prev)
			}
			keys[o.Key()] = path
			orgs = append(orgs, o)
		}
	}
	return orgs, warnings, nil
}

func renderOrg(path, kind string, s OrgSpec) (*Org, []string, error) {
	var warnings []string
	if err := pathSafe(s.Domain); err != nil {
		return nil, nil, fmt.Errorf("%s.Domain: %v", path, err)
	}
	if s.Template.Count < 0 {
		return nil, nil, fmt.Errorf("%s.Template.Count: must not be negative, got %d", path, s.Template.Count)
	}
	if s.Template.Start < 0 {
		return nil, nil, fmt.Errorf("%s.Template.Start: must not be negative, got %d", path, s.Template.Start)
	}
	if s.Users.Count < 0 {
		return nil, nil, fmt.Errorf("%s.Users.Count: must not be negative, got %d", path, s.Users.Count)
	}
	const maxCount = 10000
	if s.Template.Count > maxCount || s.Users.Count > maxCount {
		return nil, nil, fmt.Errorf("%s: Template.Count and Users.Count must be at most %d", path, maxCount)
	}
	o := &Org{Path: path, Name: s.Name, Domain: s.Domain, Kind: kind, NodeOUs: s.EnableNodeOUs,
		Admin: "Admin@" + s.Domain}

	// Explicit specs first, then the template's nodes, as cryptogen does.
	type pending struct {
		path string
		spec NodeSpec
	}
	var specs []pending
	for i, n := range s.Specs {
		p := fmt.Sprintf("%s.Specs[%d]", path, i)
		if n.Hostname == "" {
			return nil, nil, fmt.Errorf("%s.Hostname: required", p)
		}
		specs = append(specs, pending{p, n})
	}
	for i := 0; i < s.Template.Count; i++ {
		p := fmt.Sprintf("%s.Template (node %d)", path, i)
		tmpl := s.Template.Hostname
		if tmpl == "" {
			tmpl = defaultHostnameTemplate
		}
		host, err := render(path+".Template.Hostname", tmpl, hostnameData{Prefix: kind, Index: i + s.Template.Start, Domain: s.Domain})
		if err != nil {
			return nil, nil, err
		}
		specs = append(specs, pending{p, NodeSpec{Hostname: host, SANS: s.Template.SANS}})
	}
	hosts := map[string]string{}
	cns := map[string]string{}
	for _, p := range specs {
		n, err := renderNode(p.path, s.Domain, p.spec)
		if err != nil {
			return nil, nil, err
		}
		if err := pathSafe(n.CommonName); err != nil {
			return nil, nil, fmt.Errorf("%s.CommonName: %v", p.path, err)
		}
		if prev, dup := hosts[n.Hostname]; dup {
			return nil, nil, fmt.Errorf("%s.Hostname: duplicate hostname %q (also %s)", p.path, n.Hostname, prev)
		}
		hosts[n.Hostname] = p.path
		if prev, dup := cns[n.CommonName]; dup {
			return nil, nil, fmt.Errorf("%s.CommonName: duplicate common name %q (also %s)", p.path, n.CommonName, prev)
		}
		cns[n.CommonName] = p.path
		o.Nodes = append(o.Nodes, n)
	}

	ca := s.CA
	if ca.Hostname == "" {
		ca.Hostname = "ca"
	}
	caNode, err := renderNode(path+".CA", s.Domain, ca)
	if err != nil {
		return nil, nil, err
	}
	if err := pathSafe(caNode.CommonName); err != nil {
		return nil, nil, fmt.Errorf("%s.CA.CommonName: %v", path, err)
	}
	o.CA = CASpec{CommonName: caNode.CommonName, Country: ca.Country, Province: ca.Province, Locality: ca.Locality,
		OrganizationalUnit: ca.OrganizationalUnit, StreetAddress: ca.StreetAddress, PostalCode: ca.PostalCode}

	if kind == PeerOrg {
		for j := 1; j <= s.Users.Count; j++ {
			o.Users = append(o.Users, fmt.Sprintf("User%d@%s", j, s.Domain))
		}
	} else if s.Users.Count > 0 {
		warnings = append(warnings, fmt.Sprintf("%s.Users.Count is ignored: as with cryptogen, an orderer organization gets only its Admin user", path))
	}
	return o, warnings, nil
}

func renderNode(path, domain string, s NodeSpec) (Node, error) {
	data := specData{Hostname: s.Hostname, Domain: domain}
	cnTmpl := s.CommonName
	if cnTmpl == "" {
		cnTmpl = defaultCNTemplate
	}
	cn, err := render(path+".CommonName", cnTmpl, data)
	if err != nil {
		return Node{}, err
	}
	data.CommonName = cn
	n := Node{Path: path, Hostname: s.Hostname, CommonName: cn, SANS: []string{cn, s.Hostname}}
	for i, t := range s.SANS {
		san, err := render(fmt.Sprintf("%s.SANS[%d]", path, i), t, data)
		if err != nil {
			return Node{}, err
		}
		if strings.TrimSpace(san) == "" {
			return Node{}, fmt.Errorf("%s.SANS[%d]: renders to an empty name", path, i)
		}
		n.SANS = append(n.SANS, san)
	}
	return n, nil
}
