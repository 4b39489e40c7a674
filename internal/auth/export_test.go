package auth

import "time"

// SetUserClock sets the clock of a's user cache (tests).
func SetUserClock(a *Authenticator, now func() time.Time) { a.live.now = now }
