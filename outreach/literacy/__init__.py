"""Digital literacy: workshops, their sessions, enrolment, attendance and skills."""
