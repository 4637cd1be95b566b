package bench

import (
	"context"
	"sync"
	"time"
)

// Outcome is how one operation of a load run ended.
type Outcome int

const (
	// Valid: committed and valid.
	Valid Outcome = iota
	// Rejected: ordered and committed, but marked invalid (for the
	// two-account chaincode, an MVCC read conflict with another invoke of the
	// same block: they all read and write a and b).
	Rejected
	// Failed: it never committed (endorsement, ordering or timeout error).
	Failed
)

// Op is one operation of a load run, e.g. an invoke that waits for its
// commit.
type Op func(ctx context.Context) (Outcome, error)

// LoadResult is one load run: concurrency clients calling an Op back to
// back for a while.
type LoadResult struct {
	Concurrency int
	// Elapsed runs from the start until the last operation ended (those
	// started before the deadline finish).
	Elapsed                 time.Duration
	Valid, Rejected, Failed int
	// Latencies are the seconds each committed (valid or rejected)
	// operation took.
	Latencies []float64
	// FirstError is the first failure's message, if any.
	FirstError string
}

// Committed is the number of operations that reached the ledger.
func (r LoadResult) Committed() int { return r.Valid + r.Rejected }

// PerSecond is committed operations per second.
func (r LoadResult) PerSecond() float64 { return perSecond(r.Committed(), r.Elapsed) }

// ValidPerSecond is valid committed operations per second.
func (r LoadResult) ValidPerSecond() float64 { return perSecond(r.Valid, r.Elapsed) }

func perSecond(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// Latency is the p-th percentile of the committed operations' latencies.
func (r LoadResult) Latency(p float64) float64 { return Percentile(r.Latencies, p) }

// Load runs op from concurrency clients, each starting a new call as soon as
// its last one ended, until d has passed or ctx is cancelled (a call under
// way is finished, or cancelled with ctx).
func Load(ctx context.Context, concurrency int, d time.Duration, op Op) LoadResult {
	concurrency = max(concurrency, 1)
	res := LoadResult{Concurrency: concurrency}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(deadline) {
				t0 := time.Now()
				out, err := op(ctx)
				took := time.Since(t0).Seconds()
				mu.Lock()
				switch out {
				case Valid:
					res.Valid++
					res.Latencies = append(res.Latencies, took)
				case Rejected:
					res.Rejected++
					res.Latencies = append(res.Latencies, took)
				default:
					res.Failed++
					if res.FirstError == "" && err != nil {
						res.FirstError = err.Error()
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	return res
}
