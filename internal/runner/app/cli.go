// Package app is fabrun's command line: flags (urfave/cli), the commands
// (deploy, verify, status, teardown, plan, check) and their exit codes.
// runner/main.go only calls Main.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/fabrun/fabrun/internal/report"
)

// Options are the parsed command line.
type Options struct {
	Command    string
	Home       string
	Collection bool
	Inventory  string
	LogDir     string
	ExtraVars  []string
	Limit      string
	Tags       string
	Check      bool
	Verbose    int
	Forks      int
	JSON       bool
	Yes        bool
	DeleteData bool
	NoVerify   bool
	Org        string
	Peer       string
	// bench
	Runs         int
	Throughput   bool
	Duration     time.Duration
	Concurrency  string
	BatchTimeout string
	// migrate, backup, restore
	Abort      bool
	BackupName string
}

// Runner runs a parsed command and returns its exit code.
type Runner func(ctx context.Context, o *Options, io IO) int

// IO is where a command reads and writes.
type IO struct {
	In       io.Reader
	Out, Err io.Writer
}

// exitCode carries a command's exit code through urfave/cli.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit %d", int(e)) }

func commonFlags(o *Options) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "inventory", Aliases: []string{"i"}, Usage: "inventory `PATH` (default: inventory/local of the checkout; required with the installed collection)",
			EnvVars: []string{"FABRUN_INVENTORY"}, Destination: &o.Inventory},
		&cli.StringSliceFlag{Name: "extra-vars", Aliases: []string{"e"}, Usage: "extra variables `k=v`, JSON or @file, as ansible-playbook takes them (repeatable)"},
		&cli.StringFlag{Name: "home", Usage: "the fabrun checkout `DIR` (default: $FABRUN_HOME, the binary's checkout, or the working directory)",
			Destination: &o.Home},
		&cli.BoolFlag{Name: "collection", Usage: "run the installed collection's playbooks (fabrun.fabric.<playbook>) even from a checkout; " +
			"without a checkout this is the default (needs --inventory)", EnvVars: []string{"FABRUN_COLLECTION"}, Destination: &o.Collection},
		&cli.StringFlag{Name: "log-dir", Usage: "write the playbook logs to `DIR` (default: the checkout's build/log, or the user's cache for the installed collection)",
			EnvVars: []string{"FABRUN_LOG_DIR"}, Destination: &o.LogDir},
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "show Ansible's full output; repeat for more (-vvv)", Count: &o.Verbose},
		&cli.BoolFlag{Name: "json", Usage: "print one JSON document at the end (progress goes to stderr)", Destination: &o.JSON},
	}
}

func playFlags(o *Options) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "limit", Aliases: []string{"l"}, Usage: "limit the run to `HOSTS` (an Ansible pattern)", Destination: &o.Limit},
		&cli.StringFlag{Name: "tags", Aliases: []string{"t"}, Usage: "only run tasks tagged `TAGS`", Destination: &o.Tags},
		&cli.IntFlag{Name: "forks", Aliases: []string{"f"}, Usage: "parallel hosts (`N`)", Destination: &o.Forks},
	}
}

func verifyFlags(o *Options) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "org", Usage: "org whose Admin verifies (`GROUP`, name or MSP ID; default: the first org)", Destination: &o.Org},
		&cli.StringFlag{Name: "peer", Usage: "the peer that endorses and is read first (`FQDN`; default: the org's first peer)", Destination: &o.Peer},
	}
}

// NewApp builds the command line; run is called with the parsed options.
func NewApp(o *Options, run Runner, stdio IO, ctx context.Context) *cli.App {
	action := func(name string) cli.ActionFunc {
		return func(c *cli.Context) error {
			if c.NArg() > 0 {
				return fmt.Errorf("fabrun %s takes no arguments, got %q", name, strings.Join(c.Args().Slice(), " "))
			}
			o.Command = name
			if o.Verbose < 0 { // urfave/cli counts an absent flag as -1
				o.Verbose = 0
			}
			o.ExtraVars = c.StringSlice("extra-vars")
			if o.Forks < 0 {
				return fmt.Errorf("--forks must be positive")
			}
			if code := run(ctx, o, stdio); code != 0 {
				return exitCode(code)
			}
			return nil
		}
	}
	flags := func(groups ...[]cli.Flag) []cli.Flag {
		var out []cli.Flag
		for _, g := range groups {
			out = append(out, g...)
		}
		return out
	}
	return &cli.App{
		Name:  "fabrun",
		Usage: "deploy, verify and operate a Hyperledger Fabric network with Kafka ordering",
		Description: "Exit codes: 0 success, 1 usage or internal error, 2 a playbook failed (deploy, teardown, plan),\n" +
			"3 verification failed or status found unhealthy nodes, 4 preflight errors, 5 cancelled, 130 interrupted.",
		Reader:                 stdio.In,
		Writer:                 stdio.Out,
		ErrWriter:              stdio.Err,
		HideHelpCommand:        true,
		UseShortOptionHandling: true,
		// -e '{"k": "a,b"}' is one value, as ansible-playbook takes it.
		DisableSliceFlagSeparator: true,
		ExitErrHandler:            func(*cli.Context, error) {},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return fmt.Errorf("unknown command %q (try fabrun --help)", c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
		Commands: []*cli.Command{
			{
				Name:      "deploy",
				UsageText: "fabrun deploy [options]",
				Usage:     "preflight, run site.yml, then verify the chaincode through the Fabric SDK",
				Flags: flags(commonFlags(o), playFlags(o), verifyFlags(o), []cli.Flag{
					&cli.BoolFlag{Name: "check", Aliases: []string{"C"}, Usage: "check mode: report what would change, do not verify", Destination: &o.Check},
					&cli.BoolFlag{Name: "no-verify", Usage: "skip the verification step", Destination: &o.NoVerify},
				}),
				HideHelpCommand: true,
				Action:          action("deploy"),
			},
			{
				Name:            "verify",
				UsageText:       "fabrun verify [options]",
				Usage:           "query the chaincode, move 10 from a to b, and check two peers agree",
				Flags:           flags(commonFlags(o), verifyFlags(o)),
				HideHelpCommand: true,
				Action:          action("verify"),
			},
			{
				Name:            "status",
				UsageText:       "fabrun status [options]",
				Usage:           "each node's health: ZooKeeper mode, Kafka brokers and topics or Raft leaders, orderer and peer healthz, block heights",
				Flags:           commonFlags(o),
				HideHelpCommand: true,
				Action:          action("status"),
			},
			{
				Name:      "teardown",
				UsageText: "fabrun teardown [options]",
				Usage:     "stop every service (teardown.yml); --delete-data also deletes the data",
				Flags: flags(commonFlags(o), playFlags(o), []cli.Flag{
					&cli.BoolFlag{Name: "delete-data", Usage: "delete ledgers, Kafka and ZooKeeper data and the generated material", Destination: &o.DeleteData},
					&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask before deleting data", Destination: &o.Yes},
				}),
				HideHelpCommand: true,
				Action:          action("teardown"),
			},
			{
				Name:            "plan",
				UsageText:       "fabrun plan [options]",
				Usage:           "what a deploy would change: site.yml in check and diff mode, summarised per host",
				Flags:           flags(commonFlags(o), playFlags(o)),
				HideHelpCommand: true,
				Action:          action("plan"),
			},
			{
				Name:      "bench",
				UsageText: "fabrun bench [options]",
				Usage: "deploy, re-run, tear down, status and verify timed on a network of its own (127.0.199.x, build/bench), " +
					"the modules against the Fabric tools, and invokes per second: one table",
				Flags: flags(commonFlags(o), verifyFlags(o), []cli.Flag{
					&cli.IntFlag{Name: "runs", Aliases: []string{"n"}, Value: 3, Usage: "repeat each measurement `N` times (median and range)", Destination: &o.Runs},
					&cli.BoolFlag{Name: "throughput", Usage: "only load the inventory's deployed network with invokes (deploys nothing)", Destination: &o.Throughput},
					&cli.DurationFlag{Name: "duration", Value: 10 * time.Second, Usage: "how long each concurrency level runs (`D`)", Destination: &o.Duration},
					&cli.StringFlag{Name: "concurrency", Value: "1,4,16", Usage: "clients invoking at once, one run per `N,N,...`", Destination: &o.Concurrency},
					&cli.StringFlag{Name: "batch-timeout", Value: "250ms", Usage: "the BatchTimeout (`D`) of the second throughput network (the first has the default)",
						Destination: &o.BatchTimeout},
				}),
				HideHelpCommand: true,
				Action:          action("bench"),
			},
			{
				Name:      "migrate",
				UsageText: "fabrun migrate [options]",
				Usage:     "move the ordering service from Kafka to Raft on every channel (migrate_raft.yml), then off the system channel (remove_system_channel.yml); re-run to resume",
				Flags: flags(commonFlags(o), []cli.Flag{
					&cli.BoolFlag{Name: "check", Aliases: []string{"C"}, Usage: "check mode: report what would change", Destination: &o.Check},
					&cli.BoolFlag{Name: "abort", Usage: "before the channels left maintenance: restore the migration's backup, back to Kafka in normal state", Destination: &o.Abort},
					&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask before --abort restores the backup", Destination: &o.Yes},
				}),
				HideHelpCommand: true,
				Action:          action("migrate"),
			},
			{
				Name:      "backup",
				UsageText: "fabrun backup [options]",
				Usage:     "stop the orderers, Kafka and ZooKeeper, archive their data on each host, start them again (backup.yml)",
				Flags: flags(commonFlags(o), []cli.Flag{
					&cli.StringFlag{Name: "name", Value: "ordering", Usage: "archive `NAME` (fabrun_home/backup/NAME.tar.gz on each host)", Destination: &o.BackupName},
				}),
				HideHelpCommand: true,
				Action:          action("backup"),
			},
			{
				Name:      "restore",
				UsageText: "fabrun restore [options]",
				Usage:     "stop the orderers, Kafka and ZooKeeper, put back a backup's data, start them again (restore.yml)",
				Flags: flags(commonFlags(o), []cli.Flag{
					&cli.StringFlag{Name: "name", Value: "ordering", Usage: "archive `NAME` to restore", Destination: &o.BackupName},
					&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask before replacing the data", Destination: &o.Yes},
				}),
				HideHelpCommand: true,
				Action:          action("restore"),
			},
			{
				Name:            "check",
				UsageText:       "fabrun check [options]",
				Usage:           "preflight alone: inventory, built files, Kafka and ZooKeeper settings (contacts no host)",
				Flags:           commonFlags(o),
				HideHelpCommand: true,
				Action:          action("check"),
			},
		},
	}
}

// Parse runs the command line with run and returns the exit code: the
// command's, or ExitUsage for a bad command line.
func Parse(ctx context.Context, args []string, run Runner, stdio IO) int {
	o := &Options{}
	app := NewApp(o, run, stdio, ctx)
	err := app.Run(args)
	var code exitCode
	switch {
	case err == nil:
		return report.ExitOK
	case errors.As(err, &code):
		return int(code)
	default:
		fmt.Fprintf(stdio.Err, "fabrun: %v\n", err)
		return report.ExitUsage
	}
}

// Main is fabrun's main: it parses os.Args and runs the command with
// Ctrl-C cancelling it.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Parse(ctx, os.Args, Run, IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
}
