package main

import (
	"maps"
	"testing"
)

func TestImageFlag(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want map[string]string
		bad  bool
	}{
		{[]string{"gpcheck:latest"}, map[string]string{"auth": "gpcheck:latest", "backend": "gpcheck:latest", "ws": "gpcheck:latest"}, false},
		{[]string{"auth=a:1,backend=b:2", "ws=c:3"}, map[string]string{"auth": "a:1", "backend": "b:2", "ws": "c:3"}, false},
		{[]string{"all:1", "ws=c:3"}, map[string]string{"auth": "all:1", "backend": "all:1", "ws": "c:3"}, false},
		{[]string{"auth="}, nil, true},
		{[]string{"db=x"}, nil, true},
	} {
		var m map[string]string
		f := imageFlag{&m}
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
		if !tc.bad && !maps.Equal(m, tc.want) {
			t.Errorf("%q: got %+v, want %+v", tc.in, m, tc.want)
		}
	}
	m := map[string]string{"auth": "a", "ws": "c"}
	f := imageFlag{&m}
	if got := f.String(); got != "auth=a,ws=c" {
		t.Errorf("String = %q", got)
	}
}
