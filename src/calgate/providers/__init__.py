# SPDX-License-Identifier: Apache-2.0
"""Provider adapters behind domain.calendar_sources.CalendarSource."""
