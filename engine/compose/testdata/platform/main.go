// Command platform is a stand-in for a platform's own images, for the
// compose target's tests: gpcheck's reference services behind a command
// line, environment names, ports, a readiness endpoint and a WebSocket
// path that all differ from gpcheck's defaults, plus what a real project
// has around them — a store that takes a while to become ready (a
// healthcheck-gated dependency) and a one-shot migration job. Its images
// are FROM scratch, so it is also its own healthcheck probe.
//
//	platform identity --listen :9101   auth; reads IDENTITY_SIGNING_KEY_HEX, *_CLIENT_SECRET, STORE_URL (must be ready)
//	platform api --listen :9102        backend; reads IDENTITY_URL, API_CLIENT_SECRET, SCHEMA_DIR (must be migrated)
//	platform gateway --listen :9103 --ws-path /chat/socket --admin :9190
//	                                   ws; reads IDENTITY_URL, API_URL, GATEWAY_CLIENT_SECRET, CORS_ORIGINS
//	platform store --listen :6380 --warmup 2s
//	platform migrate --schema-dir /schema [--delay 1s] [--fail]
//	platform probe URL                 exit 0 when URL answers 200
//
// Every service reads FAULT_MODES (gpcheck's fault modes) and answers
// GET /ready once it can serve. It is test data: built by the tests, never
// shipped.
package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gpcheck/gpcheck/fixtures/faults"
	"github.com/gpcheck/gpcheck/fixtures/sut"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: platform identity|api|gateway|store|migrate|probe …")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch mode, args := os.Args[1], os.Args[2:]; mode {
	case "identity", "api", "gateway":
		err = serve(ctx, mode, args)
	case "store":
		err = store(ctx, args)
	case "migrate":
		err = migrate(args)
	case "probe":
		err = probe(args)
	default:
		err = fmt.Errorf("unknown mode %q", mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "platform:", err)
		os.Exit(1)
	}
}

// serve runs one reference service on a loopback port behind a front
// server on --listen, which answers /ready, maps --ws-path to the
// gateway's /ws (and refuses /ws itself), and passes everything else on.
func serve(ctx context.Context, mode string, args []string) error {
	fs := flag.NewFlagSet(mode, flag.ContinueOnError)
	listen := fs.String("listen", "", "listen address")
	wsPath := fs.String("ws-path", "/ws", "gateway: the WebSocket path")
	admin := fs.String("admin", "", "gateway: an admin listener answering 200 (a second declared port)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *listen == "" {
		return errors.New("--listen is required")
	}
	set, err := faults.Parse(splitList(os.Getenv("FAULT_MODES"))...)
	if err != nil {
		return fmt.Errorf("FAULT_MODES: %w", err)
	}
	cfg := sut.ServiceConfig{Addr: "127.0.0.1:0", Faults: set}
	var service string
	switch mode {
	case "identity":
		service = sut.ServiceAuth
		if err := mustAnswer(os.Getenv("STORE_URL") + "/ready"); err != nil {
			return fmt.Errorf("the store is not ready: %w", err)
		}
		if cfg.SigningKey, err = hex.DecodeString(os.Getenv("IDENTITY_SIGNING_KEY_HEX")); err != nil || len(cfg.SigningKey) == 0 {
			return errors.New("IDENTITY_SIGNING_KEY_HEX is not a hex key")
		}
		cfg.BypassKey = os.Getenv("E2E_BYPASS_KEY")
		cfg.BackendSecret, cfg.GatewaySecret, cfg.HarnessSecret = os.Getenv("API_CLIENT_SECRET"), os.Getenv("GATEWAY_CLIENT_SECRET"), os.Getenv("HARNESS_CLIENT_SECRET")
	case "api":
		service = sut.ServiceBackend
		if _, err := os.Stat(filepath.Join(os.Getenv("SCHEMA_DIR"), "migrated")); err != nil {
			return fmt.Errorf("the schema is not migrated: %w", err)
		}
		cfg.AuthURL, cfg.BackendSecret = os.Getenv("IDENTITY_URL"), os.Getenv("API_CLIENT_SECRET")
	case "gateway":
		service = sut.ServiceWS
		cfg.AuthURL, cfg.BackendURL, cfg.GatewaySecret = os.Getenv("IDENTITY_URL"), os.Getenv("API_URL"), os.Getenv("GATEWAY_CLIENT_SECRET")
		cfg.AllowedOrigins = splitList(os.Getenv("CORS_ORIGINS"))
	}
	upstream := make(chan net.Addr, 1)
	cfg.Ready = func(a net.Addr) { upstream <- a }
	done := make(chan error, 1)
	go func() { done <- sut.ServeOne(ctx, service, cfg) }()
	var up net.Addr
	select {
	case up = <-upstream:
	case err := <-done:
		return err
	}
	target := &url.URL{Scheme: "http", Host: up.String()}
	proxy := httputil.NewSingleHostReverseProxy(target)
	mux := http.NewServeMux()
	mux.HandleFunc("/ready", func(w http.ResponseWriter, r *http.Request) {
		if err := mustAnswer(target.String() + "/health"); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if mode == "gateway" {
			switch r.URL.Path {
			case *wsPath:
				r.URL.Path = "/ws"
			case "/ws":
				http.NotFound(w, r) // only the platform's own path
				return
			}
		}
		proxy.ServeHTTP(w, r)
	})
	if *admin != "" {
		go func() {
			_ = http.ListenAndServe(*admin, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "admin") }))
		}()
	}
	srv := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	fmt.Printf("%s (%s) serving on %s\n", mode, service, *listen)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return <-done
}

// store answers /ready with 503 until --warmup has passed, as a database
// does while it starts.
func store(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("store", flag.ContinueOnError)
	listen := fs.String("listen", ":6380", "listen address")
	warmup := fs.Duration("warmup", 2*time.Second, "time before it is ready")
	if err := fs.Parse(args); err != nil {
		return err
	}
	readyAt := time.Now().Add(*warmup)
	srv := &http.Server{Addr: *listen, ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if time.Now().Before(readyAt) {
			http.Error(w, "warming up", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})}
	fmt.Printf("store serving on %s, ready in %s\n", *listen, *warmup)
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// migrate is the one-shot job: after --delay it marks the schema
// migrated and exits 0 (1 with --fail).
func migrate(args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	dir := fs.String("schema-dir", "/schema", "where the schema lives")
	delay := fs.Duration("delay", time.Second, "how long the migration takes")
	fail := fs.Bool("fail", false, "fail, as a broken migration does")
	if err := fs.Parse(args); err != nil {
		return err
	}
	time.Sleep(*delay)
	if *fail {
		return errors.New("migration 0042_threads failed: relation already exists")
	}
	if err := os.WriteFile(filepath.Join(*dir, "migrated"), []byte("0042\n"), 0o644); err != nil {
		return err
	}
	fmt.Println("migrated to 0042")
	return nil
}

// probe is the healthcheck: exit 0 when the URL answers 200 in 2 s.
func probe(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: platform probe URL")
	}
	return mustAnswer(args[0])
}

func mustAnswer(u string) error {
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %d", u, resp.StatusCode)
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
