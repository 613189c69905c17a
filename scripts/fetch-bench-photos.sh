#!/usr/bin/env bash
# Fetches the speed benchmark's photos, once: tests/images/pug.heic (4032×3024) and
# guitar_cw90.hif (4672×7008) from the sdist of PyPI pillow-heif 1.8.1, converted to phone-like
# JPEGs (quality 92, 4:2:0) with pillow-heif's own wheel in the cache's venv, and each one's
# reference for SSIM: Pillow's Lanczos (a = 3) from the full-resolution pixels to 512 px, as PNG.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
out="$LIVE_SHOP_CACHE/bench-photos"
[ -s "$out/pug.ref.png" ] && [ -s "$out/guitar.ref.png" ] && exit 0
echo "==> fetching pillow-heif 1.8.1's sample photos from PyPI"
venv="$LIVE_SHOP_CACHE/venv"
[ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
mkdir -p "$out" "$LIVE_SHOP_CACHE/pip"
sdist="$LIVE_SHOP_CACHE/pip/pillow_heif-1.8.1.tar.gz"
if [ ! -s "$sdist" ]; then
  # The sdist as a file: pip would try to build it; the index's plain download does not.
  "$venv/bin/pip" download --quiet --no-deps --no-binary :all: --no-build-isolation \
    pillow-heif==1.8.1 -d "$LIVE_SHOP_CACHE/pip" || true
fi
[ -s "$sdist" ] || { echo "could not fetch $sdist" >&2; exit 1; }
"$venv/bin/pip" install --quiet "pillow-heif==1.8.1"
"$venv/bin/python" - "$sdist" "$out" <<'PY'
import io, os, sys, tarfile
from PIL import Image
from pillow_heif import register_heif_opener
register_heif_opener()
sdist, out = sys.argv[1], sys.argv[2]
wanted = {"pug.heic": "pug.jpg", "guitar_cw90.hif": "guitar.jpg"}
with tarfile.open(sdist) as tar:
    for member in tar.getmembers():
        name = os.path.basename(member.name)
        if name in wanted and "/tests/images/" in member.name:
            image = Image.open(io.BytesIO(tar.extractfile(member).read()))
            image = image.convert("RGB")
            image.save(os.path.join(out, wanted[name]), quality=92, subsampling=2)
            # The reference is made from the JPEG as shipped, like every contender's input.
            photo = Image.open(os.path.join(out, wanted[name])).convert("RGB")
            w, h = photo.size
            scale = 512 / max(w, h)
            size = (round(w * scale), round(h * scale))
            ref = os.path.join(out, wanted[name].replace(".jpg", ".ref.png"))
            photo.resize(size, Image.LANCZOS).save(ref)
            print(f"{wanted[name]}: {w}×{h}, reference {size[0]}×{size[1]}")
PY
