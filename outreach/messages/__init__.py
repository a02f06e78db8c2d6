"""Messages: every SMS in or out, its status history, opt-outs and what clients text in."""
