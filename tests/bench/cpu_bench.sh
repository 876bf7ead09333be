#!/usr/bin/env bash
# The CPU figure of record: synth-worker side by side with cpuminer-opt on this machine, in the
# same run, alternately (synth, cpuminer-opt, synth, cpuminer-opt, ...), on 1 thread and on all
# threads. Prints the median ratio per thread count with both rates, cycles per nonce at the
# measured clock, the CPU (model, family, model number), and the load before and after, as the
# Markdown table docs/BENCHMARKS.md records.
#
#   CPUMINER_OPT=PATH tests/bench/cpu_bench.sh [BUILD_DIR=build/release] [SECONDS=30] [REPS=2]
#   CPUMINER_OPT=PATH tests/bench/cpu_bench.sh prepare [BUILD_DIR]   # for another host, below
#
# CPUMINER_OPT: the `cpuminer` binary of cpuminer-opt v26.1 (public source JayDDee/cpuminer-opt,
# tag v26.1, commit b34565b, GPL-2.0), built on the machine it runs on with
#   ./autogen.sh && CFLAGS="-O3 -march=native -Wall" ./configure --with-curl && make
# or a folder holding that binary and the shared libraries it needs (they are put on
# LD_LIBRARY_PATH, so a copy carried to another host runs there). Nothing is built or installed
# here. Without CPUMINER_OPT only synth runs and the ratio column says so.
#
# For a host without synth's dependencies (the GPU machine), `prepare` copies synth-worker,
# cpuminer and the shared libraries both need (not glibc or libstdc++) to .device/cpu/
# (git-ignored: carry it along), and there
#   SYNTH_WORKER=.device/cpu/synth-worker CPUMINER_OPT=.device/cpu tests/bench/cpu_bench.sh - 20 3
# runs the same table (1 thread and nproc threads: 16 on the GPU machine's Xeon). SYNTH_WORKER
# overrides BUILD_DIR's binary; a lib/ folder beside it goes on LD_LIBRARY_PATH. A whole run
# takes about 3 x SECONDS x REPS x (thread counts) plus the start-up timing.
#
# THREADS="1 16" overrides the thread counts (default: 1 and nproc). Each run lasts SECONDS
# (at least 20): synth-worker --benchmark --devices=cpu --hash-core=<the core auto picks> (which
# also measures that core with 4 rolled versions per nonce, another SECONDS: an extra column), and
# cpuminer -a sha256d --benchmark -t N --cpu-priority=2, stopped with SIGINT after SECONDS;
# cpuminer-opt's rate is its last "Total: X MH/s" line, a cumulative average (hashes / whole
# seconds since start, so it reads up to 1/SECONDS high). --cpu-priority=2 runs its threads at
# nice 0 like synth-worker's; by default it drops them to nice 19 and SCHED_IDLE, which starves
# it whenever anything else runs and would flatter synth. Run it with nothing else busy: the
# first table (wall clock) is the figure of record. A second table divides each rate by the
# share of CPU time the program's threads got, for machines that others share.
set -euo pipefail
if [[ "${1:-}" == prepare ]]; then
  build=${2:-build/release}
  [[ -x "${CPUMINER_OPT:-}" && ! -d "${CPUMINER_OPT:-}" ]] ||
    { echo "prepare: CPUMINER_OPT must be the cpuminer binary" >&2; exit 2; }
  tests/bench/stage.sh .device/cpu "$build" synth-worker "$CPUMINER_OPT"
  exit 0
fi
build=${1:-build/release}
seconds=${2:-30}
reps=${3:-2}
worker=${SYNTH_WORKER:-"$build/worker/synth-worker"}
[[ -x "$worker" ]] || { echo "missing $worker (build target synth-worker)" >&2; exit 2; }
if [[ -d "$(dirname "$worker")/lib" ]]; then
  export LD_LIBRARY_PATH="$(dirname "$worker")/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
[[ "$seconds" =~ ^[0-9]+$ && "$seconds" -ge 20 ]] || { echo "SECONDS must be >= 20" >&2; exit 2; }
[[ "$reps" =~ ^[0-9]+$ && "$reps" -ge 1 ]] || { echo "REPS must be >= 1" >&2; exit 2; }
threads=${THREADS:-"1 $(nproc)"}
threads=$(tr ' ' '\n' <<<"$threads" | awk 'NF && !seen[$1]++' | tr '\n' ' ')

cpuminer=""
if [[ -n "${CPUMINER_OPT:-}" ]]; then
  if [[ -d "$CPUMINER_OPT" ]]; then
    cpuminer="$CPUMINER_OPT/cpuminer"
    export LD_LIBRARY_PATH="$CPUMINER_OPT:$CPUMINER_OPT/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  else
    cpuminer="$CPUMINER_OPT"
  fi
  [[ -x "$cpuminer" ]] || { echo "CPUMINER_OPT: $cpuminer is not executable" >&2; exit 2; }
  "$cpuminer" --version >/dev/null 2>&1 || { echo "CPUMINER_OPT: $cpuminer does not run" >&2; exit 2; }
else
  echo "CPUMINER_OPT not set: synth only, no ratio (see the header of $0)" >&2
fi

TIMEFORMAT='%R %U %S'  # bash's `time`: wall, user and system seconds of cpuminer-opt's run
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cut -d' ' -f1-3 /proc/loadavg >"$tmp/load_before"
date -u '+%Y-%m-%d %H:%M UTC' >"$tmp/date"
"$worker" --list-hash-cores 2>/dev/null >"$tmp/cores"
core=$(awk '/<- auto/ {print $1}' "$tmp/cores")
[[ -n "$core" ]] || { cat "$tmp/cores" >&2; echo "no core picked" >&2; exit 2; }

for ((r = 0; r < reps; r++)); do
  for t in $threads; do
    echo "run $((r + 1))/$reps, $t thread(s): synth ($core)" >&2
    "$worker" --benchmark --json --devices=cpu --threads="$t" --seconds="$seconds" \
      --hash-core="$core" 2>/dev/null >"$tmp/synth_t${t}_r${r}.json"
    if [[ -n "$cpuminer" ]]; then
      echo "run $((r + 1))/$reps, $t thread(s): cpuminer-opt" >&2
      { time { timeout -s INT -k 10 "$seconds" "$cpuminer" -a sha256d --benchmark -t "$t" \
          --no-color --cpu-priority=2 >"$tmp/cpuminer_t${t}_r${r}.log" 2>&1 || true; }; } \
        2>"$tmp/cpuminer_t${t}_r${r}.time"
    fi
  done
done
cut -d' ' -f1-3 /proc/loadavg >"$tmp/load_after"

python3 - "$tmp" "$reps" "$seconds" "$core" "$threads" "$cpuminer" <<'PY'
import glob, json, os, re, statistics, sys
tmp, reps, seconds, core, threads, cpuminer = sys.argv[1:7]
reps, seconds, threads = int(reps), int(seconds), [int(t) for t in threads.split()]
units = {"": 1, "k": 1e3, "M": 1e6, "G": 1e9}

def cpuinfo():
    info = {}
    for line in open("/proc/cpuinfo"):
        if ":" in line:
            k, v = (x.strip() for x in line.split(":", 1))
            info.setdefault(k, v)
        elif info:
            break
    return info

def cpuminer_rate(path):
    totals = re.findall(r"Total: ([0-9.]+) ([kMG]?)H/s", open(path, errors="replace").read())
    return float(totals[-1][0]) * units[totals[-1][1]] / 1e6 if totals else None

def cpuminer_busy(path, t):
    # Share of its t threads' wall time that cpuminer-opt ran: (user + system) / (wall * t).
    real, user, sys_ = (float(x) for x in open(path).read().split()[-3:])
    return (user + sys_) / (real * t) if real > 0 else None

def impl_rate(j, key, rolled):
    return sum(i[key] for i in j["implementations"]
               if i["kind"] == "cpu" and (i["versions"] > 1) == rolled) / 1e6

rows, adjusted, clocks, cpu = [], [], [], None
for t in threads:
    for r in range(reps):
        j = json.load(open(os.path.join(tmp, f"synth_t{t}_r{r}.json")))
        cpu = j
        clocks.append(j["cpu_clock_hz"])
        s = j["total_hashes_per_second"] / 1e6
        roll = impl_rate(j, "hashes_per_second", True)
        c = cpuminer_rate(os.path.join(tmp, f"cpuminer_t{t}_r{r}.log")) if cpuminer else None
        rows.append((t, r, s, c, roll))
        s_cpu = impl_rate(j, "hashes_per_cpu_second", False)
        roll_cpu = impl_rate(j, "hashes_per_cpu_second", True)
        busy = cpuminer_busy(os.path.join(tmp, f"cpuminer_t{t}_r{r}.time"), t) if c else None
        s_busy = s / s_cpu if s_cpu else None
        adjusted.append((t, r, s_cpu, c / busy if c and busy else None, roll_cpu, s_busy, busy))
info = cpuinfo()
clock = statistics.median(clocks)
read = lambda name: open(os.path.join(tmp, name)).read().strip()
print(f"date: {read('date')}; load (1/5/15 min) before {read('load_before')}, after {read('load_after')}")
print(f"CPU: {info.get('model name', cpu['cpu'])}, family {info.get('cpu family', '?')} model "
      f"{info.get('model', '?')} stepping {info.get('stepping', '?')}, {os.cpu_count()} CPUs; "
      f"clock {clock / 1e9:.2f} GHz measured (dependent adds, median of {len(clocks)})")
print(f"synth: synth-worker --benchmark --devices=cpu --hash-core={core} (auto's pick), "
      f"{seconds} s per run; cpuminer-opt: {cpuminer or 'not run'} -a sha256d --benchmark "
      f"--cpu-priority=2, "
      f"last 'Total' of {seconds} s; {reps} alternating runs per thread count")
print()
print(f"| threads | synth `{core}` MH/s | cpuminer-opt MH/s | ratio (median) | synth cycles/nonce "
      f"| cpuminer-opt cycles/nonce | synth, 4 rolled versions: MH/s-eq, ratio |")
print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for t in threads:
    mine = [r for r in rows if r[0] == t]
    s = statistics.median(r[2] for r in mine)
    cs = [r[3] for r in mine if r[3]]
    c = statistics.median(cs) if cs else None
    ratios = [r[2] / r[3] for r in mine if r[3]]
    ratio = f"**{statistics.median(ratios):.2f}x**" if ratios else "-"
    rolls = [r[4] for r in mine if r[4]]
    roll = "-"
    if rolls:
        roll_ratios = [r[4] / r[3] for r in mine if r[3] and r[4]]
        roll = f"{statistics.median(rolls):.2f}" + (
            f", {statistics.median(roll_ratios):.2f}x" if roll_ratios else "")
    cyc = lambda mhs: f"{clock * t / (mhs * 1e6):.1f}" if mhs else "-"
    print(f"| {t} | {s:.2f} | {f'{c:.2f}' if c else '-'} | {ratio} | {cyc(s)} | {cyc(c)} | {roll} |")
print()
print("The ratio is synth's plain rate over cpuminer-opt's (the bar). The last column is synth with")
print("4 sibling midstates per nonce (a version-rolling pool; cpuminer-opt does not roll): headers")
print("hashed per second, an equivalent rate, measured right after the plain one.")
print()
print("runs (threads, run: synth / cpuminer-opt MH/s, ratio; synth rolling MH/s-eq):")
for t, r, s, c, roll in rows:
    print(f"  {t:>3} thr, run {r + 1}: {s:8.2f} / {f'{c:8.2f}' if c else '       -'}"
          f"{f'   {s / c:.3f}x' if c else ''}{f';  {roll:8.2f}' if roll else ''}")
print()
print("Adjusted for load (the same runs): each program's rate over the CPU time its hashing")
print("threads got, i.e. the rate while it ran. synth: hashes / thread CPU seconds, per device;")
print("cpuminer-opt: its rate / the share of its threads' wall time it ran ((user + system) /")
print("(wall x threads) of the process). Read this table when the machine was shared (busy < 1).")
print()
print("| threads | synth MH/s | cpuminer-opt MH/s | ratio (median) | synth cycles/nonce | "
      "cpuminer-opt cycles/nonce | synth, 4 rolled versions: MH/s-eq, ratio | "
      "busy: synth / cpuminer-opt |")
print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
med = lambda xs: statistics.median(xs) if xs else None
fmt = lambda x, f=".2f": format(x, f) if x is not None else "-"
for t in threads:
    mine = [a for a in adjusted if a[0] == t]
    ratios = [a[2] / a[3] for a in mine if a[3]]
    roll_ratios = [a[4] / a[3] for a in mine if a[3] and a[4]]
    roll = fmt(med([a[4] for a in mine if a[4]])) + (
        f", {med(roll_ratios):.2f}x" if roll_ratios else "")
    s_med, c_med = med([a[2] for a in mine]), med([a[3] for a in mine if a[3]])
    cyc = lambda mhs: f"{clock * t / (mhs * 1e6):.1f}" if mhs else "-"
    print(f"| {t} | {fmt(s_med)} | {fmt(c_med)} "
          f"| {f'**{med(ratios):.2f}x**' if ratios else '-'} | {cyc(s_med)} | {cyc(c_med)} | {roll} "
          f"| {fmt(med([a[5] for a in mine if a[5]]))} / {fmt(med([a[6] for a in mine if a[6]]))} |")
print()
print("synth-worker --list-hash-cores:")
print(read("cores"))
PY
