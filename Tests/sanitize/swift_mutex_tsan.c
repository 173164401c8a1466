/*
 * ThreadSanitizer and Swift's Mutex (the Synchronization module) on Linux.
 *
 * Mutex locks and unlocks with an atomic compare-and-swap that is inlined
 * into libhss (instrumented: TSan sees the acquire and the release), but
 * when the lock is contended it falls back to _lockSlow/_unlockSlow in
 * libswiftSynchronization.so, which wait and hand the lock over with
 * FUTEX_LOCK_PI/FUTEX_UNLOCK_PI: code TSan does not instrument, and a
 * hand-over it cannot see. Every access under a contended Mutex would then
 * be reported as a race. These wrappers, linked into the TSan test programs
 * (whose definitions take precedence over the library's), tell TSan what
 * the slow paths do, on the same address as the inlined fast path: acquire
 * after _lockSlow returns, release before _unlockSlow starts. Nothing else
 * changes; a real race on data outside a Mutex is still reported.
 *
 * The two functions are methods of `_MutexHandle` (swiftcall; `self`, the
 * handle's address, in the context register): borrowing func
 * _lockSlow(_ selfId: UInt32) and borrowing func _unlockSlow().
 */
#define _GNU_SOURCE

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define LOCK_SLOW "$s15Synchronization12_MutexHandleV9_lockSlowyys6UInt32VF"
#define UNLOCK_SLOW "$s15Synchronization12_MutexHandleV11_unlockSlowyyF"
#define SWIFTCALL __attribute__((swiftcall))
#define SELF __attribute__((swift_context))

void __tsan_acquire(void *addr);
void __tsan_release(void *addr);

typedef SWIFTCALL void lock_slow_fn(uint32_t self_id, SELF void *handle);
typedef SWIFTCALL void unlock_slow_fn(SELF void *handle);

SWIFTCALL void lock_slow(uint32_t self_id, SELF void *handle) __asm__(LOCK_SLOW);
SWIFTCALL void unlock_slow(SELF void *handle) __asm__(UNLOCK_SLOW);

/* The library's own function, looked up once (atomically: threads race to it). */
static void *next(void **slot, const char *name)
{
    void *f = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (f == NULL) {
        f = dlsym(RTLD_NEXT, name);
        if (f == NULL) {
            fprintf(stderr, "swift_mutex_tsan: %s not found: %s\n", name, dlerror());
            abort();
        }
        __atomic_store_n(slot, f, __ATOMIC_RELEASE);
    }
    return f;
}

SWIFTCALL void lock_slow(uint32_t self_id, SELF void *handle)
{
    static void *real;
    ((lock_slow_fn *)next(&real, LOCK_SLOW))(self_id, handle);
    __tsan_acquire(handle);
}

SWIFTCALL void unlock_slow(SELF void *handle)
{
    static void *real;
    __tsan_release(handle);
    ((unlock_slow_fn *)next(&real, UNLOCK_SLOW))(handle);
}
