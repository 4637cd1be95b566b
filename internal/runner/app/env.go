package app

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/fabrun/fabrun/internal/inventory"
	"github.com/fabrun/fabrun/internal/preflight"
)

// IsHome is true for a checkout root: ansible.cfg and playbooks/.
func IsHome(dir string) bool {
	if dir == "" {
		return false
	}
	st, err := os.Stat(filepath.Join(dir, "playbooks"))
	if err != nil || !st.IsDir() {
		return false
	}
	_, err = os.Stat(filepath.Join(dir, "ansible.cfg"))
	return err == nil
}

// FindHome finds the repository root: the --home flag, then $FABRUN_HOME,
// then the checkout the binary was built into (<root>/build/bin/fabrun),
// then the working directory and its parents.
func FindHome(flag, env, exe, cwd string) (string, error) {
	for _, c := range []struct{ what, dir string }{{"--home", flag}, {"FABRUN_HOME", env}} {
		if c.dir == "" {
			continue
		}
		abs, err := filepath.Abs(c.dir)
		if err != nil {
			return "", err
		}
		if !IsHome(abs) {
			return "", fmt.Errorf("%s %s is not a fabrun checkout (no ansible.cfg and playbooks/)", c.what, c.dir)
		}
		return abs, nil
	}
	if exe != "" {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		dir := filepath.Dir(exe)
		if filepath.Base(dir) == "bin" && filepath.Base(filepath.Dir(dir)) == "build" {
			if root := filepath.Dir(filepath.Dir(dir)); IsHome(root) {
				return root, nil
			}
		}
	}
	for dir := cwd; dir != ""; {
		if IsHome(dir) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", errors.New("cannot find the fabrun checkout: run from inside it, or set --home or FABRUN_HOME")
}

// CollectionName is the collection a checkout is, and is installed as.
const CollectionName = "fabrun.fabric"

// IsCollection is true for a directory holding the collection's playbooks
// and roles (an installed fabrun.fabric, or a checkout linked as one).
func IsCollection(dir string) bool {
	for _, sub := range []string{"playbooks", "roles", filepath.Join("plugins", "modules")} {
		if st, err := os.Stat(filepath.Join(dir, sub)); err != nil || !st.IsDir() {
			return false
		}
	}
	return true
}

// FindCollection finds the installed fabrun.fabric the way Ansible looks
// for collections: each directory of collectionsPath (ANSIBLE_COLLECTIONS_PATH,
// colon-separated; a directory may itself be an ansible_collections), then
// Ansible's defaults ~/.ansible/collections and /usr/share/ansible/collections.
func FindCollection(collectionsPath, userHome string) (string, error) {
	dirs := filepath.SplitList(collectionsPath)
	if userHome != "" {
		dirs = append(dirs, filepath.Join(userHome, ".ansible", "collections"))
	}
	dirs = append(dirs, "/usr/share/ansible/collections")
	var tried []string
	for _, d := range dirs {
		if d == "" {
			continue
		}
		if strings.HasPrefix(d, "~/") && userHome != "" {
			d = filepath.Join(userHome, d[2:])
		}
		if filepath.Base(d) != "ansible_collections" {
			d = filepath.Join(d, "ansible_collections")
		}
		c := filepath.Join(d, "fabrun", "fabric")
		if IsCollection(c) {
			return c, nil
		}
		tried = append(tried, c)
	}
	return "", fmt.Errorf("the collection %s is not installed (looked in %s): run `ansible-galaxy collection install fabrun-fabric-<version>.tar.gz`, or set ANSIBLE_COLLECTIONS_PATH",
		CollectionName, strings.Join(tried, ", "))
}

// Tools are the Ansible programs the runner uses.
type Tools struct {
	AnsiblePlaybook  string
	AnsibleInventory string
	Ansible          string
}

// FindTools prefers the checkout's venv (build/venv/bin), then PATH.
// A missing tool is "" (preflight reports it).
func FindTools(home string) Tools {
	find := func(name string) string {
		p := filepath.Join(home, "build", "venv", "bin", name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
		return ""
	}
	return Tools{AnsiblePlaybook: find("ansible-playbook"), AnsibleInventory: find("ansible-inventory"), Ansible: find("ansible")}
}

// ChildEnv is the environment Ansible runs with: the checkout's
// ansible.cfg, and its venv and Fabric binaries first on PATH. An installed
// collection (collection true) runs in the user's own environment.
func ChildEnv(home string, collection bool) map[string]string {
	if collection {
		return map[string]string{}
	}
	path := strings.Join([]string{
		filepath.Join(home, "build", "venv", "bin"),
		filepath.Join(home, "build", "fabric", "bin"),
		os.Getenv("PATH"),
	}, string(os.PathListSeparator))
	return map[string]string{
		"ANSIBLE_CONFIG": filepath.Join(home, "ansible.cfg"),
		"PATH":           path,
	}
}

// DefaultInventory is the local inventory of the checkout.
func DefaultInventory(home string) string { return filepath.Join(home, "inventory", "local") }

// Loaded is the network the inventory describes, as the preflight play
// resolved it with Ansible (precedence, templates, role defaults, extra
// vars), and the preflight rules' verdict on it.
type Loaded struct {
	Topology *inventory.Topology
	Outcome  *preflight.Outcome
}
