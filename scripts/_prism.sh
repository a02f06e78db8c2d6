# Sourced by scripts/test: install Prism, which serves Twilio's OpenAPI description for the
# Twilio tests, into .tools/prism with npm; skipped when the same version is already there.
PRISM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PRISM_DIR="$PRISM_ROOT/.tools/prism"
PRISM_PACKAGE="@stoplight/prism-cli@5"
PRISM_STAMP="$PRISM_DIR/.installed"

if ! command -v npm >/dev/null 2>&1; then
  echo "npm not found: the Twilio-against-Prism tests will be skipped."
elif [ ! -x "$PRISM_DIR/node_modules/.bin/prism" ] \
    || [ "$(cat "$PRISM_STAMP" 2>/dev/null)" != "$PRISM_PACKAGE" ]; then
  echo "Installing Prism ($PRISM_PACKAGE) into .tools/prism ..."
  mkdir -p "$PRISM_DIR"
  if npm install --prefix "$PRISM_DIR" --no-audit --no-fund --loglevel=error \
      "$PRISM_PACKAGE" >/dev/null; then
    echo "$PRISM_PACKAGE" > "$PRISM_STAMP"
  else
    echo "Installing Prism failed: the Twilio-against-Prism tests will be skipped." >&2
  fi
fi
