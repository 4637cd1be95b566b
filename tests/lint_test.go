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

// TestAnsibleLintProduction runs ansible-lint with the production profile
// (.ansible-lint sets it) on the whole collection: every task and play
// named, every role's variables prefixed with its name.
func TestAnsibleLintProduction(t *testing.T) {
	tier(t, "module")
	r := Run(t, RepoRoot(t), nil, VenvBin(t, "ansible-lint"), "--profile", "production", "--nocolor")
	if r.Err != nil {
		t.Fatalf("ansible-lint --profile production: %v\n%s%s", r.Err, r.Stdout, r.Stderr)
	}
}
