#!/usr/bin/env bash
# Front-end assets come from the npm registry at setup time and are served by
# the app itself (WhiteNoise): the app works on an intranet with no internet.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
[ -f package.json ] || exit 0
if [ ! -d node_modules ] || [ package.json -nt node_modules ] || [ package-lock.json -nt node_modules ]; then
  say "installing front-end assets (npm ci)"
  npm ci --no-audit --no-fund --silent
  touch node_modules
fi
mkdir -p static/vendor
node -e '
const fs = require("fs"), path = require("path");
const files = require("./package.json").vendorFiles || {};
for (const [dest, src] of Object.entries(files)) {
  fs.mkdirSync(path.dirname(path.join("static/vendor", dest)), {recursive: true});
  fs.copyFileSync(path.join("node_modules", src), path.join("static/vendor", dest));
}'
