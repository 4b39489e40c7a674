package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The committed dist/ is what src/ builds to, so `make run` serves the sources as they are.
func TestCommittedAssetsMatchSources(t *testing.T) {
	out, err := build("..")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range out {
		got, err := os.ReadFile(filepath.Join("..", "dist", name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("dist/%s is not what src/ builds to (%v); run make console and commit it", name, err)
		}
	}
	// And the build is reproducible.
	again, err := build("..")
	if err != nil {
		t.Fatal(err)
	}
	for name := range out {
		if !bytes.Equal(out[name], again[name]) {
			t.Errorf("dist/%s differs between two builds", name)
		}
	}
}
