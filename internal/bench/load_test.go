package bench

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestLoad(t *testing.T) {
	const step = 5 * time.Millisecond
	for _, tc := range []struct {
		name        string
		concurrency int
		// outcome of the i-th call (from 0)
		outcome                 func(i int64) (Outcome, error)
		valid, rejected, failed bool // which counts must be non-zero
		firstError              string
	}{
		{name: "all valid, one client", concurrency: 1,
			outcome: func(int64) (Outcome, error) { return Valid, nil }, valid: true},
		{name: "all valid, four clients", concurrency: 4,
			outcome: func(int64) (Outcome, error) { return Valid, nil }, valid: true},
		{name: "every other call rejected", concurrency: 2,
			outcome: func(i int64) (Outcome, error) {
				if i%2 == 1 {
					return Rejected, errors.New("MVCC_READ_CONFLICT")
				}
				return Valid, nil
			}, valid: true, rejected: true},
		{name: "failures keep the first error", concurrency: 1,
			outcome: func(i int64) (Outcome, error) {
				if i == 0 {
					return Failed, errors.New("first")
				}
				return Failed, errors.New("later")
			}, failed: true, firstError: "first"},
		{name: "zero concurrency runs one client", concurrency: 0,
			outcome: func(int64) (Outcome, error) { return Valid, nil }, valid: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls, running, peak atomic.Int64
			op := func(ctx context.Context) (Outcome, error) {
				i := calls.Add(1) - 1
				if n := running.Add(1); n > peak.Load() {
					peak.Store(n)
				}
				time.Sleep(step)
				running.Add(-1)
				return tc.outcome(i)
			}
			r := Load(context.Background(), tc.concurrency, 100*time.Millisecond, op)
			want := max(tc.concurrency, 1)
			if r.Concurrency != want || peak.Load() > int64(want) {
				t.Errorf("concurrency %d, peak %d, want %d", r.Concurrency, peak.Load(), want)
			}
			if got := int64(r.Valid + r.Rejected + r.Failed); got != calls.Load() || got == 0 {
				t.Errorf("counted %d of %d calls", got, calls.Load())
			}
			if (r.Valid > 0) != tc.valid || (r.Rejected > 0) != tc.rejected || (r.Failed > 0) != tc.failed {
				t.Errorf("valid %d rejected %d failed %d", r.Valid, r.Rejected, r.Failed)
			}
			if len(r.Latencies) != r.Committed() {
				t.Errorf("%d latencies for %d committed", len(r.Latencies), r.Committed())
			}
			if r.Committed() > 0 && r.Latency(50) < step.Seconds() {
				t.Errorf("p50 %v shorter than a call", r.Latency(50))
			}
			if r.FirstError != tc.firstError {
				t.Errorf("first error %q, want %q", r.FirstError, tc.firstError)
			}
			if r.Elapsed < 100*time.Millisecond {
				t.Errorf("elapsed %v, shorter than the duration", r.Elapsed)
			}
			if tc.valid && r.ValidPerSecond() <= 0 || r.PerSecond() < r.ValidPerSecond() {
				t.Errorf("per second %v, valid %v", r.PerSecond(), r.ValidPerSecond())
			}
		})
	}
}

func TestLoadStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int64
	start := time.Now()
	r := Load(ctx, 2, time.Hour, func(ctx context.Context) (Outcome, error) {
		if calls.Add(1) == 3 {
			cancel()
		}
		return Valid, nil
	})
	if time.Since(start) > 10*time.Second || r.Valid < 3 {
		t.Errorf("after cancel: %v, %d valid", time.Since(start), r.Valid)
	}
}
