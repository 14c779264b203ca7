"""Parsing of query parameters that pydantic does not type for us: the kit's, one way for
every service's lists."""

from __future__ import annotations

from oms_kit.paging import parse_when

__all__ = ["parse_when"]
