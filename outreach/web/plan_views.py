"""Coordinator pages for rounds, visit plans, pauses and holiday cover."""

from flask import Blueprint

bp = Blueprint("plans", __name__)
