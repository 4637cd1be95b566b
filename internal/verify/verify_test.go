package verify

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeLedger is a chaincode_example02 world state replicated to peers; a
// peer listed in lag shows a commit only after that many reads.
type fakeLedger struct {
	state     map[string]map[string]int // peer -> account -> value
	primary   string
	lag       map[string]int
	pending   map[string]map[string]int
	invokeErr error
	queryErr  error
	corrupt   bool // the primary commits a wrong value
	invokes   int
}

func newFake(a, b int, peers ...string) *fakeLedger {
	f := &fakeLedger{state: map[string]map[string]int{}, primary: peers[0], lag: map[string]int{}, pending: map[string]map[string]int{}}
	for _, p := range peers {
		f.state[p] = map[string]int{"a": a, "b": b}
	}
	return f
}

func (f *fakeLedger) Query(_ context.Context, peer, fcn string, args ...string) ([]byte, error) {
	if f.queryErr != nil {
		return nil, f.queryErr
	}
	if fcn != "query" || len(args) != 1 {
		return nil, fmt.Errorf("bad query %s %v", fcn, args)
	}
	if p, ok := f.pending[peer]; ok {
		if f.lag[peer] <= 0 {
			f.state[peer] = p
			delete(f.pending, peer)
		} else {
			f.lag[peer]--
		}
	}
	s, ok := f.state[peer]
	if !ok {
		return nil, fmt.Errorf("no peer %s", peer)
	}
	v, ok := s[args[0]]
	if !ok {
		return nil, errors.New("Entity not found")
	}
	return []byte(strconv.Itoa(v)), nil
}

func (f *fakeLedger) Invoke(_ context.Context, fcn string, args ...string) (string, error) {
	f.invokes++
	if f.invokeErr != nil {
		return "", f.invokeErr
	}
	n, _ := strconv.Atoi(args[2])
	for peer, s := range f.state {
		next := map[string]int{args[0]: s[args[0]] - n, args[1]: s[args[1]] + n}
		if f.corrupt && peer == f.primary {
			next[args[1]]++
		}
		if peer == f.primary || f.lag[peer] == 0 {
			f.state[peer] = next
		} else {
			f.pending[peer] = next
		}
	}
	return "tx1", nil
}

func opts() Options {
	o := Defaults()
	o.Peers = []string{"p0", "p1"}
	o.Settle = 2 * time.Second
	o.Poll = time.Millisecond
	return o
}

func TestRun(t *testing.T) {
	tests := []struct {
		name       string
		ledger     func() *fakeLedger
		wantMode   string
		wantOK     bool
		wantErr    string
		wantFailed []string
		wantAfter  []Balances
	}{
		{name: "fresh network", ledger: func() *fakeLedger { return newFake(100, 200, "p0", "p1") },
			wantMode: "fresh", wantOK: true,
			wantAfter: []Balances{{"p0", 90, 210}, {"p1", 90, 210}}},
		{name: "fresh, second peer commits later", ledger: func() *fakeLedger {
			f := newFake(100, 200, "p0", "p1")
			f.lag["p1"] = 3
			return f
		}, wantMode: "fresh", wantOK: true, wantAfter: []Balances{{"p0", 90, 210}, {"p1", 90, 210}}},
		{name: "repeat", ledger: func() *fakeLedger { return newFake(90, 210, "p0", "p1") },
			wantMode: "repeat", wantOK: true, wantAfter: []Balances{{"p0", 80, 220}, {"p1", 80, 220}}},
		{name: "repeat, second peer never catches up", ledger: func() *fakeLedger {
			f := newFake(50, 250, "p0", "p1")
			f.lag["p1"] = 1 << 30
			return f
		}, wantMode: "repeat", wantOK: false, wantFailed: []string{"p1 agrees"},
			wantAfter: []Balances{{"p0", 40, 260}, {"p1", 50, 250}}},
		{name: "fresh, wrong value committed", ledger: func() *fakeLedger {
			f := newFake(100, 200, "p0", "p1")
			f.corrupt = true
			return f
		}, wantMode: "fresh", wantOK: false, wantFailed: []string{"b = 210 on p0"}},
		{name: "repeat, wrong value committed", ledger: func() *fakeLedger {
			f := newFake(70, 230, "p0", "p1")
			f.corrupt = true
			return f
		}, wantMode: "repeat", wantOK: false, wantFailed: []string{"b increased by 10", "a + b constant", "p1 agrees"}},
		{name: "query fails", ledger: func() *fakeLedger {
			f := newFake(100, 200, "p0", "p1")
			f.queryErr = errors.New("chaincode mycc not found")
			return f
		}, wantErr: "query a on p0: chaincode mycc not found"},
		{name: "invoke fails", ledger: func() *fakeLedger {
			f := newFake(100, 200, "p0", "p1")
			f.invokeErr = errors.New("endorsement failure")
			return f
		}, wantMode: "fresh", wantErr: "invoke a b 10 on p0: endorsement failure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Run(context.Background(), tt.ledger(), opts())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || out.Error != err.Error() || out.OK {
					t.Fatalf("err = %v, outcome %+v; want %q", err, out, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out.Mode != tt.wantMode || out.OK != tt.wantOK {
				t.Errorf("mode %s ok %v, want %s %v: %+v", out.Mode, out.OK, tt.wantMode, tt.wantOK, out.Checks)
			}
			var failed []string
			for _, c := range out.Failed() {
				failed = append(failed, c.Name)
			}
			if strings.Join(failed, "|") != strings.Join(tt.wantFailed, "|") {
				t.Errorf("failed checks = %v, want %v", failed, tt.wantFailed)
			}
			if tt.wantAfter != nil && fmt.Sprint(out.After) != fmt.Sprint(tt.wantAfter) {
				t.Errorf("after = %v, want %v", out.After, tt.wantAfter)
			}
			if out.TxID != "tx1" {
				t.Errorf("tx id = %q", out.TxID)
			}
		})
	}
}

func TestRunNotAnInteger(t *testing.T) {
	f := newFake(100, 200, "p0")
	l := ledgerFunc{query: func(peer, fcn string, args ...string) ([]byte, error) { return []byte("oops"), nil }, inner: f}
	_, err := Run(context.Background(), l, Options{Peers: []string{"p0"}, From: "a", To: "b", Amount: 10})
	if err == nil || !strings.Contains(err.Error(), `answered "oops", not an integer`) {
		t.Errorf("err = %v", err)
	}
}

type ledgerFunc struct {
	query func(peer, fcn string, args ...string) ([]byte, error)
	inner Ledger
}

func (l ledgerFunc) Query(_ context.Context, peer, fcn string, args ...string) ([]byte, error) {
	return l.query(peer, fcn, args...)
}
func (l ledgerFunc) Invoke(ctx context.Context, fcn string, args ...string) (string, error) {
	return l.inner.Invoke(ctx, fcn, args...)
}
