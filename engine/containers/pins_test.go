package containers

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestStartWithPins shows the replay of a containers run: the images it
// recorded (Digests) run again by id, whatever the image references now
// name, and a recorded image that is gone — of a service whose image was
// given — is a MissingImageError saying which, with nothing left behind.
func TestStartWithPins(t *testing.T) {
	needDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	p, err := newProvider(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	run := "test-" + NewRunID()
	ref, err := buildImage(ctx, p, run, Options{}, newLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := RemoveRun(context.Background(), p.Client(), run); err != nil {
			t.Errorf("remove the image: %v", err)
		}
	})
	id, err := ImageID(ctx, p.Client(), "all", ref)
	if err != nil {
		t.Fatal(err)
	}
	absent := "gpcheck-absent:" + NewRunID()
	given := Images{Auth: absent, Backend: absent, WS: absent}

	d, err := Start(ctx, Options{Images: given, Pins: map[string]string{"auth": id, "backend": id, "ws": id}})
	if err != nil {
		t.Fatalf("Start with pins: %v", err)
	}
	for s, got := range d.Digests() {
		if got != id {
			t.Errorf("%s ran %s, want the pinned %s", s, got, id)
		}
	}
	if err := d.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	assertGone(ctx, t, d.RunID)

	gone := "sha256:" + strings.Repeat("0", 64)
	run2 := NewRunID()
	_, err = Start(ctx, Options{Images: given, Pins: map[string]string{"auth": gone}, RunID: run2})
	var missing *MissingImageError
	if !errors.As(err, &missing) || missing.Ref != gone || !strings.Contains(err.Error(), absent) {
		t.Fatalf("Start with a gone pin: %v, want a MissingImageError for %s naming %s", err, gone, absent)
	}
	assertGone(ctx, t, run2)
}
