#!/usr/bin/env bash
# deploy/docker/bundle-libs.sh PREFIX BINARY...: makes BINARYs runnable on any glibc-based
# image, whatever its distribution ships, by bringing their shared libraries along:
#
#   PREFIX/bin/NAME    each BINARY, its RPATH set to $ORIGIN/../lib (patchelf)
#   PREFIX/lib/SONAME  every library they load (ldd's closure), except the ones the target
#                      image must provide itself: glibc and its loader (they must match the
#                      kernel interface and each other; the bundle needs glibc >= the build
#                      host's), and the NVIDIA driver's libcuda/libnvidia-* (injected at run
#                      time by the NVIDIA container toolkit, matching the host's kernel module)
#
# The RPATH is DT_RPATH (patchelf --force-rpath), not DT_RUNPATH: it also applies to the
# libraries' own dependencies and wins over an LD_LIBRARY_PATH set by the base image, so the
# bundled copies are always the ones loaded. dlopen("libcuda.so.1") finds no copy here and falls
# through to the image's ld.so cache, where the toolkit puts the driver's.
# Afterwards every bundled binary is checked: each non-excluded library must resolve inside
# PREFIX/lib. Needs ldd (glibc) and patchelf (Debian package patchelf).
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 PREFIX BINARY..." >&2; exit 2; }
prefix=$1
shift
command -v patchelf >/dev/null || { echo "bundle-libs.sh: patchelf not installed" >&2; exit 1; }

# Sonames the target image provides (glibc, the loader, the vDSO, the NVIDIA driver).
provided() {
  case "$1" in
    linux-vdso.so.* | linux-gate.so.* | ld-linux*.so.* | ld64.so.*) return 0 ;;
    libc.so.6 | libm.so.6 | libmvec.so.1 | libpthread.so.0 | libdl.so.2 | librt.so.1) return 0 ;;
    libresolv.so.2 | libutil.so.1 | libanl.so.1 | libnsl.so.1 | libBrokenLocale.so.1) return 0 ;;
    libnss_*.so.2 | libthread_db.so.1 | libc_malloc_debug.so.0) return 0 ;;
    libcuda.so* | libnvidia-*.so* | libnvcuvid.so* | libnvoptix.so*) return 0 ;;
  esac
  return 1
}

# ldd's "NAME => PATH (ADDR)" lines as "NAME PATH" ("MISSING NAME" when not found). With a
# second argument, without the caller's LD_LIBRARY_PATH/LD_PRELOAD (to check the RPATH alone).
deps() {
  if [ $# -gt 1 ]; then env -u LD_LIBRARY_PATH -u LD_PRELOAD ldd "$1"; else ldd "$1"; fi | awk '
    $2 == "=>" && $3 == "not" { print "MISSING " $1; next }
    $2 == "=>" { print $1, $3; next }
    $1 ~ /^\// { n = $1; sub(/.*\//, "", n); print n, $1 }'
}

mkdir -p "$prefix/bin" "$prefix/lib"
for bin in "$@"; do
  dest="$prefix/bin/$(basename "$bin")"
  cp -L "$bin" "$dest"
  chmod 755 "$dest"
  while read -r name path; do
    [ "$name" != MISSING ] || { echo "bundle-libs.sh: $bin: $path not found" >&2; exit 1; }
    provided "$name" && continue
    [ -e "$prefix/lib/$name" ] || cp -L "$path" "$prefix/lib/$name"
  done < <(deps "$bin")
  patchelf --force-rpath --set-rpath '$ORIGIN/../lib' "$dest"
done
chmod 644 "$prefix"/lib/* 2>/dev/null || true
# A bundled library with its own RUNPATH would look there first for its dependencies.
for lib in "$prefix"/lib/*; do
  [ -f "$lib" ] || continue
  if [ -n "$(patchelf --print-rpath "$lib")" ]; then patchelf --set-rpath '$ORIGIN' "$lib"; fi
done

# Every library a bundled binary loads must now come from PREFIX/lib (or be provided).
lib_dir=$(cd "$prefix/lib" && pwd -P)
bad=0
for dest in "$prefix"/bin/*; do
  while read -r name path; do
    provided "$name" && continue
    case "$(readlink -f "$path")" in
      "$lib_dir"/*) ;;
      *) echo "bundle-libs.sh: $dest loads $name from $path, not from the bundle" >&2; bad=1 ;;
    esac
  done < <(deps "$dest" clean)
done
[ "$bad" = 0 ] || exit 1
echo "bundle-libs.sh: $# binaries, $(ls "$prefix/lib" | wc -l) libraries," \
  "$(du -sh "$prefix" | cut -f1) in $prefix"
