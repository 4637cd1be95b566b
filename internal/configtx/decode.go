package configtx

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/fabrun/fabrun/internal/bytesize"
	"github.com/fabrun/fabrun/internal/strictyaml"
	"gopkg.in/yaml.v3"
)

// FieldError is a configuration error tied to one field, named by its path
// in the configtx.yaml (e.g. Profiles.TwoOrgsChannel.Application.Policies.Admins.Rule).
type FieldError = strictyaml.FieldError

func fieldErr(path, format string, a ...any) error {
	return &FieldError{Path: path, Msg: fmt.Sprintf(format, a...)}
}

// decodeOptions read a configtx.yaml as configtxgen (viper) does: keys match
// case-insensitively, durations and byte sizes are converted, and a profile
// may name an organization instead of defining it.
var decodeOptions = strictyaml.Options{Name: "the configuration", FoldCase: true, Convert: convert}

// ParseYAML decodes a configtx.yaml document strictly: YAML anchors, aliases
// and merge keys (<<) work as in any configtx.yaml, and a key that no
// section defines is an error naming its path and line.
func ParseYAML(data []byte) (*TopLevel, error) {
	t := &TopLevel{}
	if err := strictyaml.Unmarshal(data, t, decodeOptions); err != nil {
		return nil, err
	}
	return checkOrganizations(t)
}

// Decode converts a generic configuration value (what YAML or JSON decode
// to: maps, lists, scalars) into a TopLevel, strictly.
func Decode(raw any) (*TopLevel, error) {
	t := &TopLevel{}
	if err := strictyaml.Decode(raw, t, decodeOptions); err != nil {
		return nil, err
	}
	return checkOrganizations(t)
}

// checkOrganizations rejects a name where the top-level Organizations need
// a definition: only profiles may name an organization.
func checkOrganizations(t *TopLevel) (*TopLevel, error) {
	for i, o := range t.Organizations {
		if o != nil && o.ref != "" {
			return nil, fieldErr(fmt.Sprintf("Organizations[%d]", i), "expected an organization definition (a mapping), got the name %q", o.ref)
		}
	}
	return t, nil
}

var (
	durationType = reflect.TypeOf(time.Duration(0))
	orgPtrType   = reflect.TypeOf(&Organization{})
)

// convert decodes what configtxgen reads specially: an organization given by
// name, a duration ("2s") and a byte size ("98 MB", which Fabric accepts for
// every uint32 of configtx.yaml).
func convert(n *yaml.Node, rv reflect.Value) (bool, error) {
	switch {
	case rv.Type() == orgPtrType && n.Kind == yaml.ScalarNode:
		// Resolved against the top-level Organizations by Profile.
		rv.Set(reflect.ValueOf(&Organization{ref: n.Value}))
		return true, nil
	case rv.Type() == durationType:
		if n.Kind != yaml.ScalarNode {
			return true, fmt.Errorf("expected a duration such as \"2s\", got %s", strictyaml.Describe(n))
		}
		d, err := time.ParseDuration(strings.TrimSpace(n.Value))
		if err != nil {
			return true, fmt.Errorf("invalid duration %q (use Go syntax such as \"2s\" or \"500ms\")", n.Value)
		}
		rv.SetInt(int64(d))
		return true, nil
	case rv.Kind() == reflect.Uint32 && n.Kind == yaml.ScalarNode:
		if _, err := strconv.ParseFloat(strings.TrimSpace(n.Value), 64); err == nil {
			return false, nil // a number: the decoder checks its sign and range
		}
		size, err := bytesize.Parse(n.Value)
		if err != nil {
			return true, err
		}
		rv.SetUint(uint64(size))
		return true, nil
	}
	return false, nil
}
