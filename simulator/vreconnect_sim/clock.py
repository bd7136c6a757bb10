"""An injectable clock, so that tests can freeze and advance simulated time.

Everything in the simulator that depends on time (task progress and completion, session idle
expiry, task retention) reads it from one :class:`Clock` held by the
:class:`~vreconnect_sim.state.SimulatorState`. Two readings are offered:

* :meth:`Clock.monotonic` -- seconds on a monotonic scale, for durations and deadlines;
* :meth:`Clock.time` -- wall time in epoch seconds (UTC), for timestamps shown to clients.

:class:`SystemClock` is the real clock; :class:`FakeClock` only moves when told to
(:meth:`FakeClock.advance`), and moves both readings together so they never disagree.
"""

from __future__ import annotations

import threading
import time as _time
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "FakeClock", "SystemClock", "epoch_ms", "iso8601"]


@runtime_checkable
class Clock(Protocol):
    """What the simulator needs from a clock."""

    def monotonic(self) -> float:
        """Seconds on a monotonic scale (only differences are meaningful)."""
        ...

    def time(self) -> float:
        """Wall-clock time, seconds since the Unix epoch (UTC)."""
        ...


class SystemClock:
    """The real clock: :func:`time.monotonic` and :func:`time.time`."""

    def monotonic(self) -> float:
        """Return :func:`time.monotonic`."""
        return _time.monotonic()

    def time(self) -> float:
        """Return :func:`time.time`."""
        return _time.time()

    def __repr__(self) -> str:
        return "SystemClock()"


class FakeClock:
    """A clock that stands still until advanced; thread-safe.

    ``start`` is the initial wall time (epoch seconds); the default is a fixed, recognisable
    instant (2025-01-01T00:00:00Z) so that timestamps in test output are reproducible.
    """

    DEFAULT_START = 1_735_689_600.0  # 2025-01-01T00:00:00Z

    def __init__(self, start: float = DEFAULT_START, monotonic_start: float = 1000.0) -> None:
        self._lock = threading.Lock()
        self._start = (float(start), float(monotonic_start))
        self._wall, self._mono = self._start

    def monotonic(self) -> float:
        """Return the frozen monotonic reading."""
        with self._lock:
            return self._mono

    def time(self) -> float:
        """Return the frozen wall time."""
        with self._lock:
            return self._wall

    def advance(self, seconds: float) -> None:
        """Move both readings forward by ``seconds`` (must not be negative)."""
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        with self._lock:
            self._wall += seconds
            self._mono += seconds

    def reset(self) -> None:
        """Back to the readings the clock was created with (the pytest plugin does this
        before every test, together with a simulator reset, so no test inherits another's
        time)."""
        with self._lock:
            self._wall, self._mono = self._start

    def __repr__(self) -> str:
        return f"FakeClock(wall={self._wall!r}, monotonic={self._mono!r})"


def iso8601(ts: float) -> str:
    """Format epoch seconds as ISO 8601 UTC with milliseconds, e.g. ``2025-01-01T00:00:00.000Z``.

    This is the ``xsd:dateTime`` form VI/JSON uses for ``queueTime`` and friends.
    """
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def epoch_ms(ts: float) -> int:
    """Epoch seconds as integer epoch milliseconds (vSphere Replication task times)."""
    return round(ts * 1000)
