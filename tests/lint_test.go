package tests

import "testing"

// TestYamllint runs yamllint in strict mode (warnings fail too) on the whole
// repository with its .yamllint.
func TestYamllint(t *testing.T) {
	tier(t, "module")
	r := Run(t, RepoRoot(t), nil, VenvBin(t, "yamllint"), "--strict", "-f", "parsable", ".")
	if r.Err != nil {
		t.Fatalf("yamllint --strict: %v\n%s%s", r.Err, r.Stdout, r.Stderr)
	}
}
