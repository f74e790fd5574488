#!/usr/bin/env bash
# Installs Debian's chromium (headless Chromium for the report page's test, scripts/report) when
# it is missing. Idempotent: does nothing when chromium is on PATH. Needs root (apt-get); runs
# apt-get update once, only when it has to install.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-chromium: chromium is missing; run as root (apt-get install chromium), or install it yourself" >&2
	exit 1
fi
echo "install-chromium: apt-get install chromium"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
chromium --version
