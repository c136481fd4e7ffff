"""The project's own list of sources (model/references.toml): every key its parameters and area profiles cite."""

from __future__ import annotations

import functools
import re
import tomllib
from pathlib import Path

REFERENCES = Path(__file__).resolve().parent / "references.toml"
_BRACKET = re.compile(r"\[([A-Z]{1,2}\d+(?:\s*[,/]\s*[A-Z]{1,2}\d+)*)\]")
_SEED = re.compile(r"\bseed (\d{3})(?:_[0-9a-f]{16}\.txt)?(\s*\([^)]*\))?")


@functools.cache
def references() -> dict[str, dict[str, str]]:
    """Key -> {topic, reference[, plain]} from the shipped references file."""
    with REFERENCES.open("rb") as fh:
        return tomllib.load(fh)["sources"]


def cited_keys(text: str) -> set[str]:
    """Source keys a source text cites: bracketed keys ([S1], [B6/B7], [A1, A2]) and project documents (seed 004)."""
    keys = {k.strip() for group in _BRACKET.findall(text) for k in re.split(r"[,/]", group)}
    return keys | {f"seed {n}" for n, _ in _SEED.findall(text)}


def plain_source(text: str) -> str:
    """A source text for readers: project documents named in words ('seed 004_….txt' -> 'the Act Locally ...')."""
    refs = references()

    def name(m: re.Match) -> str:
        ref = refs.get(f"seed {m.group(1)}")
        return ref.get("plain", ref["reference"]) if ref else m.group(0)

    return _SEED.sub(name, text)
