"""The one exception type for bad user input.

The CLI turns it into ``error: <where>: <why>`` on stderr and exit code 2, so every
message must name the file, field or value that is wrong.
"""

from __future__ import annotations


class BadInputError(ValueError):
    """Input the user can fix: a path, a field, a name or a value."""

    def __init__(self, where: str, why: str) -> None:
        self.where = where
        self.why = why
        super().__init__(f"{where}: {why}")
