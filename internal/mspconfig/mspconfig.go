// Package mspconfig is an MSP directory's config.yaml (the part of Fabric's
// msp.Configuration that cryptogen writes and a verifying MSP reads).
package mspconfig

// File is config.yaml. Empty fields are left out when it is written, as
// cryptogen writes it.
type File struct {
	OrganizationalUnitIdentifiers []*OUIdentifier `yaml:"OrganizationalUnitIdentifiers,omitempty"`
	NodeOUs                       *NodeOUs        `yaml:"NodeOUs,omitempty"`
}

// NodeOUs classify identities by the OU of their certificate.
type NodeOUs struct {
	Enable              bool          `yaml:"Enable,omitempty"`
	ClientOUIdentifier  *OUIdentifier `yaml:"ClientOUIdentifier,omitempty"`
	PeerOUIdentifier    *OUIdentifier `yaml:"PeerOUIdentifier,omitempty"`
	AdminOUIdentifier   *OUIdentifier `yaml:"AdminOUIdentifier,omitempty"`
	OrdererOUIdentifier *OUIdentifier `yaml:"OrdererOUIdentifier,omitempty"`
}

// OUIdentifier is an OU and the CA certificate (a path relative to the MSP
// directory) that issues it.
type OUIdentifier struct {
	Certificate                  string `yaml:"Certificate,omitempty"`
	OrganizationalUnitIdentifier string `yaml:"OrganizationalUnitIdentifier,omitempty"`
}
