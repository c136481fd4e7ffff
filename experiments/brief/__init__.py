"""Funder briefs: the numbers (data), charts, evidence and sources, rendered to HTML and PDF."""
