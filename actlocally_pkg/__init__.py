"""actlocally: agent-based simulation of school attendance and attainment under local service changes."""

__version__ = "0.1.0"
