"""Clients, their programme enrolments and their designated contacts."""
