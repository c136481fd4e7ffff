"""The simulation: Mesa model and agents, population synthesis, numba kernels, interventions, parameters."""

from .jit_cache import use_model_cache

CACHE_DIR = use_model_cache()  # before any kernel module is imported: numba reads it when a kernel is decorated
