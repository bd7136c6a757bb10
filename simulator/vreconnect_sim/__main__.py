"""``python -m vreconnect_sim serve ...``: see :func:`vreconnect_sim.server.main`."""

from .server import main

raise SystemExit(main())
