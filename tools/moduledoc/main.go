// moduledoc writes a binary module's documentation-only Python file from its
// adjacent YAML documentation: moduledoc plugins/modules/<name>.yml writes
// plugins/modules/<name>.py (see internal/moduledoc for why).
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/fabrun/fabrun/internal/moduledoc"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "moduledoc:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: moduledoc <name>.yml ...")
	}
	for _, sidecar := range args {
		if !strings.HasSuffix(sidecar, ".yml") {
			return fmt.Errorf("%s: not a .yml file", sidecar)
		}
		in, err := os.ReadFile(sidecar)
		if err != nil {
			return err
		}
		py, err := moduledoc.Python(in)
		if err != nil {
			return fmt.Errorf("%s: %w", sidecar, err)
		}
		if err := os.WriteFile(strings.TrimSuffix(sidecar, ".yml")+".py", py, 0o644); err != nil {
			return err
		}
	}
	return nil
}
