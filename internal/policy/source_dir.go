package policy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/open-policy-agent/opa/v1/bundle"
)

// Loader is what a source feeds bundles to; *Engine is one.
type Loader interface {
	Load(ctx context.Context, files Files, source string) (*Revision, error)
}

// safeLoad calls l.Load; a panic in it is an error of this load, so that a source's goroutine
// survives it and keeps following its bundle.
func safeLoad(ctx context.Context, l Loader, files Files, source string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("policy load from %s panicked: %v", source, p)
		}
	}()
	_, err = l.Load(ctx, files, source)
	return err
}

// DirOptions configure a DirSource. The zero value is usable.
type DirOptions struct {
	// Debounce is the quiet time after the last file event before the directory is read; an
	// editor's save or a ConfigMap update is a burst of events. It only saves reads: the release
	// rule (see DirSource), not the debounce, keeps a multi-file save whole. Default 25ms.
	Debounce time.Duration
	// PollInterval is how often the directory is re-hashed anyway, for file systems without
	// inotify (some network and container mounts) and for events missed. Default 2s; < 0: never.
	PollInterval time.Duration
	Logger       *slog.Logger
}

// DirSource keeps an Engine on the content of a directory: it watches the tree with fsnotify and
// polls a content hash as a fallback, and loads the bundle when a release is made.
//
// The release rule: saving .manifest releases the bundle. Changes to the other files are
// staged, and load together with the next save of .manifest (a new revision, or the same bytes
// written again: its modification time is part of the stamp), so a multi-file save, however slow,
// never activates half of itself, provided .manifest is saved last, as publishing does. A
// directory without .manifest has no release marker and loads each change after the debounce.
// The first read after start loads whatever is there.
//
// It is indifferent to how files change: writes in place, editors that save by writing a new file
// and renaming it over the old one, and Kubernetes ConfigMap volumes that swap a "..data" symlink
// all end in "read the tree, compare the hash". Watches are re-established after every read, so
// directories that are replaced (including the root, through a watch on its parent) stay watched.
type DirSource struct {
	loader   Loader
	dir      string // absolute
	debounce time.Duration
	maxDelay time.Duration // a stream of events cannot postpone a read longer than this
	poll     time.Duration
	log      *slog.Logger

	mu        sync.Mutex // guards the fields below: Sync may be called beside Run
	lastHash  string
	lastStamp string // the .manifest release stamp of the last load
	staged    string // the content hash last logged as staged
	lastErr   string

	watched map[string]os.FileInfo // owned by Run's goroutine
	linked  map[string]bool        // of watched, the directories of symlinked files' targets
}

// NewDirSource returns a source for dir; call Sync to load it once, Run to follow it.
func NewDirSource(l Loader, dir string, opts DirOptions) *DirSource {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	s := &DirSource{loader: l, dir: dir, debounce: opts.Debounce, poll: opts.PollInterval, log: opts.Logger}
	if s.debounce <= 0 {
		s.debounce = 25 * time.Millisecond
	}
	s.maxDelay = 5 * s.debounce
	if s.poll == 0 {
		s.poll = 2 * time.Second
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s
}

// Sync reads the directory and loads it if its content changed since the last read. It returns
// the read error or Load's (a *RefusedError when refused).
func (s *DirSource) Sync(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	// .manifest's time is taken before the tree is read: a save during the read then makes
	// another release, never one whose stamp is already spent on the older content.
	var manifestMod int64
	if info, err := os.Stat(filepath.Join(s.dir, bundle.ManifestExt)); err == nil {
		manifestMod = info.ModTime().UnixNano()
	}
	files, err := ReadDir(s.dir)
	if err != nil {
		if msg := err.Error(); msg != s.lastErr { // once per distinct error, not once per poll
			s.log.Warn("policy directory unreadable; the active revision keeps serving", "dir", s.dir, "err", err)
			s.lastErr = msg
		}
		return err
	}
	s.lastErr = ""
	if files.Hash() == s.lastHash {
		return nil
	}
	stamp, marked := releaseStamp(files, manifestMod)
	if marked && s.lastHash != "" && stamp == s.lastStamp {
		if s.staged != files.Hash() { // once per staged content, not once per poll
			s.log.Info("policy changes staged: save .manifest to release them", "dir", s.dir, "staged", shortHash(files.Hash()))
			s.staged = files.Hash()
		}
		return nil
	}
	err = safeLoad(ctx, s.loader, files, "dir:"+s.dir)
	if ctx.Err() == nil {
		// A refused bundle is not retried until its content changes and it is released again;
		// Load logged and recorded it.
		s.lastHash, s.lastStamp = files.Hash(), stamp
	}
	return err
}

// releaseStamp identifies one save of .manifest: its content and modification time. marked is
// false when the bundle has no .manifest.
func releaseStamp(files Files, modTime int64) (stamp string, marked bool) {
	m, ok := files.Get(bundle.ManifestExt)
	if !ok {
		return "", false
	}
	return fmt.Sprintf("%d:%s", modTime, m), true
}

// Run loads the directory, then follows it until ctx is done, and returns nil then. Refusals are
// logged and recorded by the Engine; Run itself never stops on them.
func (s *DirSource) Run(ctx context.Context) error {
	var events <-chan fsnotify.Event
	var errs <-chan error
	w, err := fsnotify.NewWatcher()
	if err != nil {
		s.log.Warn("policy directory not watched, polling only", "dir", s.dir, "err", err)
		if s.poll < 0 {
			s.poll = 2 * time.Second
		}
	} else {
		defer w.Close()
		events, errs = w.Events, w.Errors
	}
	s.watched = map[string]os.FileInfo{}
	s.refresh(ctx, w)

	var poll <-chan time.Time
	if s.poll > 0 {
		t := time.NewTicker(s.poll)
		defer t.Stop()
		poll = t.C
	}
	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	defer debounce.Stop()
	var pendingSince time.Time

	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if !s.concerns(ev) {
				continue
			}
			now := time.Now()
			if pendingSince.IsZero() {
				pendingSince = now
			}
			debounce.Reset(max(0, min(s.debounce, s.maxDelay-now.Sub(pendingSince))))
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			// Typically an inotify queue overflow: events were lost, so read now.
			s.log.Warn("policy directory watch error", "dir", s.dir, "err", err)
			s.refresh(ctx, w)
		case <-debounce.C:
			pendingSince = time.Time{}
			s.refresh(ctx, w)
		case <-poll:
			s.refresh(ctx, w)
		}
	}
}

// refresh re-establishes watches first, so that a change made while the tree is read raises an
// event, then reads the tree.
func (s *DirSource) refresh(ctx context.Context, w *fsnotify.Watcher) {
	if w != nil {
		s.syncWatches(w)
	}
	_ = s.Sync(ctx) // logged by Sync or the Engine
}

// concerns reports whether an event may change the bundle: anything at or under the root, which
// includes ConfigMap's "..data" swap and editor temp files (a hash compare settles those), and
// anything in a directory watched for the target of a symlinked file, wherever it is.
// Attribute changes alone do not change content.
func (s *DirSource) concerns(ev fsnotify.Event) bool {
	if ev.Op == fsnotify.Chmod {
		return false
	}
	if s.linked[filepath.Dir(ev.Name)] {
		return true
	}
	return ev.Name == s.dir || strings.HasPrefix(ev.Name, s.dir+string(filepath.Separator))
}

// syncWatches watches the root's parent, the root and every directory below it that ReadDir
// reads, and the directories of its symlinked files' targets (listDirs). A path whose directory
// was replaced (a new inode behind the same name, e.g. a swapped symlink) is watched anew;
// inotify follows a symlink once, when the watch is added.
func (s *DirSource) syncWatches(w *fsnotify.Watcher) {
	want := map[string]os.FileInfo{}
	s.linked = map[string]bool{}
	if info, err := os.Stat(filepath.Dir(s.dir)); err == nil {
		want[filepath.Dir(s.dir)] = info
	}
	if info, err := os.Stat(s.dir); err == nil && info.IsDir() {
		want[s.dir] = info
		listDirs(s.dir, want, s.linked, 0)
	}
	for p, old := range s.watched {
		if info, ok := want[p]; !ok || !os.SameFile(old, info) {
			_ = w.Remove(p) // fails when inotify already dropped it with its directory
			delete(s.watched, p)
		}
	}
	for p, info := range want {
		if _, ok := s.watched[p]; ok {
			continue
		}
		if err := w.Add(p); err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				s.log.Warn("policy directory not watched", "dir", p, "err", err)
			}
			continue
		}
		s.watched[p] = info
	}
}

// listDirs adds the directories under dir that readTree descends into, and those that hold the
// targets of its symlinked files (a ConfigMap's .manifest lives in "..data"'s directory): a watch
// reports the changes of a directory's entries, and a link's own entry does not change when the
// file it points to is written.
func listDirs(dir string, into map[string]os.FileInfo, linked map[string]bool, depth int) {
	if depth > 32 {
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if e.Type()&fs.ModeSymlink != 0 {
			if target, err := filepath.EvalSymlinks(p); err == nil {
				if info, err := os.Stat(target); err == nil && !info.IsDir() {
					if home, err := os.Stat(filepath.Dir(target)); err == nil {
						into[filepath.Dir(target)], linked[filepath.Dir(target)] = home, true
					}
				}
			}
		}
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if info, err := os.Stat(p); err == nil && info.IsDir() {
			into[p] = info
			listDirs(p, into, linked, depth+1)
		}
	}
}
