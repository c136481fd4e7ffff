"""Scenario comparisons: plans, runs under common random numbers, paired effects, tables and charts."""
