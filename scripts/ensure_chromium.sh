#!/usr/bin/env bash
# The browser tests (tests/browser/) drive Debian's chromium at /usr/bin/chromium. When it is
# missing, bring one once and say so: Debian's package through apt-get where we may (as root, or
# with password-less sudo), else Playwright's own build (tests/browser/conftest.py then launches
# that one). Nothing is printed when a chromium is already there.
set -euo pipefail

# TT_CHROMIUM: another path to look for (used to try this script on a machine that has one).
[ -x "${TT_CHROMIUM:-/usr/bin/chromium}" ] && exit 0
stamp=".venv/.playwright-chromium"
[ -f "$stamp" ] && exit 0

if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    sudo=(none)
  fi
  if [ "${sudo[0]:-}" != none ]; then
    echo "make: /usr/bin/chromium is missing; installing Debian's chromium (apt-get install chromium) for the browser tests."
    if "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq chromium >/dev/null; then
      exit 0
    fi
    echo "make: apt-get could not install chromium; trying Playwright's build instead."
  fi
fi

echo "make: /usr/bin/chromium is missing; installing Playwright's chromium (playwright install chromium) for the browser tests."
.venv/bin/playwright install chromium
touch "$stamp"
