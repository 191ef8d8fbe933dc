#!/usr/bin/env bash
# Install the Debian packages storyexport needs. Run as root (or with sudo).
#   - Pango + HarfBuzz subsetter: WeasyPrint (PDF)
#   - a Java development kit: EPUBCheck (EPUB validation), several books in one JVM via the source launcher
#   - poppler-utils, pandoc, LibreOffice Writer (with English hyphenation), newsboat, Chromium (headless): independent readers
#   - Noto CJK: the CJK fallback face the themes name (too large to commit)
set -euo pipefail
packages=(
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig shared-mime-info
  default-jdk-headless
  poppler-utils pandoc libreoffice-writer-nogui hyphen-en-us hyphen-en-gb newsboat chromium
  fonts-noto-cjk
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
