// Package verify proves a deployed network works the way the guide shows it:
// query the two-account chaincode, move 10 from a to b, and read the result
// on two peers of org1. It talks to the network through the Ledger
// interface; sdk.go implements it with the Fabric SDK (internal/fabricclient).
package verify

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Ledger is what verification needs from the network.
type Ledger interface {
	// Query evaluates the chaincode on one peer (by FQDN) and returns its payload.
	Query(ctx context.Context, peer, fcn string, args ...string) ([]byte, error)
	// Invoke endorses on the primary peer, orders, and waits until the
	// primary peer has committed the transaction. It returns the tx ID.
	Invoke(ctx context.Context, fcn string, args ...string) (string, error)
}

// Options say what to check.
type Options struct {
	Chaincode string
	Version   string
	// Channel is for the report only.
	Channel string
	// Peers are the peers to read from (FQDNs); Peers[0] is the primary one
	// (it endorses the move and is read first). The guide: peer0.org1, peer1.org1.
	Peers []string
	// From and To are the accounts, Amount what is moved (a, b, 10).
	From, To string
	Amount   int
	// InitFrom and InitTo are the values instantiate set (100, 200): reading
	// them first means a fresh network.
	InitFrom, InitTo int
	// Settle is how long a non-primary peer may take to show the committed
	// values (it commits the same block a little later).
	Settle time.Duration
	// Poll is the interval between reads while settling.
	Poll time.Duration
}

// Defaults are the guide's values.
func Defaults() Options {
	return Options{
		Chaincode: "mycc", Version: "1.0", Channel: "mychannel",
		Peers: []string{"peer0.org1.example.com", "peer1.org1.example.com"},
		From:  "a", To: "b", Amount: 10, InitFrom: 100, InitTo: 200,
		Settle: 60 * time.Second, Poll: 500 * time.Millisecond,
	}
}

// Balances are the two accounts' values on one peer.
type Balances struct {
	Peer string `json:"peer"`
	From int    `json:"a"`
	To   int    `json:"b"`
}

// Check is one assertion.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

// Outcome is what verification found.
type Outcome struct {
	// Mode is "fresh" (the instantiate values were read first) or "repeat".
	Mode      string     `json:"mode"`
	Channel   string     `json:"channel"`
	Chaincode string     `json:"chaincode"`
	Version   string     `json:"version"`
	Before    Balances   `json:"before"`
	TxID      string     `json:"tx_id,omitempty"`
	After     []Balances `json:"after"`
	Checks    []Check    `json:"checks"`
	OK        bool       `json:"ok"`
	Duration  float64    `json:"seconds"`
	Error     string     `json:"error,omitempty"`
}

// Failed lists the checks that did not pass.
func (o *Outcome) Failed() []Check {
	return slices.DeleteFunc(slices.Clone(o.Checks), func(c Check) bool { return c.OK })
}

func (o *Outcome) check(name string, ok bool, detail string, args ...any) {
	o.Checks = append(o.Checks, Check{Name: name, OK: ok, Detail: fmt.Sprintf(detail, args...)})
}

// Run verifies. It returns an Outcome in every case; OK says whether every
// check passed. The error is set (and also recorded in Outcome.Error) when
// the network could not be read or written at all.
func Run(ctx context.Context, l Ledger, o Options) (*Outcome, error) {
	start := time.Now()
	out := &Outcome{Channel: o.Channel, Chaincode: o.Chaincode, Version: o.Version}
	fail := func(err error) (*Outcome, error) {
		out.Error = err.Error()
		out.OK = false
		out.Duration = time.Since(start).Seconds()
		return out, err
	}
	if len(o.Peers) == 0 {
		return fail(fmt.Errorf("no peer to verify on"))
	}
	if o.Poll <= 0 {
		o.Poll = 500 * time.Millisecond
	}
	primary := o.Peers[0]

	before, err := readBalances(ctx, l, primary, o)
	if err != nil {
		return fail(err)
	}
	out.Before = before
	if before.From == o.InitFrom && before.To == o.InitTo {
		out.Mode = "fresh"
	} else {
		out.Mode = "repeat"
	}

	txID, err := l.Invoke(ctx, "invoke", o.From, o.To, strconv.Itoa(o.Amount))
	if err != nil {
		return fail(fmt.Errorf("invoke %s %s %d on %s: %w", o.From, o.To, o.Amount, primary, err))
	}
	out.TxID = txID

	want := Balances{From: before.From - o.Amount, To: before.To + o.Amount}
	for i, peer := range o.Peers {
		settle := time.Duration(0)
		if i > 0 {
			settle = o.Settle
		}
		got, err := waitBalances(ctx, l, peer, o, want, settle)
		if err != nil {
			return fail(err)
		}
		out.After = append(out.After, got)
	}

	after := out.After[0]
	if out.Mode == "fresh" {
		out.check(fmt.Sprintf("%s = %d before the move", o.From, o.InitFrom), true, "read %d on %s", before.From, primary)
		out.check(fmt.Sprintf("%s = %d before the move", o.To, o.InitTo), true, "read %d on %s", before.To, primary)
		for _, b := range out.After {
			out.check(fmt.Sprintf("%s = %d on %s", o.To, o.InitTo+o.Amount, b.Peer), b.To == o.InitTo+o.Amount,
				"read %s = %d", o.To, b.To)
		}
		out.check(fmt.Sprintf("%s = %d on %s", o.From, o.InitFrom-o.Amount, primary), after.From == o.InitFrom-o.Amount,
			"read %s = %d", o.From, after.From)
	} else {
		out.check(fmt.Sprintf("%s decreased by %d", o.From, o.Amount), after.From == before.From-o.Amount,
			"%d -> %d on %s", before.From, after.From, primary)
		out.check(fmt.Sprintf("%s increased by %d", o.To, o.Amount), after.To == before.To+o.Amount,
			"%d -> %d on %s", before.To, after.To, primary)
		out.check(fmt.Sprintf("%s + %s constant", o.From, o.To), after.From+after.To == before.From+before.To,
			"%d before, %d after", before.From+before.To, after.From+after.To)
		for _, b := range out.After[1:] {
			out.check(fmt.Sprintf("%s agrees", b.Peer), b == (Balances{Peer: b.Peer, From: after.From, To: after.To}),
				"%s = %d, %s = %d", o.From, b.From, o.To, b.To)
		}
	}
	out.OK = len(out.Failed()) == 0
	out.Duration = time.Since(start).Seconds()
	return out, nil
}

func readBalances(ctx context.Context, l Ledger, peer string, o Options) (Balances, error) {
	from, err := queryInt(ctx, l, peer, o.From)
	if err != nil {
		return Balances{}, err
	}
	to, err := queryInt(ctx, l, peer, o.To)
	if err != nil {
		return Balances{}, err
	}
	return Balances{Peer: peer, From: from, To: to}, nil
}

// waitBalances reads until the peer shows want, or settle has passed; then
// it returns what it read last.
func waitBalances(ctx context.Context, l Ledger, peer string, o Options, want Balances, settle time.Duration) (Balances, error) {
	deadline := time.Now().Add(settle)
	for {
		got, err := readBalances(ctx, l, peer, o)
		if err == nil && got.From == want.From && got.To == want.To {
			return got, nil
		}
		if time.Now().After(deadline) {
			return got, err
		}
		select {
		case <-ctx.Done():
			return got, ctx.Err()
		case <-time.After(o.Poll):
		}
	}
}

func queryInt(ctx context.Context, l Ledger, peer, account string) (int, error) {
	b, err := l.Query(ctx, peer, "query", account)
	if err != nil {
		return 0, fmt.Errorf("query %s on %s: %w", account, peer, err)
	}
	s := strings.TrimSpace(string(b))
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("query %s on %s: the chaincode answered %q, not an integer", account, peer, s)
	}
	return n, nil
}
