"""Speed and memory measurements: a district year against the per-agent reference, and batch throughput."""
