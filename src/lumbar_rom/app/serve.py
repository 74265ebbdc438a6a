"""``python -m lumbar_rom.app.serve [streamlit options]``: ``streamlit run streamlit_app.py`` that
never asks an outside host for this machine's address (``make run`` uses it).

Streamlit looks up the machine's external address (a request to checkip.amazonaws.com) in two
places: when it prints its URLs in headless mode without ``server.address`` (our
``.streamlit/config.toml`` sets 127.0.0.1, so that one is never reached) and when a WebSocket
arrives from a foreign origin, to see whether that origin is this machine. The second cannot be
turned off by a setting; this launcher makes the lookup answer "none" at once before the server
starts (a foreign origin is then refused, as it would be anyway). The same for the
internal-address lookup (a UDP "connect" to 8.8.8.8). A network deployment names its address with
``browser.serverAddress`` (README, "Clinic"). ``app.main.run`` does the same
from the first page run for a server started with plain ``streamlit run``.
"""

from __future__ import annotations

import sys
from pathlib import Path

APP = Path(__file__).resolve().parents[3] / "streamlit_app.py"


def no_external_address_lookup() -> None:
    """Streamlit's external- and internal-address lookups return ``None`` without a request (the
    internal one "connects" a UDP socket to 8.8.8.8 to read the route: no packet, but a
    connection attempt off the machine all the same)."""
    from streamlit import net_util

    net_util.get_external_ip = lambda: None
    net_util.get_internal_ip = lambda: None


def main(argv: list[str] | None = None) -> None:
    no_external_address_lookup()
    from streamlit.web import cli

    app = APP if APP.is_file() else Path("streamlit_app.py")
    sys.argv = ["streamlit", "run", str(app), *(sys.argv[1:] if argv is None else argv)]
    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main()
