#!/usr/bin/env bash
# One leg of a fuzzing campaign: runs one already-built target (build-fuzz)
# at low priority for SECONDS of wall time on its growing campaign corpus
# (build-fuzz/campaign/<target>, seeded from fuzz/corpus/<target>), and
# appends a line (end time, target, wall and CPU seconds, executions, cov,
# ft, new corpus files, finding) to build-fuzz/campaign/legs.tsv (fuzz/CAMPAIGN.md is written
# from that file). A finding is saved as build-fuzz/campaign/findings/<target>-*.
#   fuzz/campaign.sh TARGET SECONDS [extra libFuzzer flags]
# CPU_BUDGET=S stops the leg (SIGINT, as libFuzzer expects) once the fuzzer has
# used S CPU-seconds, so legs sharing a loaded machine add up to a known total.
set -uo pipefail
cd "$(dirname "$0")/.."
target=$1 seconds=$2
shift 2
declare -A max_len=([message]=4096 [query_path]=4096 [zone_file]=8192 [config]=4096 [validator]=8192
                    [resolver_response]=16384 [cache_file]=8192)
dir=build-fuzz/campaign
corpus=$dir/$target
mkdir -p "$corpus" "$dir/findings"
log=$dir/$target-$(date -u +%H%M%S).log
dict=()
[[ $target == zone_file || $target == config || $target == cache_file ]] || dict=(-dict=fuzz/dns.dict)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
/usr/bin/time -f 'cpu_seconds %U %S %e' -o "$log.time" \
  nice -n "${NICE:-10}" "build-fuzz/fuzz/fuzz_$target" "$corpus" "fuzz/corpus/$target" "${dict[@]}" \
  -max_total_time="$seconds" -max_len="${max_len[$target]}" -timeout=20 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$dir/findings/$target-" "$@" >"$log" 2>&1 &
time_pid=$!
if [[ -n ${CPU_BUDGET:-} ]]; then
  hz=$(getconf CLK_TCK)
  (
    while kill -0 "$time_pid" 2>/dev/null; do
      sleep 5
      fuzzer=$(pgrep -P "$time_pid" | head -1)
      [[ -n $fuzzer ]] || continue
      ticks=$(sed 's/.*) //' "/proc/$fuzzer/stat" 2>/dev/null | awk '{print $12 + $13}')
      if [[ -n $ticks ]] && ((ticks >= CPU_BUDGET * hz)); then kill -INT "$fuzzer"; break; fi
    done
  ) &
fi
wait "$time_pid"
status=$?
cpu=$(awk '/^cpu_seconds/ {printf "%.0f", $2 + $3}' "$log.time")
wall=$(awk '/^cpu_seconds/ {printf "%.0f", $4}' "$log.time")
execs=$(awk '/^stat::number_of_executed_units/ {print $2}' "$log")
last=$(grep -E '^#[0-9]+' "$log" | tail -1)
cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
finding=none
grep -q 'libFuzzer: run interrupted' "$log" && status=0  # stopped early with SIGINT
if ((status != 0)) || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' "$log"; then
  finding=$(grep -E 'Test unit written|ERROR:|runtime error:' "$log" | head -2 | tr '\t\n' '  ')
fi
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$target" "${wall:-?}" "${cpu:-?}" \
  "${execs:-?}" "${cov:-?}" "${ft:-?}" "$(ls "$corpus" | wc -l)" "$finding" >>"$dir/legs.tsv"
tail -1 "$dir/legs.tsv"
exit "$status"
