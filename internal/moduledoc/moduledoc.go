// Package moduledoc turns a binary module's adjacent YAML documentation
// (<name>.yml: DOCUMENTATION, EXAMPLES, RETURN) into the documentation-only
// Python file (<name>.py) that Ansible documents for non-Python modules.
//
// Why both: the YAML is the one tracked source, but `ansible-doc -l` drops a
// binary module whose listed path is the binary itself (it reads the binary as
// UTF-8 and gives up before trying the YAML; ansible/ansible#85279, still so in
// ansible-core 2.21). The collection therefore lists the .py file, and the
// module's name is a symlink to the binary, which the listing skips as an alias.
package moduledoc

import (
	"bytes"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Sections are the documentation blocks Ansible reads, in the order written.
var Sections = []string{"DOCUMENTATION", "EXAMPLES", "RETURN"}

// Python renders the sidecar's sections as raw Python string assignments.
func Python(sidecar []byte) ([]byte, error) {
	var doc map[string]yaml.Node
	if err := yaml.Unmarshal(sidecar, &doc); err != nil {
		return nil, fmt.Errorf("reading the YAML documentation: %w", err)
	}
	if _, ok := doc["DOCUMENTATION"]; !ok {
		return nil, fmt.Errorf("the YAML documentation has no DOCUMENTATION")
	}
	var out bytes.Buffer
	out.WriteString("# Generated from the adjacent .yml by `make modules`; edit the .yml.\n")
	for _, name := range Sections {
		node, ok := doc[name]
		if !ok {
			continue
		}
		text, err := sectionText(&node)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if strings.Contains(text, "'''") {
			return nil, fmt.Errorf("%s contains ''' and cannot be a raw Python string", name)
		}
		fmt.Fprintf(&out, "\n%s = r'''\n%s'''\n", name, text)
	}
	return out.Bytes(), nil
}

// sectionText is a section as YAML text: a string section (EXAMPLES) as it is,
// a mapping (DOCUMENTATION, RETURN) re-encoded.
func sectionText(node *yaml.Node) (string, error) {
	if node.Kind == yaml.ScalarNode {
		return node.Value, nil
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(node); err != nil {
		return "", err
	}
	return buf.String(), enc.Close()
}
