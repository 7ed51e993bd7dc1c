# Sourced by the bench scripts (compare.sh, hosting.sh, syscalls.sh,
# profile.sh, signing.sh), not run on its own: what they all do the same way.
# Option parsing from a table, the tool checks, the work folder, the log
# line, stopping a server with every child, and CPU seconds from /proc.
# The caller sets bench_name (its own file name, for messages) first.

# A pyenv shim can take seconds to start on a loaded machine: prefer the
# system interpreter (the generators need only the standard library).
python=python3
[ -x /usr/bin/python3 ] && python=/usr/bin/python3

log() { echo "[$bench_name $(date -u +%H:%M:%S)] $*" >&2; }
die() { echo "$bench_name: $*" >&2; exit 1; }

# parse_options SPEC... -- ARG... : sets the caller's variables from its
# command line. Each SPEC is OPTION=VARIABLE (the option takes a value) or
# OPTION=VARIABLE:VALUE (a flag: VARIABLE gets VALUE). -h/--help prints the
# caller's usage and exits 0; anything else is an error naming the option.
parse_options() {
  local -A takes=() flag=()
  local spec opt target
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    spec=$1; shift
    opt=${spec%%=*} target=${spec#*=}
    if [[ "$target" == *:* ]]; then flag[$opt]=$target; else takes[$opt]=$target; fi
  done
  [ $# -gt 0 ] && shift
  while [ $# -gt 0 ]; do
    opt=$1
    if [ -n "$opt" ] && [ -n "${takes[$opt]:-}" ]; then
      [ $# -ge 2 ] || { echo "$bench_name: option '$opt' needs a value" >&2; usage >&2; exit 2; }
      printf -v "${takes[$opt]}" '%s' "$2"
      shift
    elif [ -n "$opt" ] && [ -n "${flag[$opt]:-}" ]; then
      printf -v "${flag[$opt]%%:*}" '%s' "${flag[$opt]#*:}"
    else
      case $opt in
        -h|--help) usage; exit 0 ;;
        *) echo "$bench_name: unknown option '$opt'" >&2; usage >&2; exit 2 ;;
      esac
    fi
    shift
  done
}

# require_tools TOOL... : exits naming the first one missing.
require_tools() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || die "'$tool' is not installed"
  done
}

# require_servers "LIST" : the servers named in LIST are installed; flatns_bin
# (when flatns is listed) is made absolute.
require_servers() {
  case " $1 " in *" nsd "*) command -v nsd >/dev/null || die "nsd is not installed" ;; esac
  case " $1 " in *" knot "*) command -v knotd >/dev/null || die "knotd is not installed" ;; esac
  case " $1 " in *" flatns "*) require_flatns ;; esac
}
require_flatns() {
  [ -x "$flatns_bin" ] || die "flatns binary '$flatns_bin' not found (build it: cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build --target flatns)"
  flatns_bin=$(cd "$(dirname "$flatns_bin")" && pwd)/$(basename "$flatns_bin")
}

# make_work KEEP PREFIX : sets work to KEEP (made, kept) or to a new temp
# folder under $TMPDIR, removed on exit by bench_cleanup.
make_work() {
  bench_keep=$1
  if [ -n "$bench_keep" ]; then
    mkdir -p "$bench_keep"; work=$(cd "$bench_keep" && pwd)
  else
    work=$(mktemp -d "${TMPDIR:-/tmp}/$2.XXXXXX")
  fi
}

# Every process the script started (started_pids), and their children (NSD
# forks), is stopped on any exit; the work folder goes unless kept.
started_pids=()
descendants() {
  local pid=$1 child
  echo "$pid"
  for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do descendants "$child"; done
}
stop_server() {
  local pid=$1 all p i
  all=$(descendants "$pid")
  kill -TERM $all 2>/dev/null || true
  for i in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  for p in $all; do kill -KILL "$p" 2>/dev/null || true; done
  wait "$pid" 2>/dev/null || true
}
stop_all() {
  local pid
  for pid in "${started_pids[@]}"; do stop_server "$pid"; done
  started_pids=()
}
bench_cleanup() {
  stop_all
  if [ -z "${bench_keep:-}" ] && [ -n "${work:-}" ]; then rm -rf "$work"; fi
}
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# CPU seconds (utime+stime) of a process tree, from /proc/PID/stat; the
# process's own line sums all of its threads.
clk_tck=$(getconf CLK_TCK)
cpu_seconds() {
  local ticks=0 p stat rest
  for p in $(descendants "$1"); do
    stat=$(cat /proc/"$p"/stat 2>/dev/null) || continue
    rest=${stat##*) }                 # fields from 3 on (the name may hold spaces)
    set -- $rest
    ticks=$((ticks + ${12} + ${13}))  # fields 14 utime, 15 stime
  done
  awk -v t="$ticks" -v hz="$clk_tck" 'BEGIN { printf "%.2f\n", t / hz }'
}
# The same with the CPU time of children that have already exited (fields 16
# cutime, 17 cstime): a server that forks and reaps while it loads.
cpu_seconds_reaped() {
  local ticks=0 p stat rest
  for p in $(descendants "$1"); do
    stat=$(cat /proc/"$p"/stat 2>/dev/null) || continue
    rest=${stat##*) }
    set -- $rest
    ticks=$((ticks + ${12} + ${13} + ${14} + ${15}))
  done
  awk -v t="$ticks" -v hz="$clk_tck" 'BEGIN { printf "%.2f\n", t / hz }'
}

now_ns() { date +%s%N; }
# since START_NS : seconds since then, two decimals.
since() { awk -v now="$(now_ns)" -v start="$1" 'BEGIN { printf "%.2f\n", (now - start) / 1e9 }'; }
