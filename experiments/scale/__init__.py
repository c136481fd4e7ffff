"""A nation at scale: a partitioned area run as one task per locality on the executor, gathered by locality."""
