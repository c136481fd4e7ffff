"""Calibration to area data (targets, ABC-SMC runner, posteriors): built in issue 5."""
