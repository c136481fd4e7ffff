"""The simulation: Mesa model and agents, population synthesis, numba kernels, interventions, parameters."""

import os

from .jit_cache import use_model_cache

# numba's OpenMP workers sleep between the day's passes instead of spinning (read when libgomp loads, at the first
# parallel pass): see model/mechanisms/threads.py
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

CACHE_DIR = use_model_cache()  # before any kernel module is imported: numba reads it when a kernel is decorated
