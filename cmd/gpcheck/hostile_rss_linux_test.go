package main

import (
	"os"
	"syscall"
)

// peakRSSKiB is the process's peak resident set: Maxrss, which Linux gives
// in KiB.
func peakRSSKiB(ps *os.ProcessState) int64 {
	if ps == nil {
		return 0
	}
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	return ru.Maxrss
}
