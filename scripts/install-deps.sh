#!/bin/sh
# Installs every Debian 12 package Switchboard needs to build, test and benchmark.
# Needs root (or sudo) only when something is missing. Safe to run again.
set -eu
QUIET=0
[ "${1:-}" = "--quiet" ] && QUIET=1
PACKAGES="
    build-essential cmake pkg-config git ca-certificates
    libmicrohttpd-dev libjansson-dev libsqlite3-dev sqlite3 libsodium-dev
    libcurl4-openssl-dev libgmime-3.0-dev libgumbo-dev libcmark-gfm-dev libcmark-gfm-extensions-dev
    libcmocka-dev clang libclang-rt-14-dev
    postfix dovecot-imapd dovecot-lmtpd
    python3 python3-pytest python3-requests python3-selenium
    chromium chromium-driver fonts-liberation
    libstemmer-dev
    wrk curl procps tzdata
"
missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "switchboard: installing$missing"
    # Postfix asks nothing when preseeded; the tests run their own instances on loopback.
    echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # shellcheck disable=SC2086
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi
[ "$QUIET" = 1 ] || echo "switchboard: dependencies installed"
