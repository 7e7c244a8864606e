"""Ctrl-C that lands between units, not inside a library.

Python raises ``KeyboardInterrupt`` wherever the main thread happens to be; inside
XGBoost's ctypes callbacks it is printed and swallowed, and the run went on (then ended
with exit 0). The CLI installs ``install()``: the first Ctrl-C (or SIGTERM) only sets a flag, which
the unit loops check (``check()``) after each finished unit, so the run stops with its
finished units stored and exits 130 (143 for SIGTERM); a second one interrupts at once.
"""

from __future__ import annotations

import contextlib
import signal
import threading

requested = threading.Event()
#: the signal that set ``requested`` (SIGINT or SIGTERM)
received: list[int] = []


def _handler(signum, frame) -> None:
    requested.set()
    received.append(signum)
    # a second signal: at once (KeyboardInterrupt wherever the main thread is)
    signal.signal(signum, _at_once)


def _at_once(signum, frame) -> None:
    raise KeyboardInterrupt


def install() -> None:
    """Take over SIGINT and SIGTERM (main thread only; elsewhere a no-op): SIGTERM, what
    a scheduler or ``kill`` sends, stops a run the way Ctrl-C does."""
    import warnings

    requested.clear()
    received.clear()
    # joblib warns when a stopped run drops its result generator: the one line the CLI
    # prints says what happened
    warnings.filterwarnings("ignore", message=".*unnecessary computation time", module="joblib")
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _handler)
        signal.signal(signal.SIGTERM, _handler)


def uninstall() -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def exit_code() -> int:
    """130 after Ctrl-C, 143 after SIGTERM (128 + the signal number, as a shell says)."""
    return 128 + (received[0] if received else signal.SIGINT)


def stop_workers() -> None:
    """Shut joblib's reusable worker pool down now (killing its processes), so an
    interrupted run leaves no worker or shared-memory folder behind."""
    try:
        from joblib.externals.loky import get_reusable_executor
    except ImportError:  # pragma: no cover
        return
    with contextlib.suppress(Exception):  # best effort on the way out
        get_reusable_executor().shutdown(wait=True, kill_workers=True)


def check() -> None:
    """Raise KeyboardInterrupt if Ctrl-C was pressed since ``install()``."""
    if requested.is_set():
        raise KeyboardInterrupt
