package policyadmin

// JobPage is the batch size of a requalify job, for tests that interrupt one between batches.
const JobPage = jobPage
