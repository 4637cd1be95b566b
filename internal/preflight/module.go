package preflight

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/fabrun/fabrun/internal/module"
)

// ResultKey is the key of the module's result that holds the Outcome (the
// runner reads it from the play's events).
const ResultKey = "fabrun_preflight"

// Spec is the fabric_preflight module's arguments.
func Spec() module.Spec {
	return module.Spec{
		Name: "fabric_preflight",
		Options: map[string]module.Option{
			"hosts":   {Type: module.List, Elements: module.Dict, Required: true},
			"groups":  {Type: module.Dict, Required: true},
			"network": {Type: module.Dict, Required: true},
		},
		SupportsCheckMode: true,
	}
}

// Run evaluates the rules once. It changes nothing; errors fail the task
// with every error in the message, and the whole outcome is returned under
// ResultKey either way. Warnings become Ansible warnings.
func Run(ctx *module.Context) (module.Result, error) {
	in, err := inputOf(ctx.Params)
	if err != nil {
		return module.Result{}, err
	}
	out := Evaluate(in)
	errs := out.Of(Error)
	var view any = out
	if len(errs) > 0 {
		// A failed task prints its whole result: keep it to the findings.
		view = &out.Report
	}
	var data map[string]any
	b, err := json.Marshal(view)
	if err == nil {
		err = json.Unmarshal(b, &data)
	}
	if err != nil {
		return module.Result{}, err
	}
	res := module.Result{Data: map[string]any{ResultKey: data}}
	for _, f := range out.Of(Warning) {
		res.Warnings = append(res.Warnings, "preflight: "+f.String())
	}
	if len(errs) > 0 {
		return res, fmt.Errorf("%s", Summary(errs))
	}
	res.Msg = fmt.Sprintf("preflight: %d hosts checked, %d warnings", len(in.Hosts), len(out.Of(Warning)))
	return res, nil
}

// Summary is the failure message for errors: one line each.
func Summary(errs []Finding) string {
	lines := []string{fmt.Sprintf("preflight found %d error(s), nothing was started:", len(errs))}
	for _, f := range errs {
		lines = append(lines, "- "+f.Message)
	}
	return strings.Join(lines, "\n")
}

// inputOf turns the validated parameters into an Input. groups is
// Ansible's `groups` dictionary (group name: host names).
func inputOf(params map[string]any) (*Input, error) {
	groups, _ := params["groups"].(map[string]any)
	params = map[string]any{"hosts": params["hosts"], "network": params["network"]}
	b, err := json.Marshal(params)
	if err != nil {
		return nil, err
	}
	in, err := DecodeInput(b)
	if err != nil {
		return nil, err
	}
	for _, g := range slices.Sorted(maps.Keys(groups)) {
		gf := GroupFacts{Name: g}
		list, ok := groups[g].([]any)
		if !ok && groups[g] != nil {
			return nil, fmt.Errorf("groups[%q] is not a list of host names", g)
		}
		for _, h := range list {
			gf.Hosts = append(gf.Hosts, fmt.Sprint(h))
		}
		in.Groups = append(in.Groups, gf)
	}
	return in, nil
}
