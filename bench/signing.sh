#!/usr/bin/env bash
# Zone signing speed (issue 14): flatns signing a zone at load against
# ldns-signzone (and dnssec-signzone from bind9-utils) on the same zone and
# the same key. Not a test: timing never decides pass or fail. Builds
# nothing; pass a Release flatns.
#
# The zone is bench/gen.py's layout (--records records, default 100k); the
# key one CSK made by `flatns keygen` (ecdsap256sha256 unless --algorithm),
# which the other signers read as it is (BIND's key format). Each round, in
# turn:
#   flatns         `flatns serve` with `dnssec: {signing: online}`: time from
#                  exec until the zone's last host answers with its A and an
#                  RRSIG (kdig +dnssec polled every 10 ms), and the CPU
#                  seconds of the process by then; it signs every RRset and
#                  an NSEC at every name (compact denial) in as many threads
#                  as there are CPUs before it serves;
#   flatns-plain   the same zone unsigned, first correct answer: what loading
#                  costs without signing (the difference is the signing);
#   ldns-signzone  NSEC chain, one thread: wall and CPU (user+system) time of
#                  the command, output written to a file;
#   dnssec-signzone  -S -z, NSEC chain, its default threads (one per CPU).
# Medians over --rounds are printed, with the ratios of the others' time to
# flatns's (above 1: flatns is faster).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
bench_name=signing.sh
. "$here/lib.sh"

flatns_bin="$root/build/server/flatns"
records=100000
rounds=3
algorithm=ecdsap256sha256
port=27950
signers="flatns flatns-plain ldns-signzone dnssec-signzone"
keep=""

usage() {
  cat <<EOF
usage: bench/signing.sh [options]
  --flatns PATH        flatns binary (default: build/server/flatns, build it in Release)
  --records N          records in the zone (default $records)
  --rounds N           rounds, each running every signer in turn; medians printed (default $rounds)
  --algorithm A        of the key made by flatns keygen: ecdsap256sha256, ecdsap384sha384,
                       ed25519, ed448 (default $algorithm)
  --signers "LIST"     of: flatns flatns-plain ldns-signzone dnssec-signzone (default "$signers")
  --port P             UDP/TCP port of flatns on 127.0.0.1 (default $port)
  --keep DIR           work in DIR and keep it (zone, key, signed zones, logs)
EOF
}
parse_options --flatns=flatns_bin --records=records --rounds=rounds --algorithm=algorithm \
  --signers=signers --port=port --keep=keep -- "$@"

require_tools "$python" kdig
require_flatns
case " $signers " in *" ldns-signzone "*) require_tools ldns-signzone ;; esac
case " $signers " in *" dnssec-signzone "*) require_tools dnssec-signzone ;; esac
make_work "$keep" flatns-signing

origin=sign.test
zone="$work/$origin.zone"
log "generating $origin ($records records)"
"$python" "$here/gen.py" zone "$origin" "$records" "$zone"
read -r probe_name probe_ip < <("$python" "$here/gen.py" probe "$origin" "$records")
mkdir -p "$work/keys"
"$flatns_bin" keygen "$origin" "$work/keys" --algorithm "$algorithm" >"$work/keygen.out"
key_base=$(ls "$work/keys"/K"$origin".+*.private)
key_base=${key_base%.private}
log "key $(basename "$key_base") ($algorithm)"

# flatns_config DIR SIGNED : a one-zone config, signed online or not.
flatns_config() {
  mkdir -p "$1"
  {
    echo "server:"
    echo "  listen: [\"127.0.0.1:$port\"]"
    echo "  workers: 1"
    echo "  log_level: info"
    echo "zones:"
    echo "  - name: $origin"
    echo "    file: $zone"
    if [ "$2" = 1 ]; then
      echo "    dnssec:"
      echo "      signing: online"
      echo "      keys: $work/keys"
    fi
  } >"$1/flatns.yaml"
}

# first_answer PID SIGNED : polls until the probe is answered (with an RRSIG
# when SIGNED); prints "seconds cpu_seconds" since START_NS.
first_answer() {
  local pid=$1 signed=$2 deadline
  deadline=$(( $(date +%s) + 1800 ))
  while :; do
    if [ "$signed" = 1 ]; then
      signed_answer "$port" "$probe_name" A "$probe_ip" && break
    else
      answers "$port" "$probe_name" "$probe_ip" && break
    fi
    kill -0 "$pid" 2>/dev/null || return 1
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.01
  done
  echo "$(since "$START_NS") $(cpu_seconds "$pid")"
}
answers() {
  [ "$(kdig @127.0.0.1 -p "$port" +notcp +time=1 +retry=0 +short "$2" A 2>/dev/null)" = "$3" ]
}
signed_answer() {
  local got
  got=$(kdig @127.0.0.1 -p "$1" +notcp +time=1 +retry=0 +dnssec +noall +answer "$2" "$3" 2>/dev/null) || return 1
  grep -q "[[:space:]]RRSIG[[:space:]]" <<<"$got" && grep -q "[[:space:]]$3[[:space:]]\\+$4\$" <<<"$got"
}

# run_flatns SIGNED ROUND : one load; a results line.
run_flatns() {
  local signed=$1 round=$2 dir name note
  name=flatns-plain
  [ "$signed" = 1 ] && name=flatns
  dir="$work/$name.$round"
  flatns_config "$dir" "$signed"
  sync
  START_NS=$(now_ns)
  "$flatns_bin" serve -c "$dir/flatns.yaml" >"$dir/out.log" 2>&1 &
  server_pid=$!
  started_pids+=("$server_pid")
  if ! read -r t cpu < <(first_answer "$server_pid" "$signed"); then
    echo "signing.sh: $name did not answer $probe_name; its log:" >&2
    tail -20 "$dir/out.log" >&2
    exit 1
  fi
  note=$(sed -n 's/.*signed online: //p' "$dir/out.log" | head -1)
  stop_all
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$round" "$t" "$cpu" "${note:--}" >>"$results"
  log "$name (round $round): $([ "$signed" = 1 ] && echo "signed answer" || echo "answer") after ${t}s, ${cpu} CPU s${note:+; $note}"
}

# run_tool NAME ROUND COMMAND... : wall and user+system time of a command
# that writes the signed zone to $out.
run_tool() {
  local name=$1 round=$2; shift 2
  local times sigs
  out="$work/$name.$round.signed"
  sync
  times=$( { TIMEFORMAT='%R %U %S'; time "$@" >"$work/$name.$round.log" 2>&1; } 2>&1 ) ||
    { echo "signing.sh: $name failed:" >&2; cat "$work/$name.$round.log" >&2; exit 1; }
  read -r t user sys <<<"$times"
  # An RRSIG record has its type among its first four fields (an NSEC's
  # bitmap lists RRSIG further on; dnssec-signzone leaves repeated owners out).
  sigs=$(awk '{ for (i = 1; i <= 4 && i <= NF; i++) if ($i == "RRSIG") { n++; break } } END { print n + 0 }' "$out")
  rm -f "$out"
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f\n", u + s }')
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$round" "$t" "$cpu" "$sigs RRSIGs" >>"$results"
  log "$name (round $round): ${t}s, ${cpu} CPU s, $sigs RRSIGs"
}

results="$work/signing.tsv"
: >"$results"
for round in $(seq "$rounds"); do
  for signer in $signers; do
    case $signer in
      flatns) run_flatns 1 "$round" ;;
      flatns-plain) run_flatns 0 "$round" ;;
      ldns-signzone)
        run_tool ldns-signzone "$round" ldns-signzone -f "$work/ldns-signzone.$round.signed" "$zone" "$key_base" ;;
      dnssec-signzone)
        # -S: the keys (and their DNSKEY) from the key folder; -z: the CSK
        # (flags 257) signs every RRset, not only DNSKEY, as in flatns.
        run_tool dnssec-signzone "$round" dnssec-signzone -S -z -q -o "$origin" -K "$work/keys" -d "$work" \
          -f "$work/dnssec-signzone.$round.signed" "$zone" ;;
      *) die "unknown signer '$signer'" ;;
    esac
  done
done

echo
echo "zone signing: $origin, $records records (bench/gen.py), one $algorithm CSK from flatns keygen, $rounds round(s), medians;" \
  "$(nproc) CPUs, load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
echo "flatns $("$flatns_bin" --version 2>/dev/null | head -1) / $(ldns-signzone -v 2>&1 | head -1)" \
  "/ dnssec-signzone $(dnssec-signzone -V 2>&1 | head -1 || true)"
"$python" - "$results" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, _, t, cpu, note = line.rstrip("\n").split("\t")
    rows.setdefault(name, []).append((float(t), float(cpu), note))
med = {n: (statistics.median(r[0] for r in rs), statistics.median(r[1] for r in rs)) for n, rs in rows.items()}
print(f"{'signer':<16} {'rounds':>6} {'wall s':>8} {'(min-max)':>13} {'CPU s':>7}  what it did")
for name, rs in rows.items():
    ts = [r[0] for r in rs]
    print(f"{name:<16} {len(rs):>6} {med[name][0]:>8.2f} {f'[{min(ts):.2f}-{max(ts):.2f}]':>13} {med[name][1]:>7.2f}  {rs[-1][2]}")
if "flatns" in med and "flatns-plain" in med:
    t, c = med["flatns"][0] - med["flatns-plain"][0], med["flatns"][1] - med["flatns-plain"][1]
    print(f"flatns's signing alone (signed - plain load): {t:.2f} s, {c:.2f} CPU s")
for other in ("ldns-signzone", "dnssec-signzone"):
    if "flatns" in med and other in med:
        (ft, fc), (ot, oc) = med["flatns"], med[other]
        r = lambda a, b: f"{a / b:.2f}" if b > 0 else "-"
        target = " (issue 14 target: above 1)" if other == "ldns-signzone" else ""
        print(f"{other}/flatns: wall {r(ot, ft)}, CPU {r(oc, fc)} (above 1: flatns is faster){target}")
EOF
