package cryptogen

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/fabrun/fabrun/internal/module"
)

// Spec is the fabric_crypto module's argument spec.
var Spec = module.WithConfigSource(module.Spec{
	Name: "fabric_crypto",
	Options: map[string]module.Option{
		"output_dir": {Type: module.Path, Required: true},
	},
	SupportsCheckMode: true,
})

type args struct {
	module.ConfigSource
	OutputDir string `json:"output_dir"`
}

// LoadConfig reads the crypto config from the module's options.
func loadConfig(a args) (*Config, error) {
	if a.Config != nil {
		cfg, err := ParseMap(a.Config)
		if err != nil {
			return nil, fmt.Errorf("config: %v", err)
		}
		return cfg, nil
	}
	data, err := os.ReadFile(a.ConfigFile)
	if err != nil {
		return nil, fmt.Errorf("config_file: %v", err)
	}
	cfg, err := ParseYAML(data)
	if err != nil {
		return nil, fmt.Errorf("config_file %s: %v", a.ConfigFile, err)
	}
	return cfg, nil
}

// Run is the fabric_crypto module.
func Run(ctx *module.Context) (module.Result, error) {
	var a args
	if err := ctx.Decode(&a); err != nil {
		return module.Result{}, err
	}
	if strings.TrimSpace(a.OutputDir) == "" {
		return module.Result{}, fmt.Errorf("output_dir: must not be empty")
	}
	cfg, err := loadConfig(a)
	if err != nil {
		return module.Result{}, err
	}
	plan, err := Build(cfg, a.OutputDir, time.Now())
	if err != nil {
		return module.Result{}, err
	}
	changed := len(plan.Units) > 0
	if changed {
		if err := CheckWritable(plan.OutputDir); err != nil {
			return module.Result{}, err
		}
	}
	created := plan.Created()
	res := module.Result{
		Changed:  changed,
		Warnings: plan.Warnings,
		Data: map[string]any{
			"output_dir": plan.OutputDir,
			"created":    created,
			"identities": plan.Identities(),
			"orgs":       orgsResult(plan),
		},
	}
	if created == nil {
		res.Data["created"] = []string{}
	}
	if ctx.DiffMode() && changed {
		res.Diff = []module.Diff{diff(plan, created)}
	}
	verb := "created"
	if ctx.CheckMode() {
		verb = "would create"
	}
	switch {
	case !changed:
		res.Msg = "all crypto material is present"
	default:
		res.Msg = fmt.Sprintf("%s %d identities (%d files) in %s", verb, len(plan.Identities()), len(created), plan.OutputDir)
	}
	if changed && !ctx.CheckMode() {
		if err := plan.Apply(); err != nil {
			res.Changed = false
			return res, err
		}
	}
	return res, nil
}

type identityPaths struct {
	Name   string   `json:"name"`
	Dir    string   `json:"dir"`
	MSPDir string   `json:"msp_dir"`
	TLSDir string   `json:"tls_dir"`
	SANS   []string `json:"sans,omitempty"`
}

type orgResult struct {
	Name     string                   `json:"name"`
	Domain   string                   `json:"domain"`
	Type     string                   `json:"type"`
	NodeOUs  bool                     `json:"node_ous"`
	Dir      string                   `json:"dir"`
	MSPDir   string                   `json:"msp_dir"`
	CADir    string                   `json:"ca_dir"`
	TLSCADir string                   `json:"tlsca_dir"`
	Admin    identityPaths            `json:"admin"`
	Nodes    map[string]identityPaths `json:"nodes"`
	Users    map[string]identityPaths `json:"users"`
}

func orgsResult(p *Plan) map[string]orgResult {
	out := map[string]orgResult{}
	for _, o := range p.Orgs {
		dir := filepath.Join(p.OutputDir, filepath.FromSlash(o.Dir()))
		ident := func(sub, name string, sans []string) identityPaths {
			d := filepath.Join(dir, sub, name)
			return identityPaths{Name: name, Dir: d, MSPDir: filepath.Join(d, "msp"), TLSDir: filepath.Join(d, "tls"), SANS: sans}
		}
		r := orgResult{Name: o.Name, Domain: o.Domain, Type: o.Kind, NodeOUs: o.NodeOUs, Dir: dir,
			MSPDir: filepath.Join(dir, "msp"), CADir: filepath.Join(dir, "ca"), TLSCADir: filepath.Join(dir, "tlsca"),
			Admin: ident("users", o.Admin, nil), Nodes: map[string]identityPaths{}, Users: map[string]identityPaths{}}
		for _, n := range o.Nodes {
			r.Nodes[n.Hostname] = ident(o.NodesDir(), n.CommonName, n.SANS)
		}
		r.Users[o.Admin] = r.Admin
		for _, u := range o.Users {
			r.Users[u] = ident("users", u, nil)
		}
		out[o.Key()] = r
	}
	return out
}

// diff shows the files of the configured organizations before and after:
// only additions, since nothing existing is ever changed.
func diff(p *Plan, created []string) module.Diff {
	var before []string
	for _, o := range p.Orgs {
		root := filepath.Join(p.OutputDir, filepath.FromSlash(o.Dir()))
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if rel, err := filepath.Rel(p.OutputDir, path); err == nil {
				before = append(before, filepath.ToSlash(rel))
			}
			return nil
		})
	}
	sort.Strings(before)
	after := append(append([]string{}, before...), created...)
	sort.Strings(after)
	text := func(lines []string) string {
		if len(lines) == 0 {
			return ""
		}
		return strings.Join(lines, "\n") + "\n"
	}
	return module.Diff{
		Before:       text(before),
		After:        text(after),
		BeforeHeader: p.OutputDir + " (before)",
		AfterHeader:  p.OutputDir + " (after)",
	}
}
