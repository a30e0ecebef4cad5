#!/usr/bin/env bash
# The browser tests drive Debian's Chromium with Playwright (browsers are never downloaded
# by Playwright itself). Install it when missing and apt is usable.
set -uo pipefail
if command -v chromium >/dev/null; then exit 0; fi
if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "installing Debian's chromium for the browser tests"
  apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }
fi
command -v chromium >/dev/null || echo "chromium is not installed: the browser tests will fail with this reason"
exit 0
