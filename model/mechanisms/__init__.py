"""Daily mechanisms, one module each: a Python wrapper and its numba kernel."""
