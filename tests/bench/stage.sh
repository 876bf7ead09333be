#!/usr/bin/env bash
# Stages programs for a host that has none of synth's dependencies (the GPU machine lent through
# the device tool runs another distribution, with no network): copies each named program, found
# under BUILD_DIR by name (or given as a path), into DEST, and every shared library they load,
# except glibc's and libstdc++'s, into DEST/lib.
#
#   tests/bench/stage.sh DEST BUILD_DIR PROGRAM...
#
# On the other host, run them with LD_LIBRARY_PATH=DEST/lib; the benchmark scripts that source
# tests/cluster/lib.sh find them with BUILD=DEST (lib.sh searches BUILD by name and adds
# BUILD/lib to LD_LIBRARY_PATH when it is there).
set -euo pipefail
dest=${1:?usage: stage.sh DEST BUILD_DIR PROGRAM...}
build=${2:?usage: stage.sh DEST BUILD_DIR PROGRAM...}
shift 2
rm -rf "$dest" && mkdir -p "$dest/lib"
bins=()
for p in "$@"; do
  if [[ -x $p && -f $p ]]; then
    bins+=("$p")
  else
    f=$(find "$build" -type f -name "$p" -perm -u+x 2>/dev/null | head -n 1)
    [[ -n $f ]] || { echo "stage.sh: $p not found under $build (build it first)" >&2; exit 2; }
    bins+=("$f")
  fi
done
cp "${bins[@]}" "$dest/"
ldd "${bins[@]}" | awk '$3 ~ /^\// {print $3}' | sort -u |
  grep -vE '/(libc|libm|libpthread|libdl|librt|libstdc\+\+|libgcc_s|ld-linux[^/]*)\.so' |
  xargs -r -I{} cp -L {} "$dest/lib/"
du -sh "$dest"
