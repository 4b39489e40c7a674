package auth

import "time"

// SetUserClock sets the clock of a's user cache (tests).
func SetUserClock(a *Authenticator, now func() time.Time) { a.live.now = now }

// SetClock sets every clock of a: the user cache, token and key caches and token expiry (tests).
func SetClock(a *Authenticator, now func() time.Time) {
	a.live.now, a.now, a.keys.now = now, now, now
}

// Verifications is how many tokens a has verified cryptographically (tests).
func Verifications(a *Authenticator) int64 { return a.verified.Load() }

// KeyLookups is how many times a has read an API key from the database (tests).
func KeyLookups(a *Authenticator) int64 { return a.keys.lookups.Load() }
