"""API: appointments and prescriptions."""
