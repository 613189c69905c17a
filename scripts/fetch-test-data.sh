#!/usr/bin/env bash
# Fetches test data from registries into $LIVE_SHOP_CACHE, once:
# - Pillow 13.0.0's sdist from PyPI, for its Tests/images (hostile and odd images). pip prepares
#   an sdist's metadata after downloading it, and Pillow's needs pybind11: a small venv in the
#   cache holds that, so the machine's Python is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
images="$LIVE_SHOP_CACHE/pillow/pillow-13.0.0/Tests/images"
if [ ! -d "$images" ]; then
  echo "==> fetching Pillow 13.0.0's test images from PyPI"
  sdist="$LIVE_SHOP_CACHE/pip/pillow-13.0.0.tar.gz"
  if [ ! -s "$sdist" ]; then
    venv="$LIVE_SHOP_CACHE/venv"
    [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "setuptools>=77" pybind11 wheel
    "$venv/bin/pip" download --quiet --no-deps --no-binary :all: --no-build-isolation \
      pillow==13.0.0 -d "$LIVE_SHOP_CACHE/pip"
  fi
  mkdir -p "$LIVE_SHOP_CACHE/pillow"
  tar -xzf "$sdist" -C "$LIVE_SHOP_CACHE/pillow" pillow-13.0.0/Tests/images
fi
