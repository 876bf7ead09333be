#!/usr/bin/env bash
# GPU benchmark for the CUDA hash core, in two stages (the GPU machine has CUDA but none of
# synth's other dependencies, and no network):
#
#   tests/bench/gpu_bench.sh prepare [BUILD_DIR]   # here: build, then stage binaries, their
#                                                  # shared libraries and the hashcat .debs
#                                                  # under .device/ (git-ignored)
#   tests/bench/gpu_bench.sh run [SECONDS]          # on the GPU machine, from the repo root:
#                                                  # tests, SASS statistics, every kernel
#                                                  # variant against the CPU reference and
#                                                  # timed, the feeder, hashcat -m 21400, and
#                                                  # synth-worker --benchmark --devices=cuda,
#                                                  # then a live cluster on the GPU (synth-pool
#                                                  # + synth-master + synth-worker --devices
#                                                  # cuda, tests/bench/demo.sh) without and
#                                                  # with version rolling
#
# NCU=1 adds Nsight Compute profiles (below). SKIP_TESTS=1 / SKIP_KERNELS=1 / SKIP_HASHCAT=1 / SKIP_WORKER=1 / SKIP_LIVE=1 leave those parts out (LIVE_SECONDS=30 each) (kernel iterations). `run` prints a table last and writes logs to $OUT (default /tmp/gpu_bench). hashcat comes from
# Debian's .debs (`apt-get download hashcat hashcat-data libminizip1 libxxhash0
# ocl-icd-libopencl1` into .device/debs), unpacked into a temp dir on the GPU machine.
set -uo pipefail
cd "$(dirname "$0")/../.."
stage=${1:-run}

if [[ $stage == prepare ]]; then
  build=${2:-build/cuda}
  set -e
  cmake --build "$build" --target synth_gpu_bench gpu_scanner_test cuda_device_test
  cmake --build "$build" --target synth-worker synth-master synth-pool synthctl ||
    echo "WARNING: the cluster binaries did not build"
  rm -rf .device/bin .device/lib && mkdir -p .device/bin .device/lib
  bins=()
  for b in kernels/synth_gpu_bench kernels/gpu_scanner_test worker/devices/cuda_device_test \
           worker/synth-worker master/synth-master master/pool/synth-pool master/ctl/synthctl; do
    [[ -x $build/$b ]] && bins+=("$build/$b")
  done
  cp "${bins[@]}" .device/bin/
  # Every shared library outside glibc/libstdc++ (the GPU image is another distribution).
  ldd "${bins[@]}" | awk '$3 ~ /^\// {print $3}' | sort -u |
    grep -vE '/(libc|libm|libpthread|libdl|librt|libstdc\+\+|libgcc_s|ld-linux[^/]*)\.so' |
    xargs -I{} cp -L {} .device/lib/
  du -sh .device
  exit 0
fi

seconds=${2:-20}
OUT=${OUT:-/tmp/gpu_bench}
mkdir -p "$OUT"
export PATH=$PATH:/usr/local/cuda/bin
export LD_LIBRARY_PATH=$PWD/.device/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
bin=.device/bin
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,temperature.gpu,power.draw \
  --format=csv | tee "$OUT/gpu.txt"

if [[ -z ${SKIP_TESTS:-} ]]; then
  echo "== tests"
  "$bin/gpu_scanner_test" 2>&1 | tail -n 25 | tee "$OUT/tests.txt"
  "$bin/cuda_device_test" 2>&1 | tail -n 12 | tee -a "$OUT/tests.txt"
fi

if [[ -z ${SKIP_KERNELS:-} ]]; then
echo "== SASS (sm_90) per kernel variant"
cuobjdump -res-usage "$bin/synth_gpu_bench" 2>&1 | grep -E "Function|REG" > "$OUT/res_usage.txt"
cuobjdump -sass -arch sm_90 "$bin/synth_gpu_bench" > "$OUT/sass.txt" 2>&1
python3 - "$OUT/sass.txt" "$OUT/res_usage.txt" <<'PY' | tee "$OUT/sass_stats.txt"
import re, sys, collections
sass = open(sys.argv[1]).read().split('Function : ')[1:]
regs = {}
for line in open(sys.argv[2]).read().split('Function ')[1:]:
    m = re.match(r'(\S+):.*?REG:(\d+).*?STACK:(\d+)', line, re.S)
    if m: regs[m.group(1)] = (m.group(2), m.group(3))
alu = ('LOP3', 'SHF', 'IADD3', 'PRMT', 'SHL', 'SHR', 'LEA', 'ISETP', 'SEL', 'IABS', 'MOV', 'LOP')
print('%-16s %4s %5s %6s %7s %7s %6s %6s %6s  %s' % ('variant', 'regs', 'stack', 'ALU/h', 'FMA/h',
      'total/h', 'LOP3', 'SHF', 'IADD3', 'most frequent other opcodes /h'))
for f in sass:
    name = f.split('\n', 1)[0].strip()
    m = re.search(r'Sha256dScanKernelILi(\d)ELi(\d+)ELb([01])E', name)
    if not m: continue
    mids, mode, shape = int(m.group(1)), int(m.group(2)), ('npt1', 'loop')[int(m.group(3))]
    ops = collections.Counter(re.findall(r'/\*[0-9a-f]{4,6}\*/\s+(?:@!?U?P\w+\s+)?([A-Z][A-Z0-9_]*)', f))
    if ops['BPT'] + ops['TRAP'] and sum(ops.values()) < 50: continue
    a = sum(v for k, v in ops.items() if k in alu)
    fm = sum(v for k, v in ops.items() if k.startswith('IMAD'))
    tot = sum(ops.values())
    r, st = regs.get(name, ('?', '?'))
    other = sorted(((v, k) for k, v in ops.items() if k not in alu and not k.startswith('IMAD')),
                   reverse=True)[:4]
    print('m%d mids%d %-5s %4s %5s %6.0f %7.0f %7.0f %6.0f %6.0f %6.0f  %s' % (mode, mids, shape, r,
          st, a / mids, fm / mids, tot / mids, ops['LOP3'] / mids, ops['SHF'] / mids, ops['IADD3'] / mids,
          ' '.join('%s:%.0f' % (k, v / mids) for v, k in other)))
PY

# SASS_KEEP=REGEX keeps the SASS of the kernels whose mangled name matches it
# ($OUT/sass_keep.txt), e.g. 'ILi1ELi[69]ELb0E' for one midstate, modes 6 and 9, no loop.
if [[ -n ${SASS_KEEP:-} ]]; then
  python3 - "$OUT/sass.txt" "$SASS_KEEP" > "$OUT/sass_keep.txt" <<'PY'
import re, sys
for f in open(sys.argv[1]).read().split('Function : ')[1:]:
    if re.search(sys.argv[2], f.split('\n', 1)[0]):
        print('Function : ' + f)
PY
fi

echo "== kernel variants and feeder"
# BENCH_VARIANTS="mode,mids,tpb,npt ..." times only those, BENCH_ROUNDS times in turn;
# FEEDER_SECONDS=0 leaves the feeder out.
SYNTH_GPU_BENCH_VARIANTS=${BENCH_VARIANTS:-} SYNTH_GPU_BENCH_ROUNDS=${BENCH_ROUNDS:-1} \
  "$bin/synth_gpu_bench" "${FEEDER_SECONDS:-5}" "$OUT/bench.tsv" 2>&1 | tee "$OUT/bench.txt"
fi

# NCU=1: Nsight Compute profiles (--set full, boost clocks) of the NCU_VARIANTS kernels
# (mode,mids,tpb,npt ...), each one launch of 2^28 hashes: issue activity, pipe utilization and
# warp stall reasons per variant, and the stall samples by SASS opcode (tests/bench/ncu_summary.py)
# in $OUT/ncu_summary.txt; the reports stay in a temp dir (NCU_KEEP=1 copies the per-instruction
# source tables to $OUT).
if [[ -n ${NCU:-} ]] && command -v ncu >/dev/null; then
  echo "== ncu profiles"
  ncu_dir=$(mktemp -d)
  pairs=()
  for v in ${NCU_VARIANTS:-0,1,256,16 2,1,256,16 2,4,256,16 3,1,256,16 4,1,256,16}; do
    tag=ncu_${v//,/_}
    SYNTH_GPU_BENCH_ONLY=$v timeout 300 ncu --clock-control none --set full --import-source no \
      --kernel-name regex:Sha256dScan --launch-skip 1 --launch-count 1 -f -o "$ncu_dir/$tag" \
      "$bin/synth_gpu_bench" > "$ncu_dir/$tag.log" 2>&1 || { echo "ncu $v failed"; tail -5 "$ncu_dir/$tag.log"; continue; }
    ncu --import "$ncu_dir/$tag.ncu-rep" --page raw --csv > "$ncu_dir/$tag.raw.csv" 2>&1
    ncu --import "$ncu_dir/$tag.ncu-rep" --page source --csv --print-source sass \
      > "$ncu_dir/$tag.source.csv" 2>&1
    pairs+=("$ncu_dir/$tag.raw.csv" "$ncu_dir/$tag.source.csv")
    [[ -n ${NCU_KEEP:-} ]] && cp "$ncu_dir/$tag.source.csv" "$OUT/"
  done
  python3 tests/bench/ncu_summary.py "${pairs[@]}" | tee "$OUT/ncu_summary.txt"
  rm -rf "$ncu_dir"
fi

if [[ -z ${SKIP_HASHCAT:-} ]]; then
echo "== hashcat 6.2.6 -m 21400 (sha256(sha256_bin)) baseline"
hc=/tmp/hashcat && rm -rf $hc && mkdir -p $hc
for d in .device/debs/*.deb; do dpkg -x "$d" $hc; done
ln -sfn $hc/usr/share/hashcat /usr/share/hashcat 2>/dev/null
ln -sfn $hc/usr/lib/hashcat /usr/lib/hashcat 2>/dev/null
# hashcat finds its OpenCL/ kernels under /usr/share/hashcat only when it runs as /usr/bin/hashcat.
cp $hc/usr/bin/hashcat /usr/bin/hashcat
mkdir -p $hc/lib
nvrtc=$(find / -name 'libnvrtc.so*' -not -path '*/proc/*' 2>/dev/null | grep -v builtins | head -1)
[[ -n $nvrtc ]] && ln -sf "$nvrtc" $hc/lib/libnvrtc.so
ocl=$(find / -name 'libnvidia-opencl.so*' -not -path '*/proc/*' 2>/dev/null | head -1)
if [[ -n $ocl ]]; then mkdir -p /etc/OpenCL/vendors; echo "$ocl" > /etc/OpenCL/vendors/nvidia.icd; fi
echo "nvrtc=$nvrtc opencl=$ocl"
# Both kernel flavours: pure (the -b default in 6.2.6) and optimized (-O); the faster is the
# baseline.
for opt in "" "-O"; do
  (cd $hc && LD_LIBRARY_PATH=$hc/lib:$hc/usr/lib/x86_64-linux-gnu:/usr/local/cuda/lib64 \
    timeout 150 /usr/bin/hashcat -b -m 21400 -w 4 $opt --potfile-disable 2>&1) |
    tee -a "$OUT/hashcat.txt" | grep -E "Speed|optimized|rror" | head -20
done
fi

echo "== synth-worker --benchmark --devices=cuda --seconds $seconds"
[[ -z ${SKIP_WORKER:-} && -x $bin/synth-worker ]] && "$bin/synth-worker" --benchmark --devices=cuda --seconds "$seconds" 2>&1 | tee "$OUT/worker.txt" | tail -n 12

# The live path: leases from a real master, the worker's scheduler and feeder, shares checked by
# the master and credited by the pool. With the pool's version mask the master cuts rows of four
# sibling midstates and the worker hands each row to one launch.
live_seconds=${LIVE_SECONDS:-30}
if [[ -z ${SKIP_LIVE:-} && -x $bin/synth-master && -x $bin/synth-pool ]]; then
  for mask in 0 1fffe000; do
    echo "== live cluster: synth-pool (version mask $mask, difficulty 1) + synth-master +" \
         "synth-worker --devices cuda, ${live_seconds}s"
    SYNTH_POOL=$bin/synth-pool SYNTH_MASTER=$bin/synth-master SYNTH_WORKER=$bin/synth-worker \
      SYNTH_CTL=$bin/synthctl timeout $((live_seconds + 60)) tests/bench/demo.sh --devices cuda \
      --seconds "$live_seconds" --difficulty 1 --version-mask "$mask" 2>&1 |
      tee "$OUT/live_$mask.txt" | tail -n 5
  done
fi

echo "== summary"
hc_rate=$(grep -oE 'Speed.#[0-9]+[.]+: +[0-9.]+ [kMGT]H/s' "$OUT/hashcat.txt" |
  awk '{u=$NF; v=$(NF-1); m=(u=="GH/s")?1:(u=="MH/s")?1e-3:(u=="TH/s")?1e3:1e-6; print v*m}' |
  sort -g | tail -1)
echo "hashcat GH/s: ${hc_rate:-n/a}"
awk -F'\t' -v hc="${hc_rate:-0}" '$1=="raw" {printf "raw  mode %s mids %s tpb %s npt %-3s %s %7.3f GH/s  x%.2f hashcat\n", $2,$3,$4,$5,$6,$7, (hc>0?$7/hc:0)}
  $1=="feeder" {printf "feeder mids %s %7.3f GH/s  x%.2f hashcat  CPU %s%% of a core\n", $2,$3, (hc>0?$3/hc:0), $4}' "$OUT/bench.tsv" 2>/dev/null
grep -iE "cuda|total" "$OUT/worker.txt" 2>/dev/null | tail -n 4
for f in "$OUT"/live_*.txt; do
  [[ -f $f ]] && echo "live $(basename "$f" .txt): $(grep -E '^ *[0-9]+s \|' "$f" | tail -n 1)"
done
exit 0
