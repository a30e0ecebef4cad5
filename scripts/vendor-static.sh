#!/usr/bin/env bash
# Refresh the vendored front-end files in static/vendor from the npm registry.
# The versions are pinned here; `make run` never needs Node. Run this only to upgrade.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=static/vendor
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

UTRECHT_CSS=@utrecht/component-library-css@9.0.4
THEME=@nl-design-system-unstable/voorbeeld-design-tokens@7.4.1
HTMX=htmx.org@2.0.11

( cd "$tmp" && npm pack --silent "$UTRECHT_CSS" "$THEME" "$HTMX" >/dev/null )
for f in "$tmp"/*.tgz; do d="${f%.tgz}"; mkdir -p "$d"; tar xzf "$f" -C "$d"; done

mkdir -p "$dest/utrecht" "$dest/voorbeeld-theme" "$dest/htmx"
cp "$tmp"/utrecht-component-library-css-*/package/dist/index.css "$dest/utrecht/index.css"
cp "$tmp"/utrecht-component-library-css-*/package/LICENSE.md "$dest/utrecht/LICENSE.md"
cp "$tmp"/nl-design-system-unstable-voorbeeld-design-tokens-*/package/dist/theme.css "$dest/voorbeeld-theme/theme.css"
cp "$tmp"/nl-design-system-unstable-voorbeeld-design-tokens-*/package/LICENSE.md "$dest/voorbeeld-theme/LICENSE.md"
cp "$tmp"/htmx.org-*/package/dist/htmx.min.js "$dest/htmx/htmx.min.js"
cp "$tmp"/htmx.org-*/package/LICENSE "$dest/htmx/LICENSE"
cat > "$dest/VERSIONS" <<VERSIONS
$UTRECHT_CSS
$THEME
$HTMX
VERSIONS
echo "vendored into $dest:"; cat "$dest/VERSIONS"
