// Package hostfacts is the fabric_host_facts module: what a role needs to
// know about its node before it acts - the Java runtime's version, whether
// paths exist - in one module process, where a command or stat module ran
// a Python process for each (half a second to a second here).
package hostfacts

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"time"

	"github.com/fabrun/fabrun/internal/module"
)

// Args are the module's options.
type Args struct {
	Java  string   `json:"java"`
	Paths []string `json:"paths"`
}

// Spec declares the module's options.
func Spec() module.Spec {
	return module.Spec{
		Name: "fabric_host_facts",
		Options: map[string]module.Option{
			"java":  {Type: module.Str},
			"paths": {Type: module.List, Elements: module.Path, Default: []any{}},
		},
		SupportsCheckMode: true,
	}
}

// Java is what `java -version` says.
type Java struct {
	Found bool   `json:"found"`
	Text  string `json:"text"`  // its output, or why it did not run
	Major int    `json:"major"` // 8 for "1.8.0_402", 17 for "17.0.15"; 0 when unknown
}

// Run is the module's body. It only reads.
func Run(ctx *module.Context) (module.Result, error) {
	var a Args
	if err := ctx.Decode(&a); err != nil {
		return module.Result{}, err
	}
	data := map[string]any{}
	if a.Java != "" {
		data["java"] = java(a.Java)
	}
	exists := map[string]bool{}
	for _, p := range a.Paths {
		_, err := os.Stat(p)
		switch {
		case err == nil:
			exists[p] = true
		case errors.Is(err, fs.ErrNotExist):
			exists[p] = false
		default:
			return module.Result{}, err
		}
	}
	data["exists"] = exists
	return module.Result{Data: data}, nil
}

// version finds `version "17.0.15"` (or "1.8.0_402", "21") in -version's output.
var version = regexp.MustCompile(`version "(\d+)(?:\.(\d+))?`)

func java(cmd string) Java {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, cmd, "-version").CombinedOutput()
	j := Java{Text: string(out)}
	if err != nil {
		if len(out) == 0 {
			j.Text = err.Error()
		}
		return j
	}
	j.Found = true
	if m := version.FindStringSubmatch(j.Text); m != nil {
		j.Major, _ = strconv.Atoi(m[1])
		if j.Major == 1 && m[2] != "" {
			j.Major, _ = strconv.Atoi(m[2])
		}
	}
	return j
}
