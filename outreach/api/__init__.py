"""The JSON API under /api/v1: bearer-token auth, validated input, one error format, OpenAPI."""

from outreach.api.core import api, endpoint, paginate

__all__ = ["api", "endpoint", "paginate"]
