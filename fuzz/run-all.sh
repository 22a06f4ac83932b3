#!/usr/bin/env bash
# Runs every fuzz target for MINUTES minutes each, one after another, and
# prints how many inputs each executed. A crash stops only its own target
# (the input is kept in artifacts/<target>/); KEEP_GOING=1 fuzzes on past
# crashes instead (libFuzzer's -fork=1 -ignore_crashes=1).
#
#   fuzz/run-all.sh 10            # ten minutes per target
#   KEEP_GOING=1 fuzz/run-all.sh 1
set -u
minutes=${1:?usage: run-all.sh MINUTES}
cd "$(dirname "$0")"
targets=(scorecard formula measurements data_csv xlsx markdown)
# -a: debug assertions and overflow checks on; -s none: no ASan (safe Rust,
# twice the executions). Run single targets with the same flags, or cargo
# fuzz rebuilds everything.
flags=(-a -s none)
extra=()
if [ "${KEEP_GOING:-0}" = 1 ]; then
    extra=(-fork=1 -ignore_crashes=1)
fi
cargo +nightly fuzz build "${flags[@]}" || exit 2
mkdir -p logs
declare -A runs status
for t in "${targets[@]}"; do
    echo "== $t: $minutes min"
    before=$(ls "artifacts/$t" 2>/dev/null | wc -l)
    cargo +nightly fuzz run "${flags[@]}" "$t" -- \
        -max_total_time=$((minutes * 60)) -timeout=10 -print_final_stats=1 "${extra[@]}" \
        >"logs/$t.log" 2>&1
    rc=$?
    found=$(( $(ls "artifacts/$t" 2>/dev/null | wc -l) - before ))
    if [ $rc = 0 ] && [ $found = 0 ]; then
        status[$t]=ok
    else
        status[$t]="FAILED: exit $rc, $found new in fuzz/artifacts/$t/ (log: fuzz/logs/$t.log)"
    fi
    # Final stats; in fork mode the last status line (#N) instead.
    n=$(grep -o 'stat::number_of_executed_units: [0-9]*' "logs/$t.log" | tail -1 | grep -o '[0-9]*$')
    if [ -z "$n" ]; then
        n=$(grep -o '^#[0-9]*' "logs/$t.log" | tail -1 | tr -d '#')
    fi
    runs[$t]=${n:-?}
    echo "   ${runs[$t]} executions, ${status[$t]}"
done
echo
printf '%-14s %14s  %s\n' target executions result
for t in "${targets[@]}"; do
    printf '%-14s %14s  %s\n' "$t" "${runs[$t]}" "${status[$t]}"
done
