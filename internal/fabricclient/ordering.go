package fabricclient

// Ordering failover. A client knows every orderer of the network; whatever
// it sends to the ordering service (broadcast: transactions, channel
// creation and updates; deliver: block fetches) goes to one orderer at a
// time, the last one that worked first and the others in the configured
// order after it, until one answers. Every orderer serves the same channels
// (Kafka orders for all of them), so any one of them will do. When all
// fail, the error names each orderer and its reason.

import (
	reqContext "context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hyperledger/fabric-protos-go/common"
	"github.com/hyperledger/fabric-sdk-go/pkg/common/errors/multi"
	"github.com/hyperledger/fabric-sdk-go/pkg/common/providers/fab"
)

// OrdererFailure is one orderer's reason for not serving a request.
type OrdererFailure struct {
	Address string
	Err     error
}

// OrderingError says that no orderer served a request: each one tried,
// with its reason, in the order they were tried.
type OrderingError struct {
	Failures []OrdererFailure
}

func (e *OrderingError) Error() string {
	if len(e.Failures) == 1 {
		f := e.Failures[0]
		return fmt.Sprintf("orderer %s: %s", f.Address, ShortError(f.Err))
	}
	parts := make([]string, len(e.Failures))
	for i, f := range e.Failures {
		parts[i] = fmt.Sprintf("%s: %s", f.Address, ShortError(f.Err))
	}
	return fmt.Sprintf("all %d orderers failed: %s", len(e.Failures), strings.Join(parts, "; "))
}

// Unwrap gives errors.Is and errors.As every orderer's error.
func (e *OrderingError) Unwrap() []error {
	out := make([]error, len(e.Failures))
	for i, f := range e.Failures {
		out[i] = f.Err
	}
	return out
}

// finalAnswer says an orderer's refusal would be the same from every
// orderer (the request itself is wrong or not allowed), so trying the
// next one only repeats it.
func finalAnswer(err error) bool {
	st, ok := OrdererStatus(err)
	if !ok {
		return false
	}
	switch st {
	case common.Status_BAD_REQUEST, common.Status_FORBIDDEN, common.Status_REQUEST_ENTITY_TOO_LARGE:
		return true
	case common.Status_SERVICE_UNAVAILABLE:
		// A channel in maintenance mode (a consensus-type migration) refuses
		// normal transactions on every orderer until an administrator ends
		// it: waiting out unavailableRetry would only delay the refusal.
		return strings.Contains(err.Error(), "maintenance mode")
	}
	return false
}

// failover remembers which orderer worked last; a Client's requests share it.
type failover struct {
	addresses []string
	mu        sync.Mutex
	preferred int
}

// order is the sequence of orderer indexes to try: the preferred one,
// then the others in configured order.
func (f *failover) order() []int {
	f.mu.Lock()
	p := f.preferred
	f.mu.Unlock()
	out := make([]int, 0, len(f.addresses))
	if p >= 0 && p < len(f.addresses) {
		out = append(out, p)
	}
	for i := range f.addresses {
		if i != p {
			out = append(out, i)
		}
	}
	return out
}

// unavailableRetry bounds how long a round in which every orderer answered
// SERVICE_UNAVAILABLE is tried again, and the pause between rounds: right
// after a restart a Raft channel is electing a leader (ElectionTick x
// TickInterval, 5 s by default; a second election can follow the first) and
// a Kafka chain is connecting, and both answer so for that moment.
var unavailableRetry = struct{ window, pause time.Duration }{10 * time.Second, 500 * time.Millisecond}

// try calls attempt for one orderer after the other until one succeeds or
// gives a final answer. It returns nil, that final answer, or an
// *OrderingError with every orderer's reason. Each attempt's context ends
// at its share of ctx's time left: what remains divided by the orderers not
// yet tried. When every orderer answered SERVICE_UNAVAILABLE, the round is
// tried again for a while (unavailableRetry).
func (f *failover) try(ctx reqContext.Context, attempt func(ctx reqContext.Context, i int) error) error {
	if len(f.addresses) == 0 {
		return fmt.Errorf("no orderer configured (option orderers)")
	}
	start := time.Now()
	for {
		err := f.round(ctx, attempt)
		oe, ok := err.(*OrderingError)
		if !ok || !oe.allUnavailable() || time.Since(start)+unavailableRetry.pause > unavailableRetry.window {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(unavailableRetry.pause):
		}
	}
}

// round tries every orderer once (see try).
func (f *failover) round(ctx reqContext.Context, attempt func(ctx reqContext.Context, i int) error) error {
	var failed OrderingError
	order := f.order()
	for k, i := range order {
		actx, cancel := share(ctx, len(order)-k)
		err := attempt(actx, i)
		cancel()
		if err == nil {
			f.mu.Lock()
			f.preferred = i
			f.mu.Unlock()
			return nil
		}
		if finalAnswer(err) {
			return err
		}
		failed.Failures = append(failed.Failures, OrdererFailure{Address: f.addresses[i], Err: err})
	}
	return &failed
}

// allUnavailable says every orderer answered SERVICE_UNAVAILABLE.
func (e *OrderingError) allUnavailable() bool {
	for _, f := range e.Failures {
		if st, ok := OrdererStatus(f.Err); !ok || st != common.Status_SERVICE_UNAVAILABLE {
			return false
		}
	}
	return len(e.Failures) > 0
}

// share is ctx limited to 1/left of its time left; the last attempt
// (left 1), or a ctx without a deadline, keeps all of it.
func share(ctx reqContext.Context, left int) (reqContext.Context, reqContext.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok || left <= 1 {
		return reqContext.WithCancel(ctx)
	}
	return reqContext.WithTimeout(ctx, time.Until(deadline)/time.Duration(left))
}

// failoverOrderer is a fab.Orderer that sends to the first orderer of a
// failover that serves the request.
type failoverOrderer struct {
	f       *failover
	targets []fab.Orderer
}

func (o *failoverOrderer) URL() string { return strings.Join(o.f.addresses, ",") }

func (o *failoverOrderer) SendBroadcast(ctx reqContext.Context, envelope *fab.SignedEnvelope) (*common.Status, error) {
	var st *common.Status
	err := o.f.try(ctx, func(ctx reqContext.Context, i int) error {
		s, err := o.targets[i].SendBroadcast(ctx, envelope)
		st = s
		return err
	})
	return st, err
}

// SendDeliver forwards the blocks of the first orderer that delivers any;
// an orderer that fails before its first block is replaced by the next.
func (o *failoverOrderer) SendDeliver(ctx reqContext.Context, envelope *fab.SignedEnvelope) (chan *common.Block, chan error) {
	blocks := make(chan *common.Block)
	errs := make(chan error, 1)
	go func() {
		defer close(blocks)
		var delivered []error // errors after blocks came: the caller sees them
		err := o.f.try(ctx, func(ctx reqContext.Context, i int) error {
			in, inErrs := o.targets[i].SendDeliver(ctx, envelope)
			got := false
			var failures []error
			for in != nil {
				select {
				case b, ok := <-in:
					if !ok {
						in = nil
						continue
					}
					got = true
					blocks <- b
				case e := <-inErrs:
					failures = append(failures, e)
				}
			}
			for len(inErrs) > 0 {
				failures = append(failures, <-inErrs)
			}
			if got || len(failures) == 0 {
				delivered = failures
				return nil
			}
			if len(failures) == 1 {
				return failures[0]
			}
			return multi.Errors(failures)
		})
		switch {
		case err != nil:
			errs <- err
		case len(delivered) > 0:
			errs <- delivered[0]
		}
	}()
	return blocks, errs
}

// OrderersText names the client's orderers for messages: "orderer a:7050"
// or "orderers a:7050, b:7050".
func (c *Client) OrderersText() string {
	addrs := make([]string, len(c.Cfg.Orderers))
	for i, o := range c.Cfg.Orderers {
		addrs[i] = o.Address
	}
	if len(addrs) == 1 {
		return "orderer " + addrs[0]
	}
	return "orderers " + strings.Join(addrs, ", ")
}
