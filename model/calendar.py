"""The school calendar: 190 school days a year in three terms (autumn 70, spring 60, summer 60)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DAYS_PER_YEAR = 190  # FACTS §1 [S22]: statutory minimum 190 days = 380 sessions
TERM_NAMES = ("autumn", "spring", "summer")
TERM_DAYS = (70, 60, 60)  # assumption: ~14, 12 and 12 teaching weeks
SESSIONS_PER_DAY = 2
SUMMER_HOLIDAY_WEEKDAYS = 30  # assumption: about six weeks between the summer and autumn terms (no school days:
# the summer break acts at the school-year boundary, model/mechanisms/summer.py)


@dataclass(frozen=True)
class SchoolDay:
    """Where a model step falls in the school calendar."""

    index: int  # school day since the run started
    year: int  # academic year of the run, 0-based
    term: int  # term since the run started, 0-based
    term_of_year: int  # 0 autumn, 1 spring, 2 summer
    day_of_year: int  # 0..189
    day_of_term: int
    last_of_term: bool
    last_of_year: bool


class Calendar:
    """Maps the model's step count to school days; one step = one school day."""

    def __init__(self, years: int, first_year: int = 2025) -> None:
        if years < 1:
            raise ValueError("a run needs at least one academic year")
        self.years = years
        self.first_year = first_year
        self.n_days = years * DAYS_PER_YEAR
        self.n_terms = years * len(TERM_DAYS)
        self._term_starts = np.cumsum((0,) + TERM_DAYS[:-1])
        self._days: dict[int, SchoolDay] = {}  # worked out once each: the model asks every step

    def school_day(self, index: int) -> SchoolDay:
        """The calendar position of school day `index` (0-based)."""
        day = self._days.get(index)
        if day is None:
            day = self._days[index] = self._school_day(index)
        return day

    def _school_day(self, index: int) -> SchoolDay:
        year, doy = divmod(index, DAYS_PER_YEAR)
        tterm = int(np.searchsorted(self._term_starts, doy, side="right") - 1)
        dot = doy - int(self._term_starts[tterm])
        last_term = dot == TERM_DAYS[tterm] - 1
        return SchoolDay(index, year, year * 3 + tterm, tterm, doy, dot, last_term,
                         doy == DAYS_PER_YEAR - 1)

    def term_labels(self) -> list[str]:
        """Labels such as '2025/26 autumn' for every term of the run."""
        out = []
        for y in range(self.years):
            start = self.first_year + y
            for name in TERM_NAMES:
                out.append(f"{start}/{(start + 1) % 100:02d} {name}")
        return out

    def year_labels(self) -> list[str]:
        return [f"{self.first_year + y}/{(self.first_year + y + 1) % 100:02d}" for y in range(self.years)]
