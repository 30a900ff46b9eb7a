// Reset and exception entry for the MPS2 AN386 (Cortex-M4F): vector table, memory
// initialisation, and the trampolines that hand faults to the Swift fault reporter.
#include <stdint.h>

#include "board_support.h"

extern uint32_t __data_start, __data_end, __data_load, __bss_start, __bss_end, __stack_limit,
    __stack_top;

#define STACK_PAINT 0x5354414Bu  // "STAK"

// Bytes of stack ever used: the painted words at the bottom still intact mark the headroom.
uint32_t board_stack_used(void) {
  const uint32_t *p = &__stack_limit;
  while (p < &__stack_top && *p == STACK_PAINT) p++;
  return (uint32_t)((uintptr_t)&__stack_top - (uintptr_t)p);
}

uint32_t board_stack_size(void) {
  return (uint32_t)((uintptr_t)&__stack_top - (uintptr_t)&__stack_limit);
}

int main(void);

// Implemented in Swift (Board/.../Fault.swift).
void kairo_report_fault(const uint32_t *stacked_frame, uint32_t exception_number);
void kairo_watchdog_interrupt(void);

__attribute__((section(".noinit"))) volatile uint32_t kairo_reset_record[2];

// The co-simulation port's state (Board/.../CoSimulationPort.swift) lives here, in .bss, so
// that it counts as RAM at link time instead of as 2 KB of somebody's stack frame.
_Alignas(8) static uint8_t cosim_state_storage[3072];

void *board_cosim_storage(void) { return cosim_state_storage; }
uint32_t board_cosim_storage_size(void) { return sizeof cosim_state_storage; }

// The ECU's own state, started in place by the image's main: in .bss it is counted as RAM at
// link time and never lives in a stack frame. Sized for the larger ECU: the battery ECU is
// 5621 bytes in the HIL (5645 on the bench) with its diagnostic server (2832), the inverter
// ECU 4428.
_Alignas(8) static uint8_t ecu_state_storage[5656];

void *board_ecu_storage(void) { return ecu_state_storage; }
uint32_t board_ecu_storage_size(void) { return sizeof ecu_state_storage; }

// The non-volatile store of this board: RAM that startup neither loads nor clears, so it keeps
// its bytes over a watchdog or software reset. Power loss is not modelled on QEMU (RAM starts
// zeroed, which the record format reads as "no valid record").
__attribute__((section(".noinit"))) volatile uint8_t kairo_retained_store[KAIRO_RETAINED_STORE_SIZE];

// The diagnostic records' region, retained the same way (only images that use it keep it).
__attribute__((section(".noinit"))) volatile uint8_t
    kairo_diagnostic_store[KAIRO_DIAGNOSTIC_STORE_SIZE];

// Semihosting handle of the host file behind the region (`store=PATH`), -1 without one.
static int retained_store_file = -1;

int retained_store_attach_file(const char *path) {
  uint8_t image[KAIRO_RETAINED_STORE_SIZE];
  for (uint32_t i = 0; i < KAIRO_RETAINED_STORE_SIZE; i++) image[i] = 0;
  int handle = semihosting_open(path, 3);  // "r+b": an existing file, kept
  if (handle >= 0) {
    // The bytes not transferred (a short or empty file) stay zero.
    (void)semihosting_read(handle, image, KAIRO_RETAINED_STORE_SIZE);
  } else {
    handle = semihosting_open(path, 7);  // "w+b": created
    if (handle < 0) return -1;
  }
  if (semihosting_seek(handle, 0) != 0) return -1;
  if (semihosting_write(handle, image, KAIRO_RETAINED_STORE_SIZE) != 0) return -1;
  for (uint32_t i = 0; i < KAIRO_RETAINED_STORE_SIZE; i++) kairo_retained_store[i] = image[i];
  retained_store_file = handle;
  return 0;
}

void retained_store_write_through(uint32_t offset, uint8_t value) {
  if (retained_store_file < 0) return;
  if (semihosting_seek(retained_store_file, offset) != 0) return;
  (void)semihosting_write(retained_store_file, &value, 1);
}

#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)

__attribute__((noreturn)) void Reset_Handler(void) {
  // Swift emits VFP instructions anywhere, so the FPU is on before any of it runs (CP10, CP11
  // full access), and the pipeline is flushed so the next instruction sees it.
  SCB_CPACR |= 0xFu << 20;
  __asm volatile("dsb\n isb" ::: "memory");

  const uint32_t *from = &__data_load;
  for (uint32_t *to = &__data_start; to < &__data_end;) *to++ = *from++;
  for (uint32_t *p = &__bss_start; p < &__bss_end;) *p++ = 0;
  // Paint the stack below this frame for the high-water mark (board_stack_used).
  uint32_t *sp;
  __asm volatile("mov %0, sp" : "=r"(sp));
  for (uint32_t *p = &__stack_limit; p < sp - 16;) *p++ = STACK_PAINT;

  int status = main();
  semihosting_exit(status);
}

// Every fault funnels here with the frame the core stacked (r0-r3, r12, lr, pc, xpsr), taken
// from whichever stack was active, and the exception number from IPSR.
__attribute__((naked)) void Fault_Handler(void) {
  __asm volatile(
      "tst lr, #4\n"
      "ite eq\n"
      "mrseq r0, msp\n"
      "mrsne r0, psp\n"
      "mrs r1, ipsr\n"
      "b kairo_report_fault\n");
}

void NMI_Handler(void) { kairo_watchdog_interrupt(); }

// SysTick only wakes the core from WFI (SysTickClock reads COUNTFLAG itself).
void SysTick_Handler(void) {}

// An interrupt nobody enabled: reported like a fault, with its exception number.
__attribute__((naked)) void Unexpected_Handler(void) {
  __asm volatile("b Fault_Handler\n");
}

typedef void (*vector_t)(void);

// Cortex-M4 system exceptions plus the 32 MPS2 external interrupts, all unexpected until a
// driver claims one.
__attribute__((section(".isr_vector"), used)) const vector_t vector_table[16 + 32] = {
    [0] = (vector_t)&__stack_top,
    [1] = Reset_Handler,
    [2] = NMI_Handler,
    [3] = Fault_Handler,  // HardFault
    [4] = Fault_Handler,  // MemManage
    [5] = Fault_Handler,  // BusFault
    [6] = Fault_Handler,  // UsageFault
    [11] = Unexpected_Handler,  // SVCall
    [12] = Unexpected_Handler,  // DebugMonitor
    [14] = Unexpected_Handler,  // PendSV
    [15] = SysTick_Handler,
    [16 ... 47] = Unexpected_Handler,
};
