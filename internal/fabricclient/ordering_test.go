package fabricclient

import (
	reqContext "context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go/common"
	"github.com/hyperledger/fabric-sdk-go/pkg/common/errors/status"
	"github.com/hyperledger/fabric-sdk-go/pkg/common/providers/fab"
)

var (
	refused     = status.New(status.OrdererClientStatus, status.ConnectionFailed.ToInt32(), "dial tcp 127.0.0.1:7050: connection refused", nil)
	unavailable = status.New(status.OrdererServerStatus, int32(common.Status_SERVICE_UNAVAILABLE), "chain is not ready", nil)
	badRequest  = status.New(status.OrdererServerStatus, int32(common.Status_BAD_REQUEST), "bad config update", nil)
	notFound    = status.New(status.OrdererServerStatus, int32(common.Status_NOT_FOUND), "no such channel", nil)
	maintenance = status.New(status.OrdererServerStatus, int32(common.Status_SERVICE_UNAVAILABLE), "normal transactions are rejected: maintenance mode", nil)
)

func TestFailoverTry(t *testing.T) {
	addrs := []string{"o0:7050", "o1:7050", "o2:7050"}
	tests := []struct {
		name      string
		preferred int
		results   map[int]error // missing: success
		wantTried []int
		wantPref  int      // preferred afterwards
		wantErr   []string // substrings of the error; nil: success
		final     bool     // the error is the orderer's own final answer
	}{
		{"first works", 0, nil, []int{0}, 0, nil, false},
		{"first down, second works", 0, map[int]error{0: refused}, []int{0, 1}, 1, nil, false},
		{"remembers the last that worked", 1, map[int]error{}, []int{1}, 1, nil, false},
		{"preferred down: back to configured order", 1, map[int]error{1: refused}, []int{1, 0}, 0, nil, false},
		{"only the last works", 0, map[int]error{0: refused, 1: unavailable}, []int{0, 1, 2}, 2, nil, false},
		{"all fail: each address and reason", 0, map[int]error{0: refused, 1: unavailable, 2: refused}, []int{0, 1, 2}, 0,
			[]string{"all 3 orderers failed", "o0:7050: ", "connection refused", "o1:7050: ", "SERVICE_UNAVAILABLE", "o2:7050: "}, false},
		{"bad request is final", 0, map[int]error{0: badRequest}, []int{0}, 0, []string{"bad config update"}, true},
		{"maintenance mode is final", 0, map[int]error{0: maintenance}, []int{0}, 0, []string{"maintenance mode"}, true},
		{"not found fails over", 0, map[int]error{0: notFound}, []int{0, 1}, 1, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &failover{addresses: addrs, preferred: tt.preferred}
			var tried []int
			err := f.try(reqContext.Background(), func(_ reqContext.Context, i int) error {
				tried = append(tried, i)
				if e, ok := tt.results[i]; ok {
					return e
				}
				return nil
			})
			if fmt.Sprint(tried) != fmt.Sprint(tt.wantTried) {
				t.Errorf("tried %v, want %v", tried, tt.wantTried)
			}
			if f.preferred != tt.wantPref {
				t.Errorf("preferred %d, want %d", f.preferred, tt.wantPref)
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			var oe *OrderingError
			if errors.As(err, &oe) == tt.final {
				t.Errorf("final answer %v, but error type %T", tt.final, err)
			}
		})
	}
}

// A channel electing a leader: every orderer unavailable for two rounds,
// then one serves. Unavailable for good: tried again until the window
// ends, then each reason.
func TestFailoverTryWaitsOutAnElection(t *testing.T) {
	defer func(w, p time.Duration) { unavailableRetry.window, unavailableRetry.pause = w, p }(unavailableRetry.window, unavailableRetry.pause)
	unavailableRetry.window, unavailableRetry.pause = 250*time.Millisecond, 100*time.Millisecond
	f := &failover{addresses: []string{"o0:7050", "o1:7050"}}
	calls := 0
	err := f.try(reqContext.Background(), func(_ reqContext.Context, i int) error {
		calls++
		if calls <= 4 {
			return unavailable
		}
		return nil
	})
	if err != nil || calls != 5 {
		t.Errorf("err = %v after %d attempts, want success on the fifth", err, calls)
	}

	calls = 0
	start := time.Now()
	err = f.try(reqContext.Background(), func(_ reqContext.Context, i int) error {
		calls++
		return unavailable
	})
	if err == nil || !strings.Contains(err.Error(), "all 2 orderers failed") || calls != 6 || time.Since(start) > time.Second {
		t.Errorf("err = %v after %d attempts in %s, want each reason after three rounds", err, calls, time.Since(start))
	}
	// Mixed reasons are not an election: one round.
	calls = 0
	f.try(reqContext.Background(), func(_ reqContext.Context, i int) error {
		calls++
		if i == 0 {
			return refused
		}
		return unavailable
	})
	if calls != 2 {
		t.Errorf("mixed reasons: %d attempts, want 2", calls)
	}
}

func TestOrderingErrorStatusAndReachability(t *testing.T) {
	tests := []struct {
		name        string
		errs        []error
		status      common.Status
		hasStatus   bool
		unreachable bool
	}{
		{"all refused", []error{refused, refused}, 0, false, true},
		{"one unavailable", []error{refused, unavailable}, common.Status_SERVICE_UNAVAILABLE, true, false},
		{"not found behind a down one", []error{refused, notFound}, common.Status_NOT_FOUND, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			oe := &OrderingError{}
			for i, e := range tt.errs {
				oe.Failures = append(oe.Failures, OrdererFailure{Address: fmt.Sprintf("o%d:7050", i), Err: e})
			}
			// The SDK wraps what an orderer returns.
			wrapped := fmt.Errorf("calling orderer failed: %w", oe)
			st, ok := OrdererStatus(wrapped)
			if ok != tt.hasStatus || st != tt.status {
				t.Errorf("OrdererStatus = %v, %v; want %v, %v", st, ok, tt.status, tt.hasStatus)
			}
			if got := Unreachable(wrapped); got != tt.unreachable {
				t.Errorf("Unreachable = %v, want %v", got, tt.unreachable)
			}
		})
	}
}

// fakeOrderer answers broadcasts with err, and deliveries with blocks
// then err.
type fakeOrderer struct {
	url    string
	err    error
	blocks int
	calls  int
	hang   bool // broadcasts wait for the context to end
}

func (o *fakeOrderer) URL() string { return o.url }

func (o *fakeOrderer) SendBroadcast(ctx reqContext.Context, _ *fab.SignedEnvelope) (*common.Status, error) {
	o.calls++
	if o.hang {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if o.err != nil {
		return nil, o.err
	}
	s := common.Status_SUCCESS
	return &s, nil
}

func (o *fakeOrderer) SendDeliver(reqContext.Context, *fab.SignedEnvelope) (chan *common.Block, chan error) {
	o.calls++
	blocks := make(chan *common.Block)
	errs := make(chan error, 1)
	go func() {
		defer close(blocks)
		for i := 0; i < o.blocks; i++ {
			blocks <- &common.Block{Header: &common.BlockHeader{Number: uint64(i)}}
		}
		if o.err != nil {
			errs <- o.err
		}
	}()
	return blocks, errs
}

// drain reads a delivery the way the SDK's txn.SendPayload does.
func drain(blocks chan *common.Block, errs chan error) (n int, err error) {
	for {
		select {
		case _, ok := <-blocks:
			if !ok {
				if len(errs) > 0 {
					err = <-errs
				}
				return n, err
			}
			n++
		case e := <-errs:
			err = e
		}
	}
}

func TestFailoverOrderer(t *testing.T) {
	tests := []struct {
		name       string
		orderers   []*fakeOrderer
		wantBlocks int
		wantCalls  []int
		wantErr    string
	}{
		{"first serves", []*fakeOrderer{{url: "o0", blocks: 1}, {url: "o1", blocks: 1}}, 1, []int{1, 0}, ""},
		{"first down", []*fakeOrderer{{url: "o0", err: refused}, {url: "o1", blocks: 1}}, 1, []int{1, 1}, ""},
		{"first not ready", []*fakeOrderer{{url: "o0", err: unavailable}, {url: "o1", blocks: 1}}, 1, []int{1, 1}, ""},
		{"both down", []*fakeOrderer{{url: "o0", err: refused}, {url: "o1", err: unavailable}}, 0, []int{1, 1},
			"all 2 orderers failed: o0: "},
		{"final answer", []*fakeOrderer{{url: "o0", err: badRequest}, {url: "o1", blocks: 1}}, 0, []int{1, 0}, "bad config update"},
	}
	for _, tt := range tests {
		for _, mode := range []string{"broadcast", "deliver"} {
			t.Run(tt.name+"/"+mode, func(t *testing.T) {
				o := &failoverOrderer{f: &failover{}}
				for _, fo := range tt.orderers {
					fo.calls = 0
					o.f.addresses = append(o.f.addresses, fo.url)
					o.targets = append(o.targets, fo)
				}
				var err error
				if mode == "broadcast" {
					_, err = o.SendBroadcast(reqContext.Background(), nil)
				} else {
					var n int
					n, err = drain(o.SendDeliver(reqContext.Background(), nil))
					if n != tt.wantBlocks {
						t.Errorf("%d blocks, want %d", n, tt.wantBlocks)
					}
				}
				for i, fo := range tt.orderers {
					if fo.calls != tt.wantCalls[i] {
						t.Errorf("%s called %d times, want %d", fo.url, fo.calls, tt.wantCalls[i])
					}
				}
				if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
			})
		}
	}
}

func TestOrdererEndpoints(t *testing.T) {
	tests := []struct {
		name    string
		args    CommonArgs
		want    []string
		wantErr string
	}{
		{"single orderer", CommonArgs{Orderer: "o0:7050"}, []string{"o0:7050"}, ""},
		{"orderers in order", CommonArgs{Orderers: []string{"o1:7050", "o0:7050"}}, []string{"o1:7050", "o0:7050"}, ""},
		{"none", CommonArgs{}, nil, "orderers is required"},
		{"twice", CommonArgs{Orderers: []string{"o0:7050", "o0:7050"}}, nil, "lists o0:7050 twice"},
		{"one hostname for several", CommonArgs{Orderers: []string{"o0:7050", "o1:7050"}, OrdererTLSHostname: "o0"}, nil, "orderer_tls_hostname names one certificate"},
		{"hostname for one", CommonArgs{Orderers: []string{"10.0.0.1:7050"}, OrdererTLSHostname: "o0"}, []string{"10.0.0.1:7050"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.args.OrdererEndpoints()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var addrs []string
			for _, e := range got {
				addrs = append(addrs, e.Address)
				if e.TLSHostname != tt.args.OrdererTLSHostname {
					t.Errorf("TLS hostname %q", e.TLSHostname)
				}
			}
			if strings.Join(addrs, ",") != strings.Join(tt.want, ",") {
				t.Errorf("got %v, want %v", addrs, tt.want)
			}
		})
	}
}

// An orderer that hangs until the request's deadline must leave the next
// ones time to answer: each gets its share of the time left.
func TestFailoverShareOfDeadline(t *testing.T) {
	tests := []struct {
		name    string
		hang    []bool
		wantErr bool
	}{
		{"first hangs, second answers", []bool{true, false, false}, false},
		{"two hang, the last answers", []bool{true, true, false}, false},
		{"all hang", []bool{true, true, true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := &failoverOrderer{f: &failover{}}
			fakes := make([]*fakeOrderer, len(tt.hang))
			for i, h := range tt.hang {
				fakes[i] = &fakeOrderer{url: fmt.Sprintf("o%d:7050", i), hang: h}
				o.f.addresses = append(o.f.addresses, fakes[i].url)
				o.targets = append(o.targets, fakes[i])
			}
			ctx, cancel := reqContext.WithTimeout(reqContext.Background(), 600*time.Millisecond)
			defer cancel()
			_, err := o.SendBroadcast(ctx, &fab.SignedEnvelope{})
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			answered := false // each orderer is tried once, until one answers
			for i, f := range fakes {
				if want := map[bool]int{false: 1, true: 0}[answered]; f.calls != want {
					t.Errorf("orderer %d called %d times, want %d", i, f.calls, want)
				}
				answered = answered || !f.hang
			}
		})
	}
}
