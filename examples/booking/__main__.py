# SPDX-License-Identifier: Apache-2.0
"""``python -m examples.booking``: serve the demo. Every option also has a ``DEMO_*``
environment variable (see config.py); ``make demo`` sets them up for you."""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn

from .app import create_app
from .config import from_environment


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m examples.booking", description=__doc__)
    parser.add_argument("--calgate-url", dest="calgate_url")
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.add_argument("--data-dir", dest="data_dir", type=Path)
    args = parser.parse_args()
    config = from_environment(**vars(args))
    if not config.client_id:
        parser.error(f"no client credentials: set DEMO_CLIENT_ID/DEMO_CLIENT_SECRET or run `make demo` ({config.data_dir}/app.json)")
    uvicorn.run(create_app(config), host=config.host, port=config.port, log_level="warning")


if __name__ == "__main__":
    main()
