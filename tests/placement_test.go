package tests

import (
	"strings"
	"testing"
)

// TestModulePlacement runs a binary module on a local connection: in place,
// its arguments on standard input, one command a call and no copy of the
// executable (plugins/plugin_utils/cached_module.py); with
// fabrun_module_cache false through Ansible's own temporary copy, with the
// same results; any other value of it fails naming it and the host.
func TestModulePlacement(t *testing.T) {
	tier(t, "module")
	ModuleBin(t, "fabric_host_facts")
	for _, tc := range []struct {
		name   string
		extra  []string
		copies bool
	}{
		{name: "in place", copies: false},
		{name: "Ansible's own path", extra: []string{"-e", "fabrun_module_cache=false"}, copies: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, changed, failed := testPlaybook(t, "module_placement.yml", append(tc.extra, "-vvv")...)
			if failed != 0 || changed != 0 || !strings.Contains(out, "java major 17") || !strings.Contains(out, "censored") {
				t.Fatalf("changed=%d failed=%d:\n%s", changed, failed, out)
			}
			inPlace := strings.Count(out, "plugins/modules/fabric_host_facts - ")
			copied := strings.Count(out, "PUT ") + strings.Count(out, "AnsiballZ_fabric_host_facts")
			if tc.copies && (inPlace != 0 || copied == 0) || !tc.copies && (inPlace != 3 || copied != 0) {
				t.Errorf("%d calls in place, %d copies; want %s:\n%s", inPlace, copied, tc.name, out)
			}
		})
	}
	t.Run("a setting that is not a boolean", func(t *testing.T) {
		out, _, failed := testPlaybook(t, "module_placement.yml", "-e", "fabrun_module_cache=maybe")
		if failed == 0 || !strings.Contains(out, "localhost: fabrun_module_cache must be true or false (is 'maybe')") {
			t.Errorf("failed=%d, want the setting and the host named:\n%s", failed, out)
		}
	})
}
