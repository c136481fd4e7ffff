"""Budgets and portfolios: searching allocations of interventions to schools within a budget."""
