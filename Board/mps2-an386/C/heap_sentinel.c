// No-heap gate 2: allocator definitions placed in `.heap_sentinel`. The linker script asserts
// that section is empty, so the link fails if live code calls any of them (with
// --gc-sections an unreferenced section disappears). Compile without -ffunction-sections.
#include <stddef.h>

#define SENTINEL __attribute__((section(".heap_sentinel")))

SENTINEL void *malloc(size_t size) { (void)size; return 0; }
SENTINEL void *calloc(size_t count, size_t size) { (void)count; (void)size; return 0; }
SENTINEL void *realloc(void *pointer, size_t size) { (void)pointer; (void)size; return 0; }
SENTINEL void free(void *pointer) { (void)pointer; }
SENTINEL int posix_memalign(void **result, size_t alignment, size_t size) {
  (void)result; (void)alignment; (void)size;
  return 12;  // ENOMEM
}
