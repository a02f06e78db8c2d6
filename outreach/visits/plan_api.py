"""API: visit plans, pauses, round cover and due lists."""
