#!/usr/bin/env bash
# Benchmark of `gcexport import`: the simulator writes a Garmin data export of about 2 GB
# (5,000 activities, each FIT padded with ~460 KiB of skippable messages so the size is
# realistic for the activity count), then the import runs on it. Prints the import's peak
# resident memory (whole process, GNU time's maximum RSS) and wall time. Target: peak RSS
# under 100 MB. Not part of `make test`; run it with `make bench-import`.
#
# Knobs: BENCH_IMPORT_ACTIVITIES (5000), BENCH_IMPORT_FIT_PADDING_KIB (460),
# BENCH_IMPORT_FORMATS (original,gpx), BENCH_BIN (target/release). Needs ~8 GB of free disk
# in $TMPDIR for the export, the backup and one decompressed nested part.
set -euo pipefail

activities=${BENCH_IMPORT_ACTIVITIES:-5000}
padding_kib=${BENCH_IMPORT_FIT_PADDING_KIB:-460}
formats=${BENCH_IMPORT_FORMATS:-original,gpx}
bin=${BENCH_BIN:-target/release}

if ! env time -f %M true >/dev/null 2>&1; then
    echo "bench-import needs GNU time (apt-get install time)" >&2
    exit 2
fi

work=$(mktemp -d -t gcexport-bench-import.XXXXXX)
trap 'rm -rf "$work"' EXIT

start=$(date +%s.%N)
"$bin/garmin-sim" --activities "$activities" --seed 1 --quiet \
    --export-fit-padding-kib "$padding_kib" --write-export "$work/export.zip" >/dev/null
written=$(date +%s.%N)
size=$(stat -c %s "$work/export.zip")

env time -f '%M %e' -o "$work/time" \
    "$bin/gcexport" import "$work/export.zip" -d "$work/backup" -f "$formats" 2>"$work/log" || {
    cat "$work/log" >&2
    exit 1
}
read -r rss_kib wall <"$work/time"
backup=$(du -sb "$work/backup" | cut -f1)

awk -v size="$size" -v acts="$activities" -v fmts="$formats" -v rss="$rss_kib" \
    -v wall="$wall" -v backup="$backup" -v start="$start" -v written="$written" 'BEGIN {
    gen = written - start
    printf "bench-import: export %.2f GB (%d activities, written in %.0f s), formats %s\n", size / 1e9, acts, gen, fmts
    printf "bench-import: peak RSS %.1f MB (target < 100), wall %.1f s, %.1f MB/s, backup %.2f GB\n", rss * 1024 / 1e6, wall, size / 1e6 / wall, backup / 1e9
    printf "import_peak_rss_mb=%.1f import_wall_s=%.1f import_export_gb=%.2f\n", rss * 1024 / 1e6, wall, size / 1e9
}'
grep -E '^export:' "$work/log" || true

# For `make bench`'s BENCHMARKS.md.
if [ -n "${BENCH_OUT:-}" ]; then
    awk -v size="$size" -v acts="$activities" -v fmts="$formats" -v rss="$rss_kib" \
        -v wall="$wall" 'BEGIN {
        printf "{\"export_bytes\":%d,\"activities\":%d,\"formats\":\"%s\",\"peak_rss_kib\":%d,\"wall_s\":%s}\n", size, acts, fmts, rss, wall
    }' >"$BENCH_OUT/import.json"
fi
