package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gpcheck/gpcheck/harness"
	"github.com/gpcheck/gpcheck/harness/flow"
	"github.com/gpcheck/gpcheck/harness/load"
	"github.com/gpcheck/gpcheck/harness/profile"
)

// BenchmarkMemoryPerUser measures what gpcheck itself holds per virtual
// user once a load run has ended and before the checks have run (the
// Outcome they judge): the live Go heap and the process's resident set,
// each as the growth over the figure before the run, divided by the
// users; the peak resident set during the run likewise; and, logged once
// the ramp is over and every user is connected, the heap in use, the
// goroutine stacks and the resident set then. The reference services run
// in another process (`gpcheck sut`), so no figure counts them. Comparing
// messages=1, 10 and 100 (ten and a hundred times the flows for the same
// users) shows whether gpcheck's memory grows with the flows or only with
// the users.
//
// GPCHECK_BENCH_HEAPPROFILE=FILE writes the heap profile taken with the
// Outcome still held, GPCHECK_BENCH_PEAKPROFILE=FILE one taken once every
// user is connected, to see what holds the memory.
//
// The 10,000-user case takes minutes and 10,000 connections: it runs only
// with GPCHECK_BENCH_LARGE=1.
func BenchmarkMemoryPerUser(b *testing.B) {
	cases := []struct{ users, messages int }{{1000, 1}, {1000, 10}, {1000, 100}, {10000, 10}}
	for _, c := range cases {
		b.Run(fmt.Sprintf("users=%d/messages=%d", c.users, c.messages), func(b *testing.B) {
			if c.users > 1000 && os.Getenv("GPCHECK_BENCH_LARGE") != "1" {
				b.Skip("10,000 users take minutes and 10,000 connections; run with GPCHECK_BENCH_LARGE=1")
			}
			raiseFileLimit(uint64(4*c.users + 1024))
			sut := startSUTProcess(b, []string{"GPCHECK_BYPASS_KEY=bench-bypass", "GPCHECK_SERVICE_SECRET=bench-secret"})
			env, err := harness.NewEnv(harness.Target{Kind: "remote", AuthURL: sut.urls["auth"], BackendURL: sut.urls["backend"], WSURL: sut.urls["ws"],
				Users: profile.UsersBypass, BypassKey: "bench-bypass", ServiceID: "gpcheck", ServiceSecret: "bench-secret",
				Profile: profile.Default(), SLA: harness.DefaultSLA(), RequestTimeout: 30 * time.Second})
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < b.N; i++ {
				heap0, rss0 := heapInUse(), rssBytes()
				resetPeakRSS()
				ramp := time.Duration(c.users) * 3 * time.Millisecond
				stopPeek := peek(b, ramp, c.users)
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
				out, err := load.Run(ctx, &flow.Driver{Env: env}, load.Options{Users: c.users, Messages: c.messages, Concurrency: 200, Seed: uint64(i + 1),
					// Users arrive over a few seconds, 3 ms apart, as a ramp
					// does: 10,000 logins at once saturate the services.
					Ramp: ramp})
				cancel()
				stopPeek()
				if err != nil {
					b.Fatal(err)
				}
				peak := procStatus("VmHWM:")
				// As the engine does once the load run is over: the HTTP
				// pool is sized by the calls in flight, not the users.
				env.HTTP.CloseIdleConnections()
				heap1, rss1 := heapInUse(), rssBytes()
				if name := os.Getenv("GPCHECK_BENCH_HEAPPROFILE"); name != "" {
					// What the Outcome holds, for go tool pprof -sample_index=inuse_space.
					if err := writeHeapProfile(name); err != nil {
						b.Fatal(err)
					}
				}
				flows, done := 0, 0
				for _, r := range out.Users {
					flows += r.Folded
					done += r.Folded
					for _, m := range r.Messages {
						if !m.Dropped {
							flows++
							if m.Completed() {
								done++
							}
						}
					}
				}
				if done < flows {
					b.Logf("%d of %d flows completed (the services saturate; the memory figures stand)", done, flows)
					for _, r := range out.Users {
						if len(r.Messages) > 0 && r.Messages[0].Failure != nil {
							b.Logf("for instance %s: %s: %s", r.Plan.Label(), r.Messages[0].Failure.Stage, r.Messages[0].Failure.Cause)
							break
						}
					}
				}
				b.ReportMetric(float64(heap1-heap0)/float64(c.users)/1024, "live-heap-KiB/user")
				b.ReportMetric(float64(rss1-rss0)/float64(c.users)/1024, "rss-KiB/user")
				b.ReportMetric(float64(peak-rss0)/float64(c.users)/1024, "peak-rss-KiB/user")
				b.ReportMetric(float64(flows), "flows")
				runtime.KeepAlive(out)
			}
		})
	}
}

// peek logs, once the ramp is over and every user is connected, what
// the process holds then: the heap in use, goroutine stacks and the
// resident set, per user. GPCHECK_BENCH_PEAKPROFILE=FILE writes a heap
// profile at that moment too. stop ends it early (the run is over).
func peek(b *testing.B, ramp time.Duration, users int) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		select {
		case <-time.After(ramp + ramp/10):
		case <-done:
			return
		}
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		b.Logf("once connected: heap in use %.1f KiB, stacks %.1f KiB, rss %.1f KiB, %.1f goroutines per user",
			float64(m.HeapInuse)/float64(users)/1024, float64(m.StackInuse)/float64(users)/1024, float64(rssBytes())/float64(users)/1024,
			float64(runtime.NumGoroutine())/float64(users))
		if name := os.Getenv("GPCHECK_BENCH_PEAKPROFILE"); name != "" {
			if err := writeHeapProfile(name); err != nil {
				b.Error(err)
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// writeHeapProfile writes the heap's profile to name.
func writeHeapProfile(name string) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// heapInUse is the live heap after a collection: the bytes of the
// objects it marked, what the process retains (the heap's spans in use
// also count the free room inside them, which grows with how much was
// allocated and freed before).
func heapInUse() int64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// rssBytes is the process's resident set (Linux; 0 elsewhere).
func rssBytes() int64 { return procStatus("VmRSS:") }

// resetPeakRSS starts the process's peak resident set (VmHWM) afresh
// from its current one (Linux 4.0 and later; nothing elsewhere).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// procStatus reads a size field of /proc/self/status, in bytes (0 where
// there is none).
func procStatus(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}
