"""The one exception type for bad user input.

The CLI turns it into ``error: <where>: <why>`` on stderr and exit code 2, so every
message must name the file, field or value that is wrong.
"""

from __future__ import annotations

import re

#: ``scheme://user:PASSWORD@host``: the password runs to the *last* ``@`` of the address
#: (it may hold ``/``, ``:`` or ``@``, as SQLAlchemy's ``make_url`` reads it)
_CREDENTIALS = re.compile(
    r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/@\s:'\"]*):[^\s'\"]*@(?=[^\s@'\"]*(?:[\s'\"]|$))"
)
#: ``?password=...`` and its relatives in a query string
_SECRET_PARAMS = re.compile(
    r"(?P<key>[?&;](?:password|passwd|pwd|pass|secret|token|api_key|apikey)=)[^&;\s'\"]*",
    re.IGNORECASE,
)


class BadInputError(ValueError):
    """Input the user can fix: a path, a field, a name or a value."""

    def __init__(self, where: str, why: str) -> None:
        self.where = shorten(redact(where))
        self.why = shorten(redact(why))
        super().__init__(f"{self.where}: {self.why}")


#: longest part of an error line: values quoted from files are cut to a short prefix
MAX_PART = 240


def shorten(text: str, limit: int = MAX_PART) -> str:
    """``text`` cut to ``limit`` characters (a hostile value must not flood stderr)."""
    text = str(text).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def redact(text: str) -> str:
    """``text`` with the password of every URL in it (``scheme://user:PASS@host``)
    replaced by ``***``: storage URLs are printed and stored, their secrets never."""
    text = _CREDENTIALS.sub(r"\g<head>:***@", str(text))
    return _SECRET_PARAMS.sub(r"\g<key>***", text)
