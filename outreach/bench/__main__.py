"""`python -m outreach.bench`: see `outreach.bench.run`."""

from outreach.bench.run import main

main()
