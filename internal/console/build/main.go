// Command build compiles the console's TypeScript and CSS into dist/ with esbuild's Go API, so
// `make console` needs no Node and writes the same bytes on every machine (no source maps, no
// timestamps, fixed target). With -check it writes nothing and fails when dist/ is stale.
//
//	go run ./internal/console/build [-check]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/evanw/esbuild/pkg/api"
)

func main() {
	check := flag.Bool("check", false, "fail if dist/ differs from what the sources build to")
	dir := flag.String("dir", "internal/console", "the console directory")
	flag.Parse()
	if err := run(*dir, *check); err != nil {
		fmt.Fprintln(os.Stderr, "console build:", err)
		os.Exit(1)
	}
}

func run(dir string, check bool) error {
	out, err := build(dir)
	if err != nil {
		return err
	}
	stale := false
	for name, content := range out {
		path := filepath.Join(dir, "dist", name)
		old, err := os.ReadFile(path)
		if err == nil && bytes.Equal(old, content) {
			continue
		}
		if check {
			fmt.Fprintf(os.Stderr, "%s is not what its sources build to; run make console and commit it\n", path)
			stale = true
			continue
		}
		if err := os.WriteFile(path, content, 0o644); err != nil {
			return err
		}
		fmt.Println("wrote", path)
	}
	if stale {
		return fmt.Errorf("committed assets are stale")
	}
	return nil
}

// build returns dist/'s files by name: the bundle, its stylesheet and the page.
func build(dir string) (map[string][]byte, error) {
	res := api.Build(api.BuildOptions{
		EntryPoints:       []string{filepath.Join(dir, "src", "main.ts")},
		Bundle:            true,
		Write:             false,
		Outdir:            filepath.Join(dir, "dist"),
		EntryNames:        "app",
		Format:            api.FormatIIFE,
		Target:            api.ES2020,
		Platform:          api.PlatformBrowser,
		MinifyWhitespace:  true,
		MinifySyntax:      true,
		MinifyIdentifiers: true,
		LegalComments:     api.LegalCommentsNone,
		Charset:           api.CharsetUTF8,
		LogLevel:          api.LogLevelWarning,
	})
	if len(res.Errors) > 0 {
		msgs := api.FormatMessages(res.Errors, api.FormatMessagesOptions{Kind: api.ErrorMessage})
		return nil, fmt.Errorf("%d errors:\n%s", len(res.Errors), bytes.Join(toBytes(msgs), nil))
	}
	out := map[string][]byte{}
	for _, f := range res.OutputFiles {
		out[filepath.Base(f.Path)] = f.Contents
	}
	page, err := os.ReadFile(filepath.Join(dir, "src", "index.html"))
	if err != nil {
		return nil, err
	}
	out["index.html"] = page
	return out, nil
}

func toBytes(ss []string) [][]byte {
	b := make([][]byte, len(ss))
	for i, s := range ss {
		b[i] = []byte(s)
	}
	return b
}
