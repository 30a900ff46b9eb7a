#!/usr/bin/env bash
# Usage: function_size.sh ELF SYMBOL_SUBSTRING
# Prints the size in bytes (code and its literal pool, as the symbol table records it) of the
# one function whose mangled name contains SYMBOL_SUBSTRING; fails if none or several match.
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 ELF SYMBOL_SUBSTRING" >&2
  exit 2
fi
matches=$(arm-none-eabi-nm -S "$1" | awk -v want="$2" \
  'NF == 4 && $3 ~ /^[Tt]$/ && index($4, want) { print $2, $4 }')
count=$(printf '%s' "$matches" | grep -c . || true)
if [ "$count" -ne 1 ]; then
  echo "function_size.sh: $count functions in $1 match '$2'" >&2
  if [ -n "$matches" ]; then printf '%s\n' "$matches" >&2; fi
  exit 1
fi
echo $((16#${matches%% *}))
