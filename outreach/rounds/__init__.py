"""Rounds: the clients visited on one postal walk, with a default visitor and days."""
