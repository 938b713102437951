#!/bin/sh
# Installs every Debian 12 package Switchboard needs to build, test and benchmark.
# Run as root (or through sudo). Safe to run again.
set -eu
if [ "$(id -u)" -ne 0 ]; then
    exec sudo "$0" "$@"
fi
export DEBIAN_FRONTEND=noninteractive
PACKAGES="
    build-essential cmake pkg-config git ca-certificates
    libmicrohttpd-dev libjansson-dev libsqlite3-dev sqlite3 libsodium-dev
    libcurl4-openssl-dev
    libcmocka-dev
    python3 python3-pytest python3-requests
    wrk curl
"
missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing
fi
echo "switchboard: dependencies installed"
