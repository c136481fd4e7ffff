"""One error type for bad user input: it names the file, the field and what is allowed."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError


class InputError(ValueError):
    """A scenario, area or comparison file that cannot be used as written."""

    def __init__(self, path: str | Path | None, field: str | None, problem: str) -> None:
        self.path = one_line(str(path)) if path is not None else None
        self.field = one_line(field) if field is not None else None
        self.problem = one_line(problem)
        where = self.path or "<input>"
        if self.field:
            where += f": field '{self.field}'"
        super().__init__(f"{where}: {self.problem}")


def one_line(text: str, limit: int = 600) -> str:
    """User text made safe for a one-line message: control characters escaped, long text cut."""
    text = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in str(text))
    return text if len(text) <= limit else text[:limit] + "..."


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
    # the problem first, then its fields, so a long list cut at the message limit still says what to do
    parts = [f"{msg} ({len(fields)} field{'s' if len(fields) > 1 else ''}): {', '.join(repr(f) for f in fields)}"
             if len(fields) > 1 else f"'{fields[0]}': {msg}" for msg, fields in by_msg.items()]
    return InputError(path, None, "; ".join(parts))
