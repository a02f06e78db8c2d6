"""The visitor's pages: today's round and the check-in form (work offline)."""

from flask import Blueprint

bp = Blueprint("visitor", __name__)
