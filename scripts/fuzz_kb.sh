#!/bin/sh
# Builds and runs the knowledge-base text fuzzer (fuzz/fuzz_kb_text.c: sb_kb_terms for every
# locale, edit distance, macro validation and expansion) with clang, libFuzzer, ASan, UBSan.
#   scripts/fuzz_kb.sh [SECONDS]   run time, default 300
# Output in build-fuzz-kb/ (corpus kept between runs, crashes/). Non-zero exit on a finding.
set -eu
cd "$(dirname "$0")/.."
RUN_SECONDS="${1:-300}"
CC="${FUZZ_CC:-$(command -v clang-14 || echo clang)}"
OUT=build-fuzz-kb
mkdir -p "$OUT/corpus" "$OUT/crashes" "$OUT/seeds"
printf '\000How do I reset my passwords?' > "$OUT/seeds/en"
printf '\001Как вернуть заказы? Ёлка' > "$OUT/seeds/ru"
printf '\002Їжак Ґанок повернути' > "$OUT/seeds/uk"
printf '\003Hi {{contact.name}}, see {{article:12}} {{ agent.first_name }} {{bad' > "$OUT/seeds/macro"
"$CC" -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Isrc \
    fuzz/fuzz_kb_text.c src/core/kb_text.c src/core/macro.c src/util/buf.c src/util/utf8.c -lstemmer -o "$OUT/fuzz_kb_text"
"$OUT/fuzz_kb_text" -max_total_time="$RUN_SECONDS" -max_len=4096 -timeout=10 \
    -artifact_prefix="$OUT/crashes/" "$OUT/corpus" "$OUT/seeds"
