"""One error type for bad user input: it names the file, the field and what is allowed."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError


class InputError(ValueError):
    """A scenario, area or comparison file that cannot be used as written."""

    def __init__(self, path: str | Path | None, field: str | None, problem: str) -> None:
        self.path = str(path) if path is not None else None
        self.field = field
        self.problem = problem
        where = self.path or "<input>"
        if field:
            where += f": field '{field}'"
        super().__init__(f"{where}: {problem}")


def from_validation_error(path: str | Path | None, err: ValidationError) -> InputError:
    """Turn pydantic's error list into one InputError naming every bad field; fields with the same problem (a fresh
    template's empty sources, say) share one clause instead of repeating it."""
    unknown = "unknown field (check the spelling; see the documented fields)"
    by_msg: dict[str, list[str]] = {}
    for e in err.errors():
        msg = unknown if e["type"] == "extra_forbidden" else e["msg"].removeprefix("Value error, ")
        by_msg.setdefault(msg, []).append(".".join(str(x) for x in e["loc"]))
    if len(err.errors()) == 1:
        ((msg, (field,)),) = by_msg.items()
        return InputError(path, field, msg)
    parts = [f"{', '.join(repr(f) for f in fields)}: {msg}" for msg, fields in by_msg.items()]
    return InputError(path, None, "; ".join(parts))
