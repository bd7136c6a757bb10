"""The simulator's control API, mounted at ``/_sim`` (OpenAPI: ``specs/control.yaml``).

=======================================  ==========================================================
``GET  /_sim/health``                    liveness + counts
``POST /_sim/reset``                     back to the loaded scenario and its fleet size
``GET  /_sim/scenario``                  the loaded scenario (passwords masked)
``POST /_sim/scenario``                  load a scenario (``?hosts=N`` up to 50,000, else its own size)
``GET  /_sim/violations``                responses that failed validation (validate_responses mode)
``DELETE /_sim/violations``              forget them (204)
``DELETE /_sim/sessions``                log sessions out (all, or one ``surface``'s)
``GET  /_sim/objects``                   object summaries (``surface``, ``type``, ``limit``, ``offset``)
``GET  /_sim/objects/{surface}/{id}``    one object's state (surface ``get`` hook)
``PATCH /_sim/objects/{surface}/{id}``   merge changes into an object (surface ``patch`` hook)
``GET  /_sim/settings/tasks``            task durations, jitter, queue time, retention
``PUT  /_sim/settings/tasks``            replace them (until the next reset)
``GET  /_sim/tasks``                     retained tasks (``surface`` filter)
``GET  /_sim/faults``                    fault rules with counters
``POST /_sim/faults``                    add a rule (201; 422 for a fault the targets cannot answer)
``DELETE /_sim/faults``                  remove all rules (204)
``DELETE /_sim/faults/{rule_id}``        remove one rule (204; 404 if unknown)
=======================================  ==========================================================

Errors: ``{"error": code, "message": text, "detail": ...?}`` with 400 (unparseable body -- JSON
only, no ``NaN``/``Infinity``/``1e400`` -- bad query parameter or bad scenario), 404, 409, 413
(body too large, on every operation) and 422 (body fails validation, JSON types strictly).
"""

from .api import routes

__all__ = ["routes"]
