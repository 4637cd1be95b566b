package tests

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// awxCollectionsPath is the collections path holding awx.awx, unpacked from
// the pinned ansible community package by `make awx-collection`.
func awxCollectionsPath(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(RepoRoot(t), "build", "awx", "collections")
	mustExist(t, filepath.Join(dir, "ansible_collections", "awx", "awx", "MANIFEST.json"), "make awx-collection")
	return dir
}

// awxOption is one option of an awx.awx module's argument spec.
type awxOption struct {
	Required bool     `json:"required"`
	Aliases  []string `json:"aliases"`
}

// awxModuleOptions reads the named awx.awx modules' argument specs with
// ansible-doc -j, as the collection itself documents them.
func awxModuleOptions(t testing.TB, modules []string) map[string]map[string]awxOption {
	t.Helper()
	env := append(AnsibleEnv(t), "ANSIBLE_COLLECTIONS_PATH="+awxCollectionsPath(t))
	r := MustRun(t, t.TempDir(), env, VenvBin(t, "ansible-doc"), append([]string{"-j"}, modules...)...)
	var docs map[string]struct {
		Doc struct {
			Options map[string]awxOption `json:"options"`
		} `json:"doc"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &docs); err != nil {
		t.Fatalf("ansible-doc -j: %v\n%s", err, tail(r.Stdout, 20))
	}
	out := map[string]map[string]awxOption{}
	for _, m := range modules {
		d, ok := docs[m]
		if !ok || len(d.Doc.Options) == 0 {
			t.Fatalf("ansible-doc -j has no options for %s (is it an awx.awx module?)", m)
		}
		out[m] = d.Doc.Options
	}
	return out
}

// awxTaskProblems lists what is wrong with one task's options for its
// module: an option the module does not have (nor as an alias), or a
// required one left out.
func awxTaskProblems(task string, args map[string]any, options map[string]awxOption) []string {
	known := map[string]bool{}
	for name, o := range options {
		known[name] = true
		for _, a := range o.Aliases {
			known[a] = true
		}
	}
	var problems []string
	for k := range args {
		if !known[k] {
			problems = append(problems, fmt.Sprintf("task %q: unknown option %q", task, k))
		}
	}
	for name, o := range options {
		if _, given := args[name]; o.Required && !given {
			problems = append(problems, fmt.Sprintf("task %q: required option %q missing", task, name))
		}
	}
	sort.Strings(problems)
	return problems
}

// awxTasks reads the awx.awx tasks of awx/job_templates.yml: task name ->
// module and its options.
func awxTasks(t testing.TB) map[string]struct {
	Module string
	Args   map[string]any
} {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(RepoRoot(t), "awx", "job_templates.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var plays []struct {
		Tasks []map[string]any `yaml:"tasks"`
	}
	if err := yaml.Unmarshal(b, &plays); err != nil {
		t.Fatal(err)
	}
	out := map[string]struct {
		Module string
		Args   map[string]any
	}{}
	for _, p := range plays {
		for _, task := range p.Tasks {
			name, _ := task["name"].(string)
			for k, v := range task {
				if strings.HasPrefix(k, "awx.awx.") {
					args, ok := v.(map[string]any)
					if !ok {
						t.Fatalf("task %q: %s takes a mapping of options", name, k)
					}
					out[name] = struct {
						Module string
						Args   map[string]any
					}{k, args}
				}
			}
		}
	}
	return out
}

// TestAWXJobTemplatesOptions checks every option of every awx.awx task in
// awx/job_templates.yml against the awx.awx collection's own argument specs,
// so a misspelled option fails here instead of in AWX; the checker itself
// is shown to catch a misspelling and a missing required option.
func TestAWXJobTemplatesOptions(t *testing.T) {
	tier(t, "module")
	tasks := awxTasks(t)
	var modules []string
	for _, task := range tasks {
		if !slices.Contains(modules, task.Module) {
			modules = append(modules, task.Module)
		}
	}
	sort.Strings(modules)
	for _, want := range []string{"awx.awx.credential", "awx.awx.execution_environment", "awx.awx.inventory",
		"awx.awx.inventory_source", "awx.awx.job_template", "awx.awx.project"} {
		if !slices.Contains(modules, want) {
			t.Errorf("awx/job_templates.yml does not use %s", want)
		}
	}
	specs := awxModuleOptions(t, modules)
	for name, task := range tasks {
		for _, p := range awxTaskProblems(name, task.Args, specs[task.Module]) {
			t.Error(p)
		}
	}

	jt := specs["awx.awx.job_template"]
	for _, c := range []struct {
		name string
		args map[string]any
		want string
	}{
		{"misspelled", map[string]any{"name": "x", "survey_enable": true}, `unknown option "survey_enable"`},
		{"alias", map[string]any{"name": "x", "credential": "c"}, ""},
	} {
		got := strings.Join(awxTaskProblems(c.name, c.args, jt), "\n")
		if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
			t.Errorf("%s: problems %q, want %q", c.name, got, c.want)
		}
	}
	if got := awxTaskProblems("no name", map[string]any{}, jt); !slices.Contains(got, `task "no name": required option "name" missing`) {
		t.Errorf("missing required name not reported: %q", got)
	}
}

// awxSurveyQuestion is one question of an AWX survey_spec.
type awxSurveyQuestion struct {
	QuestionName string   `json:"question_name"`
	Variable     string   `json:"variable"`
	Type         string   `json:"type"`
	Required     *bool    `json:"required"`
	Default      any      `json:"default"`
	Min          *int     `json:"min"`
	Max          *int     `json:"max"`
	Choices      []string `json:"choices"`
}

// renderedSurveys renders awx/surveys.yml with Ansible (the surveys build
// on each other with Jinja) and returns the job templates' survey specs and
// the deploy job's extra vars, as AWX receives them.
func renderedSurveys(t testing.TB) (map[string]struct {
	Name string              `json:"name"`
	Spec []awxSurveyQuestion `json:"spec"`
}, map[string]any) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "surveys.json")
	MustRun(t, RepoRoot(t), AnsibleEnv(t), VenvBin(t, "ansible"), "localhost", "-c", "local", "-m", "ansible.builtin.copy",
		"-e", "@awx/surveys.yml", "-e", "out="+out, "-a",
		`dest={{ out }} content={{ {'surveys': {'deploy': awx_deploy_survey, 'verify': awx_verify_survey, 'teardown': awx_teardown_survey}, 'extra_vars': awx_deploy_extra_vars} | to_json }}`)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Surveys map[string]struct {
			Name string              `json:"name"`
			Spec []awxSurveyQuestion `json:"spec"`
		} `json:"surveys"`
		ExtraVars map[string]any `json:"extra_vars"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return v.Surveys, v.ExtraVars
}

// TestAWXSurveys checks the surveys as AWX validates a survey_spec (types,
// defaults within min/max and among the choices) and that each variable is
// one the playbooks read: a role's argument spec or default, a playbook
// variable, or an input of the deploy job's extra vars.
func TestAWXSurveys(t *testing.T) {
	tier(t, "module")
	surveys, extra := renderedSurveys(t)
	root := RepoRoot(t)
	var known strings.Builder
	for _, f := range []string{"roles/chaincode/meta/argument_specs.yml", "roles/fabric/defaults/main.yml", "playbooks/teardown.yml"} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		known.Write(b)
	}
	extraJSON, _ := json.Marshal(extra)
	types := []string{"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}
	for _, job := range []string{"deploy", "verify", "teardown"} {
		s, ok := surveys[job]
		if !ok || s.Name == "" || len(s.Spec) == 0 {
			t.Errorf("%s: no survey", job)
			continue
		}
		for _, q := range s.Spec {
			where := fmt.Sprintf("%s survey, %q", job, q.QuestionName)
			switch {
			case q.QuestionName == "" || q.Variable == "" || q.Required == nil:
				t.Errorf("%s: question_name, variable and required are needed: %+v", where, q)
			case !slices.Contains(types, q.Type):
				t.Errorf("%s: type %q is not one of %v", where, q.Type, types)
			}
			def := fmt.Sprint(q.Default)
			if q.Type == "text" && (q.Min == nil || q.Max == nil || len(def) < *q.Min || len(def) > *q.Max) {
				t.Errorf("%s: default %q outside min/max", where, def)
			}
			if q.Type == "multiplechoice" && !slices.Contains(q.Choices, def) {
				t.Errorf("%s: default %q not among %v", where, def, q.Choices)
			}
			used := regexp.MustCompile(`(?m)^\s*`+regexp.QuoteMeta(q.Variable)+`:`).MatchString(known.String()) ||
				strings.Contains(string(extraJSON), q.Variable)
			if !used {
				t.Errorf("%s: variable %s is read by no role or playbook", where, q.Variable)
			}
		}
	}
	if got := fmt.Sprint(extra["chaincode_init_args"]); !strings.Contains(got, "awx_chaincode_init_args.split(',')") {
		t.Errorf("deploy extra vars: chaincode_init_args = %s", got)
	}
}

// TestExecutionEnvironmentContext runs `ansible-builder create` on
// awx/execution-environment.yml, as `make ee-context` does, and checks the
// build context: the pins of requirements.txt, the collection tarball, the
// Fabric binaries, the ZooKeeper/Kafka archives and Go.
func TestExecutionEnvironmentContext(t *testing.T) {
	tier(t, "module")
	root := RepoRoot(t)
	// The definition names its files relative to itself (../build/...): a
	// scratch tree with the same layout, its build/ linking to the real
	// files and to a freshly built collection.
	scratch := t.TempDir()
	for _, d := range []string{"awx", "build/collection", "build/fabric/bin"} {
		if err := os.MkdirAll(filepath.Join(scratch, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	def, err := os.ReadFile(filepath.Join(root, "awx", "execution-environment.yml"))
	if err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		"build/collection/fabrun-fabric-1.0.0.tar.gz": buildCollection(t),
		"build/fabric/bin/peer":                       FabricBin(t, "peer"),
		"build/fabric/bin/orderer":                    FabricBin(t, "orderer"),
		"build/artifacts":                             mustExist(t, filepath.Join(root, "build", "artifacts"), "make artifacts"),
		"build/ee-go":                                 strings.TrimSpace(MustRun(t, root, nil, "go", "env", "GOROOT").Stdout),
	}
	for rel, target := range links {
		if err := os.Symlink(target, filepath.Join(scratch, rel)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(scratch, "awx", "execution-environment.yml"), def, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := filepath.Join(scratch, "context")
	// Named for podman whatever runtime ansible-builder finds (a docker
	// client on the PATH would make it a Dockerfile).
	MustRun(t, scratch, nil, VenvBin(t, "ansible-builder"), "create", "--output-filename", "Containerfile",
		"-f", "awx/execution-environment.yml", "-c", ctx)

	containerfile, err := os.ReadFile(filepath.Join(ctx, "Containerfile"))
	if err != nil {
		t.Fatal(err)
	}
	reqs, err := os.ReadFile(filepath.Join(root, "requirements.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range []string{"ansible-core", "ansible-runner"} {
		pin := regexp.MustCompile(`(?m)^` + pkg + `==\S+`).FindString(string(reqs))
		if pin == "" {
			t.Fatalf("requirements.txt pins no %s", pkg)
		}
		if !strings.Contains(string(containerfile), pin) {
			t.Errorf("Containerfile does not install %s (requirements.txt's pin)", pin)
		}
	}
	for _, want := range []string{"FROM $EE_BASE_IMAGE", "ansible-galaxy collection install", "FABRUN_SOFTWARE_DIR=/opt/fabrun-software"} {
		if !strings.Contains(string(containerfile), want) {
			t.Errorf("Containerfile lacks %q", want)
		}
	}
	req, err := os.ReadFile(filepath.Join(ctx, "_build", "requirements.yml"))
	if err != nil || !strings.Contains(string(req), "/build/collection/fabrun-fabric-1.0.0.tar.gz") {
		t.Errorf("_build/requirements.yml does not install the collection tarball (%v):\n%s", err, req)
	}
	for _, f := range []string{"collection/fabrun-fabric-1.0.0.tar.gz", "software/fabric/bin/peer", "software/fabric/bin/orderer", "go/bin/go"} {
		if st, err := os.Stat(filepath.Join(ctx, "_build", f)); err != nil || !st.Mode().IsRegular() || st.Size() == 0 {
			t.Errorf("build context lacks _build/%s (%v)", f, err)
		}
	}
	for _, pattern := range []string{"zookeeper-*.tar.gz", "kafka-*.tar.gz"} {
		if m, _ := filepath.Glob(filepath.Join(ctx, "_build", "software", "artifacts", pattern)); len(m) == 0 {
			t.Errorf("build context lacks _build/software/artifacts/%s", pattern)
		}
	}
}
