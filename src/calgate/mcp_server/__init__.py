# SPDX-License-Identifier: Apache-2.0
"""calgate's MCP server (``calgate mcp``): tools through which an AI assistant lists calendars,
reads free/busy, finds availability, creates, updates and cancels events and makes Real-Time
Scheduling links, built on the official MCP Python SDK (the ``mcp`` package).

A thin layer beside ``api/``: each tool parses its arguments, calls the domain functions the
HTTP API calls, in a unit of work of ``calgate.services``, and shapes the answer. It owns no
rule of its own about who may see or change what: the credential's scopes
(``authorization.Caller.require``) and the account's access mode (``access_modes``) decide, as
for the API, and writes go through ``events`` and the durable job queue.

- ``credentials``: who is asking (an account's access token, or an application's API key);
- ``errors``: domain errors as clear tool errors;
- ``inputs``: the tools' arguments into the API's parameters (times in a zone, periods);
- ``tools_read`` / ``tools_write``: the tools;
- ``server``: the ``MCPServer``, over stdio or streamable HTTP (bearer per request).

Named ``mcp_server``, not ``mcp``: nothing would be shadowed (imports are absolute), but
``from calgate import mcp`` beside the SDK's ``import mcp`` would be two things of one name.
"""
