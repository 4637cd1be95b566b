package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// TimeAlternating runs each of runs n times, alternating (run 0 of each,
// then run 1 of each, ...: on a shared machine, load that comes and goes hits
// them alike), and returns each one's seconds; the first error stops it.
func TimeAlternating(n int, runs ...func(i int) error) ([][]float64, error) {
	out := make([][]float64, len(runs))
	for i := range n {
		for j, run := range runs {
			start := time.Now()
			if err := run(i); err != nil {
				return out, err
			}
			out[j] = append(out[j], time.Since(start).Seconds())
		}
	}
	return out, nil
}

// RunCommand runs argv in dir and fails with the end of its output.
func RunCommand(ctx context.Context, dir string, argv ...string) error {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", filepath.Base(argv[0]), err, LastLines(string(out), 5))
	}
	return nil
}

// RunModule runs an Ansible binary module the way Ansible does (its
// arguments in a JSON file named on its command line) and returns its
// result; a module that reports failed is an error with its msg. The result
// is never printed: a module may return secrets.
func RunModule(ctx context.Context, bin, tmpDir string, args map[string]any) (map[string]any, error) {
	b, err := json.Marshal(args)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(tmpDir, "module-args-*.json")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return nil, err
	}
	f.Close()
	cmd := exec.CommandContext(ctx, bin, f.Name())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var res map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return nil, fmt.Errorf("%s printed no JSON result (%v): %s", filepath.Base(bin), runErr, LastLines(stderr.String(), 5))
	}
	if res["failed"] == true {
		return res, fmt.Errorf("%s failed: %v", filepath.Base(bin), res["msg"])
	}
	return res, nil
}

// LastLines is the last n lines of s.
func LastLines(s string, n int) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, "\n")
}
