#!/usr/bin/env bash
# System packages the build and tests need beyond Python wheels, from Debian's archive:
#   chromium      headless browser for the HTML briefing test (driven by playwright)
#   poppler-utils pdftoppm/pdffonts, to look at and check the PDF
#   fonts-dejavu-core, libpango-1.0-0, libpangoft2-1.0-0  fonts and text layout for WeasyPrint
# Usage: scripts/system-deps.sh          install what is missing (needs root or sudo)
#        scripts/system-deps.sh --check  install what is missing if we can, else say what to install
set -euo pipefail
pkgs=(chromium poppler-utils fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo"; else
  echo "error: missing system packages: ${missing[*]} (install them with: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "[setup] installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
