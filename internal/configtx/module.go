package configtx

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fabrun/fabrun/internal/module"
)

// Spec is the fabric_configtx module's argument spec.
var Spec = module.WithConfigSource(module.Spec{
	Name: "fabric_configtx",
	Options: map[string]module.Option{
		"base_dir":   {Type: module.Path},
		"profile":    {Type: module.Str, Required: true},
		"kind":       {Type: module.Str, Required: true, Choices: []any{string(GenesisBlock), string(ChannelTx), string(AnchorTx)}},
		"channel_id": {Type: module.Str, Required: true},
		"org":        {Type: module.Str},
		"output":     {Type: module.Path, Required: true},
		"force":      {Type: module.Bool, Default: false},
	},
	RequiredIf:        []module.RequiredIf{{Option: "kind", Value: string(AnchorTx), Requires: []string{"org"}}},
	SupportsCheckMode: true,
})

// Args are the module's options.
type Args struct {
	module.ConfigSource
	BaseDir   string `json:"base_dir"`
	Profile   string `json:"profile"`
	Kind      Kind   `json:"kind"`
	ChannelID string `json:"channel_id"`
	Org       string `json:"org"`
	Output    string `json:"output"`
	Force     bool   `json:"force"`
}

// artifactMode is the permission configtxgen gives its outputs.
const artifactMode = 0o640

// Run is the module body.
func Run(ctx *module.Context) (module.Result, error) {
	var args Args
	if err := ctx.Decode(&args); err != nil {
		return module.Result{}, err
	}
	var (
		top     *TopLevel
		baseDir string
		err     error
	)
	if args.ConfigFile != "" {
		top, baseDir, err = LoadFile(args.ConfigFile, absOrEmpty(args.BaseDir))
	} else {
		top, err = Decode(args.Config)
		if err != nil {
			err = fmt.Errorf("config: %w", err)
		}
		baseDir = absOrEmpty(args.BaseDir)
	}
	if err != nil {
		return module.Result{}, err
	}
	art, err := Generate(top, baseDir, Request{Kind: args.Kind, Profile: args.Profile, ChannelID: args.ChannelID, Org: args.Org})
	if err != nil {
		return module.Result{}, err
	}
	res, err := Apply(art, args.Output, args.Force, ctx.CheckMode())
	res.Data["profile"] = args.Profile
	return res, err
}

func absOrEmpty(p string) string {
	if p == "" {
		return ""
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// Apply brings output in line with the artifact: it leaves a file that
// already encodes the same configuration alone (timestamps, nonces and
// signatures aside), refuses to replace a genesis block that differs unless
// force is set, and otherwise writes atomically — unless check is set.
// The result carries a before/after diff of the decoded configurations.
func Apply(art *Artifact, output string, force, check bool) (module.Result, error) {
	res := module.Result{
		Warnings: art.Warnings,
		Data: map[string]any{
			"output":     output,
			"channel_id": art.ChannelID,
			"kind":       string(art.Kind),
			"summary":    art.Summary,
		},
	}
	after, err := DecodeArtifact(art.Kind, art.Bytes)
	if err != nil {
		return res, fmt.Errorf("internal error: the generated %s does not decode: %v", art.Kind, err)
	}
	what := strings.ReplaceAll(string(art.Kind), "_", " ")

	existing, err := os.ReadFile(output)
	switch {
	case err == nil:
		before, derr := DecodeArtifact(art.Kind, existing)
		if derr == nil && before.Equal(after) {
			res.Data["sha256"] = checksum(existing)
			res.Msg = fmt.Sprintf("%s already encodes this configuration", output)
			return res, nil
		}
		beforeText := fmt.Sprintf("(%s is not a valid %s: %v)\n", output, what, derr)
		if derr == nil {
			beforeText = before.Text()
		}
		res.Diff = []module.Diff{{Before: beforeText, After: after.Text(), BeforeHeader: output + " (decoded)", AfterHeader: output + " (decoded, new)"}}
		if art.Kind == GenesisBlock && !force {
			res.Diff = nil
			why := fmt.Sprintf("it is not a valid genesis block (%v)", derr)
			if derr == nil {
				why = "it encodes a different configuration: " + strings.Join(Differences(before, after, 12), "; ")
			}
			return res, fmt.Errorf("refusing to overwrite the genesis block %s: %s. Orderers bootstrapped from it would disagree with a new one; set force: true to replace it deliberately", output, why)
		}
	case errors.Is(err, os.ErrNotExist):
		res.Diff = []module.Diff{{Before: "", After: after.Text(), BeforeHeader: output + " (absent)", AfterHeader: output + " (decoded, new)"}}
	default:
		return res, fmt.Errorf("output: %v", err)
	}

	res.Changed = true
	res.Data["sha256"] = checksum(art.Bytes)
	if check {
		res.Msg = fmt.Sprintf("%s would be written to %s", what, output)
		return res, nil
	}
	if err := WriteAtomic(output, art.Bytes, artifactMode); err != nil {
		return res, fmt.Errorf("output: %v", err)
	}
	res.Msg = fmt.Sprintf("%s written to %s", what, output)
	return res, nil
}

func checksum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// WriteAtomic writes data to path through a temporary file in the same
// directory and a rename, so readers see the old file or the new one, never
// a partial one. Missing parent directories are created.
func WriteAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
