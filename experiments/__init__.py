"""Experiments: comparisons (`compare/`), sensitivity sweeps (`sensitivity/`), briefs (`brief/`), benchmarks
(`bench/`) and the `actlocally` command line (`cli/`)."""
