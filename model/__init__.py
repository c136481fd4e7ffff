"""The simulation: Mesa model and agents, population synthesis, numba kernels, interventions, parameters."""
