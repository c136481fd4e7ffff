"""The web explorer (`actlocally serve`): compose a scenario, run it against its baseline, compare and download."""
