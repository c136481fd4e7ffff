"""SALib sensitivity sweeps: which uncertain parameters drive an outcome or an effect."""
