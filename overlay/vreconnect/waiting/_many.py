"""Outcomes of waiting for many tasks, and turning collected failures into one error."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

from vreconnect.errors import VReconnectError

from ._types import TaskStatus

__all__ = ["WaitManyError", "WaitOutcome", "raise_for_failures"]


@dataclass(frozen=True)
class WaitOutcome:
    """How one of many waits ended: its final ``status``, or the ``error`` it raised."""

    index: int
    status: TaskStatus | None
    error: BaseException | None

    @property
    def ok(self) -> bool:
        """True if the task succeeded (``status`` is then its final status)."""
        return self.error is None


class WaitManyError(ExceptionGroup[Exception], VReconnectError):
    """Some of many waits failed: an ExceptionGroup of their errors (usable with ``except*``).

    ``indices[i]`` is the input position of the wait that raised ``exceptions[i]``.
    """

    indices: tuple[int, ...]

    def __new__(cls, message: str, exceptions: Sequence[Exception], indices: Sequence[int]) -> Self:
        """Build the group; ``indices`` runs parallel to ``exceptions``."""
        self = super().__new__(cls, message, exceptions)
        self.indices = tuple(indices)
        return self

    def __init__(
        self, message: str, exceptions: Sequence[Exception], indices: Sequence[int]
    ) -> None:
        """See :meth:`__new__`."""
        super().__init__(message, exceptions)

    def derive(self, excs: Sequence[Exception]) -> WaitManyError:  # type: ignore[override]
        """Keep the type and the matching indices when ``except*`` splits the group."""
        by_id = {id(e): i for e, i in zip(self.exceptions, self.indices, strict=True)}
        return WaitManyError(self.message, excs, [by_id[id(e)] for e in excs])


def raise_for_failures(outcomes: Sequence[WaitOutcome]) -> list[TaskStatus]:
    """Return every final status if all waits succeeded, else raise :class:`WaitManyError`."""
    failed = [o for o in outcomes if o.error is not None]
    if not failed:
        return [o.status for o in outcomes if o.status is not None]
    errors: list[Exception] = []
    for outcome in failed:
        error = outcome.error
        if not isinstance(error, Exception):
            # ExceptionGroup only holds Exceptions; wrap anything else rather than drop it.
            wrapped = VReconnectError(f"wait #{outcome.index} ended with {error!r}")
            wrapped.__cause__ = error
            error = wrapped
        errors.append(error)
    listing = ", ".join(f"#{o.index} ({type(o.error).__name__})" for o in failed)
    message = f"{len(failed)} of {len(outcomes)} waits failed: {listing}"
    raise WaitManyError(message, errors, [o.index for o in failed])
