# SPDX-License-Identifier: Apache-2.0
"""The domain: applications, accounts, authorization, access modes and the connect flow.

It owns every decision calgate makes and knows nothing of HTTP, SQL or providers: it works on
plain objects (``model``) and reaches storage and the job queue only through the protocols in
``ports``. The import-linter contract in ``pyproject.toml`` keeps it that way.
"""
