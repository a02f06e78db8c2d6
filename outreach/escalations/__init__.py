"""Escalations: needs routed to the organisations and contacts who deal with them."""
