"""Keep MediaPipe offline: its usage-statistics upload is routed to a proxy that cannot exist.

MediaPipe 0.10.35 and later (1.2.3 included) build a libcurl client in every ``TaskRunner`` that
POSTs usage statistics to ``https://play.googleapis.com/log`` when a landmarker closes and every
60 s while it runs, from the library's own thread. The library has no option or environment
variable that turns this off (checked in its symbols, its Python options and every ``getenv`` it
makes), but the client sets no ``CURLOPT_PROXY``, so libcurl honours the proxy variables: pointed
at ``127.0.0.1:0`` the upload becomes one local ``connect`` that fails at once; no DNS query, no
packet leaves the machine. ``NO_PROXY`` is set to the loopback names only, so a user's
``NO_PROXY=*`` cannot bypass the dead proxy while local servers (Streamlit, Ray's gRPC) still
connect directly. The values are never restored: the upload reads the environment each time it
runs, long after the landmarker was created. Proven by tests/integration/test_no_network.py.
"""

from __future__ import annotations

import os

DEAD_PROXY = "http://127.0.0.1:0"
LOOPBACK = "localhost,127.0.0.1,::1"
PROXY_VARS = ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")
NO_PROXY_VARS = ("no_proxy", "NO_PROXY")


def block_telemetry() -> None:
    """Point libcurl's HTTPS proxy at a port that cannot exist (this process and its children)."""
    for var in PROXY_VARS:
        os.environ[var] = DEAD_PROXY
    for var in NO_PROXY_VARS:
        os.environ[var] = LOOPBACK


block_telemetry()  # on import: before any landmarker of this process exists
