#!/bin/sh
# Builds Switchboard and starts it on an embedded SQLite database, creating the first admin
# account on the first run (credentials printed once).
#   SB_DATA (./data)  SB_LISTEN (127.0.0.1:8080)
#   SB_ADMIN_EMAIL (admin@example.com)  SB_ADMIN_PASSWORD (generated when unset)
set -eu
cd "$(dirname "$0")/.."
"$(pwd)/scripts/install-deps.sh" --quiet
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSB_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
DATA="${SB_DATA:-./data}"
LISTEN="${SB_LISTEN:-127.0.0.1:8080}"
EMAIL="${SB_ADMIN_EMAIL:-admin@example.com}"
PASSWORD="${SB_ADMIN_PASSWORD:-$(head -c 18 /dev/urandom | base64 | tr -d '/+=')}"
if out=$(printf '%s\n' "$PASSWORD" | ./build/switchboard user add --data "$DATA" --email "$EMAIL" \
        --name "Administrator" --role admin --password-stdin 2>&1); then
    echo "switchboard: created the admin account $EMAIL"
    if [ -z "${SB_ADMIN_PASSWORD:-}" ]; then
        echo "switchboard: its password is $PASSWORD  (shown once; change it after logging in)"
    fi
else
    case "$out" in
        *exists*) ;; # a later start: the account is there already
        *) echo "$out" >&2; exit 1 ;;
    esac
fi
echo "switchboard: serving http://$LISTEN  (data in $DATA; Ctrl-C stops)"
exec ./build/switchboard serve --data "$DATA" --listen "$LISTEN"
