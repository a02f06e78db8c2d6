"""Programmes: a Call & Check scheme or a digital-literacy programme, run by an operator."""
