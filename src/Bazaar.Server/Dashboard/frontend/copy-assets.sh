#!/usr/bin/env bash
# Copies the pinned front-end libraries (package.json / package-lock.json) into ../assets, which the server
# embeds and serves at /admin/assets/. Run after changing a version: npm ci && bash copy-assets.sh
set -euo pipefail
cd "$(dirname "$0")"
[ -d node_modules ] || npm ci --no-audit --no-fund
cp node_modules/htmx.org/dist/htmx.min.js ../assets/htmx.min.js
cp node_modules/chart.js/dist/chart.umd.min.js ../assets/chart.umd.min.js
cp node_modules/htmx.org/LICENSE ../assets/htmx.LICENSE.txt
cp node_modules/chart.js/LICENSE.md ../assets/chart.js.LICENSE.md
echo "copied htmx.org $(node -p 'require("./node_modules/htmx.org/package.json").version'), chart.js $(node -p 'require("./node_modules/chart.js/package.json").version')"
