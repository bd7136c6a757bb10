"""Contract tests: one suite for the simulator (property tests) and real servers (the CLI).

The suite runs schemathesis against the OpenAPI documents in ``specs/`` with every check and
every phase, authenticating through each surface's real login. ``tests/property`` runs it
against the in-process simulator; ``vreconnect contract`` runs the very same suite against any
server (a vCenter, a VR appliance, ``vreconnect sim serve``) or the embedded simulator.

::

    from vreconnect.contract import Credentials, SuiteOptions, run_suite
    from vreconnect.contract.simulator import embedded_simulator

    with embedded_simulator() as target:
        result = run_suite(target, SuiteOptions(admin=Credentials(user, password), allow=None))
    assert result.ok
"""

from __future__ import annotations

from .results import CheckTally, FailureRecord, SuiteResult, SurfaceResult
from .runner import DEFAULT_RELEASE, PHASES, SuiteOptions, declared_links, run_suite, run_surface
from .sessions import Credentials, CredentialsRejected, LoginFailed
from .surfaces import SURFACE_NAMES, SURFACES, Surface
from .target import Target

__all__ = [
    "DEFAULT_RELEASE",
    "PHASES",
    "SURFACES",
    "SURFACE_NAMES",
    "CheckTally",
    "Credentials",
    "CredentialsRejected",
    "FailureRecord",
    "LoginFailed",
    "SuiteOptions",
    "SuiteResult",
    "Surface",
    "SurfaceResult",
    "Target",
    "declared_links",
    "run_suite",
    "run_surface",
]
