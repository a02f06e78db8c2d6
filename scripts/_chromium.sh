# Sourced by scripts/test after _venv.sh: a Chromium for the browser tests. One already there is
# used as it is ($CHROMIUM_PATH, Debian's /usr/bin/chromium or Playwright's own download, in the
# order tests/browser/conftest.py looks for them). Otherwise it installs Debian's package when run
# as root, or Playwright's own download when not, and says in one line when it cannot: the
# browser tests are then skipped, so a run without that line ran the whole suite.

_chromium_found() {
  if [ -n "${CHROMIUM_PATH:-}" ]; then
    [ -x "$CHROMIUM_PATH" ]
    return
  fi
  [ -x /usr/bin/chromium ] && return 0
  # Playwright's own, downloaded before: it must also start (it needs the system's libraries).
  python - <<'PY' >/dev/null 2>&1
from playwright.sync_api import sync_playwright

with sync_playwright() as playwright:
    playwright.chromium.launch(headless=True).close()
PY
}

if ! _chromium_found; then
  if [ -n "${CHROMIUM_PATH:-}" ]; then
    echo "Chromium: CHROMIUM_PATH=$CHROMIUM_PATH cannot be run: the browser tests will be skipped."
  elif [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's Chromium for the browser tests (apt-get install chromium) ..."
    if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null 2>&1 \
        || ! [ -x /usr/bin/chromium ]; then
      echo "Chromium: apt-get could not install it: the browser tests will be skipped."
    fi
  else
    echo "Downloading Playwright's Chromium for the browser tests ..."
    if ! python -m playwright install chromium >/dev/null 2>&1 || ! _chromium_found; then
      echo "Chromium: Playwright's download failed or cannot start here (as root:" \
        "apt-get install chromium): the browser tests will be skipped."
    fi
  fi
fi
