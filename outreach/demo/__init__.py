"""The fictional demo: `outreach seed-demo` and the builders it uses."""
