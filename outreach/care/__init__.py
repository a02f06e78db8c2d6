"""Appointments to remind clients of and prescriptions to deliver to them."""
