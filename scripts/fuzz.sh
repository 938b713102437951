#!/bin/sh
# Builds the email ingest fuzzer (fuzz/fuzz_ingest.c) with clang, libFuzzer, ASan and UBSan,
# seeds it with the email corpora of ../shared/data and runs it. See fuzz/README.md.
#   scripts/fuzz.sh [SECONDS]      run time, default 600 (or FUZZ_SECONDS)
#   SB_SHARED_DATA=DIR             where the email-* folders are (default ../shared/data)
#   FUZZ_CC=clang-14               compiler
#   FUZZ_ARGS="-jobs=2 ..."        extra libFuzzer options
# Everything goes to build-fuzz/: the binary, seeds/ (copied, never the repository's
# files), corpus/ (what the fuzzer learnt; kept between runs) and crashes/.
# Exits non-zero when the fuzzer finds a crash, a leak or a timeout.
set -eu
cd "$(dirname "$0")/.."

RUN_SECONDS="${1:-${FUZZ_SECONDS:-600}}"
DATA="${SB_SHARED_DATA:-../shared/data}"
OUT=build-fuzz
if [ -n "${FUZZ_CC:-}" ]; then
    CC="$FUZZ_CC"
elif command -v clang-14 >/dev/null 2>&1; then
    CC=clang-14
else
    CC=clang
fi

# The ingest path: the MIME parser, the HTML sanitiser and the util files they include.
SRCS="src/channels/email/mime.c src/channels/email/html.c"
for f in $SRCS; do
    if [ ! -f "$f" ]; then
        echo "fuzz.sh: $f is missing" >&2
        exit 2
    fi
done
UTIL=$(grep -ho '#include "util/[a-z_]*\.h"' $SRCS | sed 's/.*"util\/\(.*\)\.h"/src\/util\/\1.c/' | sort -u)
for f in $UTIL; do
    [ -f "$f" ] && SRCS="$SRCS $f"
done

mkdir -p "$OUT/seeds" "$OUT/corpus" "$OUT/crashes"
CFLAGS="-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
 -Wall -Wextra -Wno-unused-parameter -Isrc $(pkg-config --cflags gmime-3.0 gumbo)"
LIBS="$(pkg-config --libs gmime-3.0 gumbo) -lpthread"
echo "fuzz.sh: building $OUT/fuzz_ingest from fuzz/fuzz_ingest.c $SRCS"
# shellcheck disable=SC2086
"$CC" $CFLAGS -o "$OUT/fuzz_ingest" fuzz/fuzz_ingest.c $SRCS $LIBS

# Seeds: every email file under 256 KiB (the -max_len), flattened into one folder.
if [ -d "$DATA" ]; then
    for dir in "$DATA"/email-*; do
        [ -d "$dir" ] || continue
        find "$dir" -type f -size -256k | while IFS= read -r f; do
            name=$(printf '%s' "${f#"$DATA"/}" | tr '/ ' '__')
            [ -f "$OUT/seeds/$name" ] || cp "$f" "$OUT/seeds/$name"
        done
    done
    n=$(find "$OUT/seeds" -type f | wc -l)
    echo "fuzz.sh: $n seed files from $DATA"
else
    echo "fuzz.sh: $DATA not found; starting from an empty corpus" >&2
fi

# A dictionary of MIME tokens helps the fuzzer past header and boundary syntax.
cat >"$OUT/ingest.dict" <<'EOF'
"From: "
"To: "
"Cc: "
"Subject: "
"Message-ID: <"
"In-Reply-To: "
"References: "
"Date: "
"MIME-Version: 1.0"
"Content-Type: "
"Content-Transfer-Encoding: "
"Content-Disposition: "
"Content-ID: <"
"multipart/mixed"
"multipart/alternative"
"multipart/related"
"multipart/report"
"report-type=delivery-status"
"message/rfc822"
"message/delivery-status"
"text/rfc822-headers"
"text/plain"
"text/html"
"text/calendar"
"application/ms-tnef"
"boundary="
"charset="
"name="
"filename="
"filename*0*="
"filename*1*="
"utf-8''"
"quoted-printable"
"base64"
"=?utf-8?q?"
"=?utf-8?b?"
"=?iso-2022-jp?B?"
"?="
"\x0d\x0a"
"\x0d"
"\x0a\x0a"
"\x0a--"
"--\x0a"
"Final-Recipient: rfc822; "
"Status: 5.1.1"
"Action: failed"
"Auto-Submitted: auto-replied"
"Precedence: bulk"
"MAILER-DAEMON"
"<img src=\"cid:"
"<blockquote>"
"<script>"
"On Mon, 1 Jan 2024, Bob wrote:"
"-----Original Message-----"
"> "
EOF

# A smaller ASan quarantine keeps the resident size well under -rss_limit_mb on long runs.
ASAN_OPTIONS="${ASAN_OPTIONS:-quarantine_size_mb=64:detect_leaks=1}"
UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export ASAN_OPTIONS UBSAN_OPTIONS
echo "fuzz.sh: fuzzing for $RUN_SECONDS s; crashes go to $OUT/crashes/"
# shellcheck disable=SC2086
"$OUT/fuzz_ingest" -max_total_time="$RUN_SECONDS" -max_len=262144 -rss_limit_mb=2048 \
    -timeout=10 -dict="$OUT/ingest.dict" -artifact_prefix="$OUT/crashes/" \
    -print_final_stats=1 ${FUZZ_ARGS:-} "$OUT/corpus" "$OUT/seeds"
