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
    """Turn pydantic's error list into one InputError naming every bad field."""
    parts = []
    first_field = None
    for e in err.errors():
        loc = ".".join(str(x) for x in e["loc"])
        first_field = first_field or loc
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "unknown field (check the spelling; see the documented fields)"
        parts.append(f"'{loc}': {msg}")
    if len(parts) == 1:
        return InputError(path, first_field, err.errors()[0]["msg"] if err.errors()[0]["type"] != "extra_forbidden"
                          else "unknown field (check the spelling; see the documented fields)")
    return InputError(path, None, "; ".join(parts))
