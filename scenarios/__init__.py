"""Scenario and area files shipped with actlocally (package data)."""
