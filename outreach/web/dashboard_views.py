"""The coordinator's dashboard: today's rounds, missed visits, no-answers, clients not seen."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__)
