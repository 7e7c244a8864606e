"""Ctrl-C that lands between units, not inside a library.

Python raises ``KeyboardInterrupt`` wherever the main thread happens to be; inside
XGBoost's ctypes callbacks it is printed and swallowed, and the run went on (then ended
with exit 0). The CLI installs ``install()``: the first Ctrl-C only sets a flag, which
the unit loops check (``check()``) after each finished unit, so the run stops with its
finished units stored and exits 130; a second Ctrl-C interrupts at once.
"""

from __future__ import annotations

import signal
import threading

requested = threading.Event()


def _handler(signum, frame) -> None:
    requested.set()
    signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl-C: at once


def install() -> None:
    """Take over SIGINT (main thread only; elsewhere a no-op)."""
    requested.clear()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _handler)


def uninstall() -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)


def check() -> None:
    """Raise KeyboardInterrupt if Ctrl-C was pressed since ``install()``."""
    if requested.is_set():
        raise KeyboardInterrupt
