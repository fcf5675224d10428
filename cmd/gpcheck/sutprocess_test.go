package main

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// sutProcess is `gpcheck sut` running as a separate process, as a user
// would start it.
type sutProcess struct {
	cmd *exec.Cmd
	// urls are the services' URLs by service (auth, backend, ws).
	urls map[string]string
	// printed is what it printed up to "serving".
	printed []string
	// stopped receives, once its output ends, whether it printed "stopped".
	stopped <-chan bool
}

// startSUTProcess starts `gpcheck sut` with env and args on free loopback
// ports and waits (20 s at most) until it serves. It is killed when the
// test ends.
func startSUTProcess(t testing.TB, env []string, args ...string) *sutProcess {
	t.Helper()
	cmd := exec.Command(gpcheckBin, append([]string{"sut", "--auth-addr", "127.0.0.1:0", "--backend-addr", "127.0.0.1:0", "--ws-addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	p := &sutProcess{cmd: cmd, urls: map[string]string{}}
	deadline := time.After(20 * time.Second)
	for ready := false; !ready; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("gpcheck sut ended before serving:\n%s", strings.Join(p.printed, "\n"))
			}
			p.printed = append(p.printed, l)
			if f := strings.Fields(l); len(f) == 2 && (f[0] == "auth" || f[0] == "backend" || f[0] == "ws") {
				p.urls[f[0]] = f[1]
			}
			ready = strings.HasPrefix(l, "serving")
		case <-deadline:
			t.Fatalf("gpcheck sut did not serve within 20 s:\n%s", strings.Join(p.printed, "\n"))
		}
	}
	stopped := make(chan bool, 1)
	go func() { // keep draining, so the server never blocks on stdout
		saw := false
		for l := range lines {
			saw = saw || l == "stopped"
		}
		stopped <- saw
	}()
	p.stopped = stopped
	return p
}
