"""Speed figures (`scripts/bench`) and the load test (`scripts/load`)."""
