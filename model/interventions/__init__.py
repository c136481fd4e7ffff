"""Interventions: one class per file, found by name through the registry."""
