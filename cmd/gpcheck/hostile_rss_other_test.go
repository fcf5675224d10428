//go:build !linux

package main

import "os"

// peakRSSKiB returns 0: only Linux's rusage gives the peak RSS in KiB.
func peakRSSKiB(*os.ProcessState) int64 { return 0 }
