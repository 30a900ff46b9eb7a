#!/usr/bin/env bash
# No-heap gate 3: fails when an image defines or references an allocator or the Swift
# reference-counting entry points. Gates 1 (-no-allocations) and 2 (linker sentinel) run
# earlier; this one also catches an allocator that arrives under a name the sentinel lacks.
set -uo pipefail
HEAP_SYMBOLS='malloc|calloc|realloc|free|posix_memalign|_sbrk|swift_allocObject|swift_slowAlloc|swift_retain|swift_release'
status=0
for elf in "$@"; do
  if found=$(arm-none-eabi-nm "$elf" | grep -wE "$HEAP_SYMBOLS"); then
    echo "FAIL $elf references the heap:"
    echo "$found"
    status=1
  else
    echo "ok   $elf: no allocator or reference-counting symbols"
  fi
done
exit $status
