"""Appointments and prescriptions pages for coordinators and pharmacies."""

from flask import Blueprint

bp = Blueprint("care", __name__)
