# SPDX-License-Identifier: Apache-2.0
"""calgate: a self-hosted calendar connection service, wire-compatible with Cronofy's v1 API."""

__version__ = "0.1.0"
