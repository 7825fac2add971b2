# SPDX-License-Identifier: Apache-2.0
"""Server-rendered pages: the connect flow people go through (``connect``) and the developer
dashboard (``dashboard``). Shared page plumbing (templates, CSRF, flashes) is in ``pages``."""
