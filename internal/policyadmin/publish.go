package policyadmin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/auditevent"
	"github.com/qualify/qualify/ent/policyrevision"
	"github.com/qualify/qualify/internal/audit"
	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/policy"
)

// Publish verifies a draft (compile, tests, probe), gives it a new .manifest revision, writes it
// into the watched directory and waits until the engine has activated it; it returns the stored
// revision. A draft that does not verify is a *DraftError, and so is one the engine refuses
// after the write (e.g. its Guard); the directory then holds the refused files, as after a bad
// hand edit, while the last good revision keeps serving. Publishing is refused in bundle-service
// mode, and, with RequireApproval, unless someone other than the caller approved the draft's
// content (its hash before the new manifest revision). Publishes serialize: within the process
// on a mutex, across processes on a lock file. The publish is audited.
func (s *Service) Publish(ctx context.Context, d PolicyDraftInput, message string) (*ent.PolicyRevision, error) {
	if s.cfg.Dir == "" {
		return nil, errBundleMode
	}
	fs, err := s.Resolve(d)
	if err != nil {
		return nil, err
	}
	approval, err := s.approval(ctx, fs.Hash())
	if err != nil {
		return nil, err
	}
	details := map[string]any{"draftHash": fs.Hash()}
	if approval != nil {
		details["approvedBy"], details["approvalId"] = approval.Actor, approval.ID
	}
	return s.publish(ctx, fs, message, audit.PolicyPublish, details)
}

var errBundleMode = notSupported("publishing is not possible while policies come from a bundle service: publish through the bundle pipeline")

// publish writes fs, waits for its activation and audits it as action.
func (s *Service) publish(ctx context.Context, fs policy.Files, message string, action auditevent.Action, details map[string]any) (*ent.PolicyRevision, error) {
	if s.cfg.Dir == "" {
		return nil, errBundleMode
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fs, err := PublishDir(ctx, s.cfg.Engine, s.cfg.Dir, fs)
	if err != nil {
		return nil, err
	}
	if err := s.awaitActive(ctx, fs); err != nil {
		return nil, err
	}
	rev, err := s.recorded(ctx, fs.Hash(), message)
	if err != nil {
		return nil, err
	}
	// The revision is live whatever happens now; a failed audit write is logged, not returned,
	// so that the caller does not retry a publish that took place.
	if _, err := audit.Record(ctx, s.cfg.Client, audit.Event{Action: action, Target: rev.Hash, Message: message, Details: details}); err != nil {
		s.log.Error("policy publish not audited", "hash", rev.Hash, "err", err)
	}
	return rev, nil
}

// recorded waits for the engine's recorder to store the activated revision (it may record after
// the swap), sets its message and returns it.
func (s *Service) recorded(ctx context.Context, hash, message string) (*ent.PolicyRevision, error) {
	c := s.cfg.Client
	deadline := time.Now().Add(s.cfg.ActivationTimeout)
	for {
		r, err := c.PolicyRevision.Query().Where(policyrevision.Hash(hash), policyrevision.StatusEQ(policyrevision.StatusACTIVE)).Only(ctx)
		switch {
		case err == nil && message != "":
			return c.PolicyRevision.UpdateOne(r).SetMessage(message).Save(ctx)
		case err == nil:
			return r, nil
		case !ent.IsNotFound(err):
			return nil, err
		case time.Now().After(deadline):
			return nil, fmt.Errorf("publish: revision %.12s is active but was not recorded within %s", hash, s.cfg.ActivationTimeout)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Rollback republishes the files of a stored revision (see FindRevision for the references
// taken) as a new revision; history is never rewritten. A rollback restores content that was
// live once, so it needs no approval; it is audited with the revision it restores.
func (s *Service) Rollback(ctx context.Context, ref, message string) (*ent.PolicyRevision, error) {
	old, err := s.findRevision(ctx, ref)
	if err != nil {
		return nil, err
	}
	if old.Status == policyrevision.StatusREFUSED {
		return nil, domainerr.Validation("revision", fmt.Sprintf("revision %s was refused; only a revision that was active can be restored", ref))
	}
	fs, err := StoredFiles(old)
	if err != nil {
		return nil, err
	}
	if message == "" {
		message = fmt.Sprintf("rollback to %s (%.12s)", old.Revision, old.Hash)
	}
	return s.publish(ctx, fs, message, audit.PolicyRollback, map[string]any{"restoredHash": old.Hash, "restoredLabel": old.Label})
}

// StoredFiles returns the bundle files of a stored revision.
func StoredFiles(r *ent.PolicyRevision) (policy.Files, error) {
	m := make(map[string][]byte, len(r.Files))
	for p, c := range r.Files {
		m[p] = []byte(c)
	}
	return policy.NewFiles(m)
}

// Verifier verifies a bundle without activating it; *policy.Engine is one.
type Verifier interface {
	Verify(ctx context.Context, files policy.Files) (*policy.Revision, *policy.Report)
}

// PublishDir writes fs into the watched bundle directory dir under a new .manifest revision,
// after verifying it with v (a *DraftError when it does not pass), and returns the files
// written. Publishes to one directory serialize on a lock file beside it, across processes.
func PublishDir(ctx context.Context, v Verifier, dir string, fs policy.Files) (policy.Files, error) {
	unlock, err := lockFile(ctx, dir)
	if err != nil {
		return policy.Files{}, err
	}
	defer unlock()
	if fs, err = withRevision(fs, nextRevision()); err != nil {
		return policy.Files{}, err
	}
	if rev, rep := v.Verify(ctx, fs); ctx.Err() != nil {
		return policy.Files{}, ctx.Err() // the problems are the deadline's, not the draft's
	} else if rev == nil || !rep.OK() {
		return policy.Files{}, &DraftError{Report: rep}
	}
	if err := writeBundle(dir, fs); err != nil {
		return policy.Files{}, err
	}
	return fs, nil
}

// nextRevision is a new manifest revision: the UTC time to the millisecond, unique because
// publishes serialize and each takes longer than that.
func nextRevision() string { return time.Now().UTC().Format("2006.01.02-150405.000") }

// withRevision sets the .manifest revision of fs, keeping its other keys.
func withRevision(fs policy.Files, rev string) (policy.Files, error) {
	manifest := map[string]any{"roots": []string{"qualify"}}
	if raw, ok := fs.Get(".manifest"); ok {
		manifest = map[string]any{}
		if err := json.Unmarshal(raw, &manifest); err != nil {
			return policy.Files{}, &DraftError{Report: &policy.Report{Hash: fs.Hash(), Problems: []policy.Problem{
				{File: ".manifest", Message: "not a JSON object: " + err.Error()}}}}
		}
	}
	manifest["revision"] = rev
	raw, err := json.Marshal(manifest)
	if err != nil {
		return policy.Files{}, err
	}
	return fs.With(map[string][]byte{".manifest": raw})
}

// lockFile takes an exclusive lock on a file next to dir, for publishes of other processes.
func lockFile(ctx context.Context, dir string) (func(), error) {
	path := filepath.Join(filepath.Dir(filepath.Clean(dir)), "."+filepath.Base(dir)+".publish.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("publish lock: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); _ = f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			_ = f.Close()
			return nil, fmt.Errorf("publish lock: %w", err)
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// writeBundle replaces the bundle files of dir with fs: every file is written into a temporary
// directory beside dir first, then renamed into place (rename is atomic per file, and all of them
// land within the watcher's debounce), .manifest last; bundle files fs does not have are removed.
func writeBundle(dir string, fs policy.Files) error {
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(dir)), "."+filepath.Base(dir)+".publish-*")
	if err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	defer os.RemoveAll(tmp)
	for p, b := range fs.All() {
		dst := filepath.Join(tmp, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("publish: %w", err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return fmt.Errorf("publish: %w", err)
		}
	}
	cur, err := policy.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("publish: read %s: %w", dir, err)
	}
	paths := fs.Paths()
	for i, p := range paths { // .manifest last: the revision changes with the final rename
		if p == ".manifest" {
			paths = append(append(paths[:i:i], paths[i+1:]...), p)
			break
		}
	}
	for _, p := range paths {
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("publish: %w", err)
		}
		if err := os.Rename(filepath.Join(tmp, filepath.FromSlash(p)), dst); err != nil {
			return fmt.Errorf("publish: %w", err)
		}
	}
	for _, p := range cur.Paths() {
		if _, ok := fs.Get(p); !ok {
			if err := os.Remove(filepath.Join(dir, filepath.FromSlash(p))); err != nil && !os.IsNotExist(err) {
				return fmt.Errorf("publish: %w", err)
			}
		}
	}
	return nil
}

// awaitActive waits until the engine activated fs, or refused it.
func (s *Service) awaitActive(ctx context.Context, fs policy.Files) error {
	hash := fs.Hash()
	deadline := time.Now().Add(s.cfg.ActivationTimeout)
	for {
		if a := s.cfg.Engine.Active(); a != nil && a.Hash() == hash {
			return nil
		}
		if r, ok := s.cfg.Engine.LastRefused(); ok && r.Hash == hash {
			return &DraftError{Report: &policy.Report{Revision: r.Revision, Hash: r.Hash, Problems: r.Problems}}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("publish: revision %.12s written to %s but not active after %s; is the directory followed?",
				hash, s.cfg.Dir, s.cfg.ActivationTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
