"""Keep MediaPipe offline: its usage-statistics upload is routed to a proxy that cannot exist.

MediaPipe 0.10.35 and later (1.2.3 included) build a libcurl client in every ``TaskRunner`` that
POSTs usage statistics to ``https://play.googleapis.com/log`` when a landmarker closes and every
60 s while it runs, from the library's own thread. The library has no option or environment
variable that turns this off (checked in its symbols, its Python options and every ``getenv`` it
makes), but the client sets no ``CURLOPT_PROXY``, so libcurl honours the proxy variables: pointed
at ``127.0.0.1:0`` the upload becomes one local ``connect`` that fails at once; no DNS query, no
packet leaves the machine. ``NO_PROXY`` is set to the loopback names only, so a user's
``NO_PROXY=*`` cannot bypass the dead proxy while local servers (Streamlit, Ray's gRPC) still
connect directly. Proven by tests/integration/test_no_network.py.

When: :func:`block_telemetry` runs just before a landmarker is created
(``lumbar_rom.pose.estimator._create``, the one place every landmarker and person mask of the
product is made), never at import: importing a ``lumbar_rom`` module changes no environment
variable (tests/integration/test_import_side_effects.py). A process that never measures a video
(``make test-data``'s ``pip download``, a CLI command that only reads the store) keeps its
proxy settings as they were.

Why the values then stay set: the upload reads the environment each time it runs, in the
library's own thread, long after the landmarker was created (every 60 s, and at close), so
restoring them after creation would reopen the leak. The cost: in a process that has created a
landmarker, an HTTPS client sees the dead proxy, and so do the child processes it starts with
the inherited environment. The product starts no child that needs the network (its only children
are the batch workers, which create landmarkers themselves); code that ever does must pass
``env=network_env()``, the environment with the user's own proxy settings as they were before
the first landmarker.
"""

from __future__ import annotations

import os
import threading

DEAD_PROXY = "http://127.0.0.1:0"
LOOPBACK = "localhost,127.0.0.1,::1"
PROXY_VARS = ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")
NO_PROXY_VARS = ("no_proxy", "NO_PROXY")

_lock = threading.Lock()
_before: dict[str, str | None] | None = None  # the user's values, saved at the first block


def block_telemetry() -> None:
    """Point libcurl's HTTPS proxy at a port that cannot exist, for the life of this process.

    Called before each landmarker is created (again each time: the caller may have changed the
    environment meanwhile); the values in place at the first call are kept for
    :func:`network_env`. A variable that already holds its value is not written again: a live
    landmarker's upload thread may be reading the environment (``setenv`` racing ``getenv``)."""
    global _before
    wanted = {**dict.fromkeys(PROXY_VARS, DEAD_PROXY), **dict.fromkeys(NO_PROXY_VARS, LOOPBACK)}
    with _lock:
        if _before is None:
            _before = {v: os.environ.get(v) for v in wanted}
        for var, value in wanted.items():
            if os.environ.get(var) != value:
                os.environ[var] = value


def is_blocked() -> bool:
    """True once :func:`block_telemetry` has run in this process."""
    return _before is not None


def network_env() -> dict[str, str]:
    """A copy of ``os.environ`` for a child process that needs the network: the proxy variables
    as they were before the first :func:`block_telemetry` (the user's own), the rest as now."""
    env = dict(os.environ)
    with _lock:
        saved = dict(_before) if _before is not None else {}
    for var, value in saved.items():
        if value is None:
            env.pop(var, None)
        else:
            env[var] = value
    return env
