"""Tests of the digital-literacy programme: workshops, sessions, enrolment, the register."""
