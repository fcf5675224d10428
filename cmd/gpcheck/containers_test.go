package main

import (
	"testing"

	"github.com/gpcheck/gpcheck/harness/containers"
)

func TestImageFlag(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want containers.Images
		bad  bool
	}{
		{[]string{"gpcheck:latest"}, containers.Images{Auth: "gpcheck:latest", Backend: "gpcheck:latest", WS: "gpcheck:latest"}, false},
		{[]string{"auth=a:1,backend=b:2", "ws=c:3"}, containers.Images{Auth: "a:1", Backend: "b:2", WS: "c:3"}, false},
		{[]string{"all:1", "ws=c:3"}, containers.Images{Auth: "all:1", Backend: "all:1", WS: "c:3"}, false},
		{[]string{"auth="}, containers.Images{}, true},
		{[]string{"db=x"}, containers.Images{}, true},
	} {
		var f imageFlag
		var err error
		for _, v := range tc.in {
			if err = f.Set(v); err != nil {
				break
			}
		}
		if (err != nil) != tc.bad {
			t.Errorf("%q: err = %v", tc.in, err)
			continue
		}
		if !tc.bad && f.Images != tc.want {
			t.Errorf("%q: got %+v, want %+v", tc.in, f.Images, tc.want)
		}
	}
	f := imageFlag{containers.Images{Auth: "a", WS: "c"}}
	if got := f.String(); got != "auth=a,ws=c" || !f.given() {
		t.Errorf("String = %q", got)
	}
}
