#!/usr/bin/env bash
# Refreshes docs/report.png, the README's picture of the report: the
# browser test (tests/browser.rs) renders the CRM example over five quarters
# and screenshots its top in headless Chromium; this copies that picture,
# reduced to 256 colours when Pillow is installed (about a third the size).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --test browser
shot=target/tmp/report-summary.png
if python3 -c 'import PIL' 2>/dev/null; then
  python3 - "$shot" docs/report.png <<'PY'
import sys
from PIL import Image
Image.open(sys.argv[1]).convert("RGB").quantize(colors=256).save(sys.argv[2], optimize=True)
PY
else
  cp "$shot" docs/report.png
fi
ls -l docs/report.png
