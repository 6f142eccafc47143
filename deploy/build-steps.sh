#!/bin/sh
# The Dockerfile's build: a virtualenv in PREFIX/venv with Komek installed from SRC's
# pyproject (not editable), the content and the compiled catalogs in PREFIX.
#   sh deploy/build-steps.sh PREFIX SRC
set -eu
prefix="$1"
src="${2:-.}"
python3 -m venv "$prefix/venv"
"$prefix/venv/bin/pip" install --quiet --no-cache-dir --disable-pip-version-check \
    "$src[postgres,redis,sentry]"
mkdir -p "$prefix"
rm -rf "$prefix/content" "$prefix/locales"
cp -r "$src/content" "$prefix/content"
cp -r "$src/locales" "$prefix/locales"
find "$prefix/locales" -name '*.mo' -delete
KOMEK_LOCALES_DIR="$prefix/locales" "$prefix/venv/bin/komek" i18n compile
KOMEK_CONTENT_DIR="$prefix/content" KOMEK_LOCALES_DIR="$prefix/locales" \
    "$prefix/venv/bin/komek" content check
