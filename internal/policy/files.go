package policy

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/bundle"
	"github.com/open-policy-agent/opa/v1/loader/filter"
)

// maxFileBytes bounds one bundle file; a policy bundle is kilobytes, and a gzip bomb must not be.
const maxFileBytes = 16 << 20

// Files is the content of a bundle: slash-separated paths relative to the bundle root
// (".manifest", "data.json", "qualify/lead/score.rego") mapped to their bytes. It is a value:
// build it with NewFiles, ReadDir or ReadTarball and never change it afterwards.
//
// Only bundle files are kept: ".manifest", "*.rego", and "data.json" / "data.yaml" / "data.yml"
// with its JSON Schema "data.schema.json" in any directory. Editor swap files, READMEs and
// ConfigMap bookkeeping do not change a bundle.
type Files struct {
	paths   []string // sorted
	content map[string][]byte
	hash    string
}

// NewFiles builds a bundle from path→content, e.g. a draft sent over the API. Paths are cleaned
// to the form ReadDir produces; files that are not bundle files are dropped; paths that climb out
// of the bundle ("../x") or collide after cleaning are an error. The map is copied.
func NewFiles(m map[string][]byte) (Files, error) {
	content := make(map[string][]byte, len(m))
	for p, b := range m {
		clean, err := cleanPath(p)
		if err != nil {
			return Files{}, err
		}
		if !isBundleFile(clean) {
			continue
		}
		if _, dup := content[clean]; dup {
			return Files{}, fmt.Errorf("bundle path %q given twice", clean)
		}
		content[clean] = bytes.Clone(b)
	}
	return newFiles(content), nil
}

// newFiles takes ownership of content.
func newFiles(content map[string][]byte) Files {
	paths := make([]string, 0, len(content))
	for p := range content {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	return Files{paths: paths, content: content, hash: hashFiles(paths, content)}
}

// hashFiles is the bundle's content address: lowercase hex of
//
//	sha256( for each file, paths in byte order: path ‖ 0x00 ‖ uint64 big-endian len(content) ‖ content )
//
// Paths cannot contain NUL and the length prefix delimits the content, so no two different file
// sets hash alike however their bytes are split.
func hashFiles(paths []string, content map[string][]byte) string {
	h := sha256.New()
	var n [8]byte
	for _, p := range paths {
		b := content[p]
		h.Write([]byte(p))
		h.Write([]byte{0})
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Hash returns the content hash (see hashFiles for the exact scheme).
func (f Files) Hash() string { return f.hash }

// Len returns the number of files.
func (f Files) Len() int { return len(f.paths) }

// Paths returns the sorted paths.
func (f Files) Paths() []string { return slices.Clone(f.paths) }

// Get returns the content of one file. The slice must not be modified.
func (f Files) Get(p string) ([]byte, bool) {
	b, ok := f.content[p]
	return b, ok
}

// All yields the files in path order. The slices must not be modified.
func (f Files) All() iter.Seq2[string, []byte] {
	return func(yield func(string, []byte) bool) {
		for _, p := range f.paths {
			if !yield(p, f.content[p]) {
				return
			}
		}
	}
}

// With returns a copy with the given files replaced, added, or (nil content) removed. Drafts are
// usually "the active bundle plus this edit".
func (f Files) With(edits map[string][]byte) (Files, error) {
	m := make(map[string][]byte, len(f.content)+len(edits))
	for p, b := range f.content {
		m[p] = b
	}
	for p, b := range edits {
		clean, err := cleanPath(p)
		if err != nil {
			return Files{}, err
		}
		if b == nil {
			delete(m, clean)
			continue
		}
		m[clean] = bytes.Clone(b)
	}
	return NewFiles(m)
}

// ReadDir reads the bundle under dir. Symbolic links are followed, so a Kubernetes ConfigMap
// volume (name → ..data/name, ..data → ..<timestamp>) reads as its current content; directories
// whose name starts with "." are skipped, which skips ..data, ..<timestamp> and .git.
func ReadDir(dir string) (Files, error) {
	content := map[string][]byte{}
	if err := readTree(dir, "", content, 0); err != nil {
		return Files{}, err
	}
	return newFiles(content), nil
}

func readTree(dir, rel string, into map[string][]byte, depth int) error {
	if depth > 32 { // a symlink cycle, not a bundle
		return fmt.Errorf("bundle directory %s nests too deep", dir)
	}
	entries, err := os.ReadDir(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		p := path.Join(rel, name)
		full := filepath.Join(dir, filepath.FromSlash(p))
		info, err := os.Stat(full) // follows links
		if errors.Is(err, fs.ErrNotExist) {
			continue // dangling link, or removed while we read: the next event or poll sees the rest
		}
		if err != nil {
			return err
		}
		switch {
		case info.IsDir():
			if strings.HasPrefix(name, ".") {
				continue
			}
			if err := readTree(dir, p, into, depth+1); err != nil {
				return err
			}
		case info.Mode().IsRegular() && isBundleFile(p):
			if info.Size() > maxFileBytes {
				return fmt.Errorf("%s: %d bytes is more than a bundle file may have", p, info.Size())
			}
			b, err := os.ReadFile(full)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return err
			}
			into[p] = b
		}
	}
	return nil
}

// ReadTarball reads a bundle archive (.tar.gz) as served by an OPA bundle service, with OPA's
// own tarball loader so that the archive rules (size limits, path forms) are OPA's.
func ReadTarball(r io.Reader) (Files, error) {
	l := bundle.NewTarballLoaderWithBaseURL(r, "").WithSizeLimitBytes(maxFileBytes)
	content := map[string][]byte{}
	for {
		d, err := l.NextFile()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Files{}, fmt.Errorf("read bundle archive: %w", err)
		}
		var buf bytes.Buffer
		_, err = d.Read(&buf, maxFileBytes) // io.CopyN: EOF means the file was shorter
		d.Close()
		if err != nil && !errors.Is(err, io.EOF) {
			return Files{}, fmt.Errorf("read bundle archive: %s: %w", d.Path(), err)
		}
		p, err := cleanPath(d.Path())
		if err != nil {
			return Files{}, err
		}
		if isBundleFile(p) {
			content[p] = buf.Bytes()
		}
	}
	return newFiles(content), nil
}

func cleanPath(p string) (string, error) {
	s := path.Clean("/" + filepath.ToSlash(p))[1:]
	if s == "" || strings.Contains(p, "\x00") || slices.Contains(strings.Split(filepath.ToSlash(p), "/"), "..") {
		return "", fmt.Errorf("bad bundle path %q", p)
	}
	return s, nil
}

func isBundleFile(p string) bool {
	base := path.Base(p)
	switch {
	case p == bundle.ManifestExt:
		return true // only the root manifest counts, as in OPA
	case strings.HasPrefix(base, "."):
		return false
	case strings.HasSuffix(base, bundle.RegoExt), base == schemaFile:
		return true
	}
	return isDataFile(p)
}

func isDataFile(p string) bool {
	switch path.Base(p) {
	case "data.json", "data.yaml", "data.yml":
		return true
	}
	return false
}

// filesLoader feeds Files to OPA's bundle reader, which then applies OPA's rules to them
// (manifest, roots, data placement) exactly as it does for a directory or an archive.
type filesLoader struct {
	f Files
	i int
}

func (l *filesLoader) NextFile() (*bundle.Descriptor, error) {
	if l.i >= len(l.f.paths) {
		return nil, io.EOF
	}
	p := l.f.paths[l.i]
	l.i++
	return bundle.NewDescriptor(p, "/"+p, bytes.NewReader(l.f.content[p])), nil
}

func (l *filesLoader) WithFilter(filter.LoaderFilter) bundle.DirectoryLoader   { return l }
func (l *filesLoader) WithPathFormat(bundle.PathFormat) bundle.DirectoryLoader { return l }
func (l *filesLoader) WithSizeLimitBytes(int64) bundle.DirectoryLoader         { return l }
func (l *filesLoader) WithFollowSymlinks(bool) bundle.DirectoryLoader          { return l }
