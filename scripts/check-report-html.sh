#!/usr/bin/env bash
# Renders a galore-plan HTML report in headless Chromium, checks that its tables and images rendered, and
# takes a full-page screenshot.
#
#   scripts/check-report-html.sh REPORT.html OUT.png
#
# How it checks: every report page carries a small inline script (src/Cli/Reports/HtmlPage.cs) that, on
# `load`, writes its verdict on <html>: data-render-status="ok" when every <img> is complete with
# naturalWidth > 0 and every table has body rows, otherwise "broken: <what>"; plus data-render-height (the
# page height in CSS pixels). This script reads those attributes from Chromium's --dump-dom, then takes a
# screenshot of the whole page (window as tall as the page, capped at 16384 px).
#
# Exit codes: 0 rendered; 1 did not render (message says what); 2 bad usage or no Chromium.
# Chromium: the Debian package `chromium`. When it is missing and this runs as root with apt-get, it is installed.
set -euo pipefail

die() { echo "check-report-html: $1" >&2; exit "${2:-1}"; }

[ $# -eq 2 ] || die "usage: $0 REPORT.html OUT.png" 2
page=$1
shot=$2
[ -f "$page" ] || die "no such file: $page" 2

browser=""
for name in chromium chromium-browser google-chrome; do
    if command -v "$name" >/dev/null 2>&1; then browser=$(command -v "$name"); break; fi
done
if [ -z "$browser" ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "check-report-html: installing chromium (apt-get install -y chromium)" >&2
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >&2 \
            || die "could not install chromium" 2
        browser=$(command -v chromium) || die "chromium installed but not on PATH" 2
    else
        die "chromium is not installed (Debian: apt-get install -y chromium)" 2
    fi
fi

url="file://$(cd "$(dirname "$page")" && pwd)/$(basename "$page")"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
flags=(--headless --disable-gpu --no-sandbox --hide-scrollbars --no-first-run --disable-extensions
       --allow-file-access-from-files --user-data-dir="$profile" --virtual-time-budget=10000)

dom=$(timeout 120 "$browser" "${flags[@]}" --window-size=1280,900 --dump-dom "$url" 2>/dev/null) \
    || die "chromium failed to load $page"
html_tag=$(grep -o -m1 '<html[^>]*>' <<<"$dom" || true)
[ -n "$html_tag" ] || die "chromium returned no document for $page"
attr() { sed -n "s/.*$1=\"\\([^\"]*\\)\".*/\\1/p" <<<"$html_tag"; }
status=$(attr data-render-status)
tables=$(attr data-render-tables)
images=$(attr data-render-images)
height=$(attr data-render-height)
case "$status" in
    ok) ;;
    "") die "$page has no render check (data-render-status missing: not a galore-plan report?)" ;;
    pending) die "$page did not finish loading (its load handler never ran)" ;;
    *) die "$page did not render: $status" ;;
esac

height=${height:-2000}
[ "$height" -gt 16384 ] && height=16384
mkdir -p "$(dirname "$shot")"
rm -f "$shot"
timeout 120 "$browser" "${flags[@]}" --window-size=1280,"$height" --screenshot="$shot" "$url" >/dev/null 2>&1 \
    || die "chromium failed to take a screenshot of $page"
[ -s "$shot" ] || die "no screenshot was written to $shot"
[ "$(head -c 8 "$shot" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || die "$shot is not a PNG"

echo "ok: $page rendered $tables tables and $images images (page height ${height}px); screenshot $shot"
