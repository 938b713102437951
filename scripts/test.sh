#!/bin/sh
# Runs every test: unit (cmocka) and end-to-end (pytest against real server processes),
# first in the normal build, then in the AddressSanitizer + UndefinedBehaviorSanitizer build.
#   SB_TEST_BUILDS="normal asan" (default) chooses the builds.
set -eu
cd "$(dirname "$0")/.."
"$(pwd)/scripts/install-deps.sh" --quiet
JOBS="$(nproc)"
for kind in ${SB_TEST_BUILDS:-normal asan}; do
    case "$kind" in
        normal) dir=build; flags="-DSB_SANITIZE=OFF" ;;
        asan) dir=build-asan; flags="-DSB_SANITIZE=ON" ;;
        *) echo "unknown build $kind" >&2; exit 2 ;;
    esac
    echo "== $kind build ($dir)"
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSB_TESTS=ON $flags >/dev/null
    cmake --build "$dir" -j"$JOBS"
    ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
        ctest --test-dir "$dir" --output-on-failure
done
