package preflight

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"

	"github.com/fabrun/fabrun/internal/configtx"
)

// Fabric's rules for chaincode names and versions (lscc: the legacy
// lifecycle the chaincode role uses) and for addresses.
var (
	chaincodeNamePattern    = regexp.MustCompile(`^[a-zA-Z0-9]+([-_][a-zA-Z0-9]+)*$`)
	chaincodeVersionPattern = regexp.MustCompile(`^[A-Za-z0-9_.+-]+$`)
	// An RFC 1123 host name: dot-separated labels of letters, digits and
	// inner hyphens, each at most 63 characters.
	hostLabelPattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)
)

// ValidateChannelID applies Fabric's channel name rule (the one
// fabric_configtx applies: configtx.CheckChannelID).
func ValidateChannelID(id string) error {
	err := configtx.CheckChannelID(id)
	var fe *configtx.FieldError
	if errors.As(err, &fe) {
		return errors.New(fe.Msg)
	}
	return err
}

// ValidateChaincodeName applies Fabric's chaincode name rule.
func ValidateChaincodeName(name string) error {
	return matchChaincodeRule(name, "name", chaincodeNamePattern)
}

// ValidateChaincodeVersion applies Fabric's chaincode version rule.
func ValidateChaincodeVersion(v string) error {
	return matchChaincodeRule(v, "version", chaincodeVersionPattern)
}

// matchChaincodeRule checks a value against one of Fabric's chaincode
// rules, quoting the rule when it does not match.
func matchChaincodeRule(v, what string, rule *regexp.Regexp) error {
	if v == "" {
		return fmt.Errorf("is empty")
	}
	if !rule.MatchString(v) {
		return fmt.Errorf("%q does not match Fabric's chaincode %s rule %s", v, what, rule)
	}
	return nil
}

// ValidateAddress accepts an IP address or an RFC 1123 host name.
func ValidateAddress(a string) error {
	if a == "" {
		return fmt.Errorf("is empty")
	}
	if net.ParseIP(a) != nil {
		return nil
	}
	if len(a) > 253 {
		return fmt.Errorf("%q is longer than a host name may be (253)", a)
	}
	labels := strings.Split(strings.TrimSuffix(a, "."), ".")
	allDigits := true
	for _, l := range labels {
		if !hostLabelPattern.MatchString(l) {
			return fmt.Errorf("%q is neither an IP address nor a host name", a)
		}
		if strings.Trim(l, "0123456789") != "" {
			allDigits = false
		}
	}
	if allDigits {
		// 10.0.0.300 is a mistyped IP, not a name.
		return fmt.Errorf("%q is neither an IP address nor a host name", a)
	}
	return nil
}

// ValidateDomainLabel accepts one DNS label (an orderer or peer name,
// which becomes the first label of its certificate's host name).
func ValidateDomainLabel(s string) error {
	if !hostLabelPattern.MatchString(s) {
		return fmt.Errorf("%q is not a DNS label (letters, digits and inner hyphens, at most 63)", s)
	}
	return nil
}
