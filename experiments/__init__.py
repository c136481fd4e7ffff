"""Experiments: running scenarios, the benchmark and the actlocally CLI."""
