"""Strict field types shared by every input schema: no strings or booleans for numbers, no NaN or infinity.

Bounds here are stated physical bounds (what a real locality, district or run can be); a parameter's own range
comes from its prior in `parameters.toml` or in its intervention's `param(...)` declaration.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AllowInfNan, Field, Strict

Number = Annotated[float, Strict(), AllowInfNan(False)]  # an int is accepted (TOML `3` for 3.0); "3", true are not
Bounded = Annotated[float, Strict(), AllowInfNan(False), Field(ge=-1e9, le=1e9)]  # any figure a file may hold
Integer = Annotated[int, Strict()]  # not 3.0, not "3", not true
Text = Annotated[str, Strict(), Field(max_length=10_000)]
ShortText = Annotated[str, Strict(), Field(max_length=200)]
Flag = Annotated[bool, Strict()]

SAFE_NAME = r"^[A-Za-z0-9][A-Za-z0-9_\-]*$"  # checked with re.fullmatch (or pydantic's Rust regex): `$` is the end
MAX_PUPILS = 1_000_000  # more pupils than any English local authority (Birmingham has ~200,000)
MAX_SEED = 2**63 - 1  # seeds enter numpy's SeedSequence and 64-bit stream keys
MAX_FILE_BYTES = 1_000_000  # a scenario, area, comparison or targets file is a few KB
MAX_DEPTH = 12  # deepest nesting of tables and arrays any schema uses is 4
MAX_INTERVENTIONS = 50
MAX_LIST = 500
