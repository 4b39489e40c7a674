package policyadmin

// LeaseKeys are the advisory lock keys of a job's lease, for tests that play a runner on
// another replica.
var LeaseKeys = lockKeys

// ErrOrphaned is the error an orphaned job is failed with.
const ErrOrphaned = errOrphaned
