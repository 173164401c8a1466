/* Three functions the Swift runtime calls and libhss never needs, replaced so
 * that the static link of the release library (make lib) leaves out what
 * they cost every process that loads libhss.so.1 (issue 24). All are hidden;
 * a build that links the Swift runtime dynamically (swift build, swift test)
 * never reaches them: the runtime calls its own. */
#include "CRuntimeTrims.h"

/* CommandLine.arguments. On Linux the runtime finds argv on the stack with
 * a static initialiser that reads /proc/self/maps when the library is
 * loaded: 0.5 M instructions, and a kernel walk of every mapping of the
 * process (a Python process has hundreds). Defined here, the runtime's
 * object is never linked. libhss reads no command line: an empty one. */
__attribute__((swiftcall, visibility("hidden"))) char **_swift_stdlib_getUnsafeArgvArgc(int *count)
{
    static char *none[] = {NULL};
    *count = 0;
    return none;
}

/* Unicode.Scalar.Properties.name. The Makefile links with
 * --wrap=_swift_stdlib_getScalarName: the standard library's one call comes
 * here, the runtime's function is left unreferenced, and --gc-sections drops
 * it with the Unicode name tables it reads (0.55 MB of a 6.7 MB library).
 * No scalar has a name (nil); libhss never asks for one. */
__attribute__((visibility("hidden"))) intptr_t __wrap__swift_stdlib_getScalarName(uint32_t scalar, uint8_t *buffer,
                                                                                  intptr_t capacity)
{
    (void)scalar;
    (void)buffer;
    (void)capacity;
    return 0;
}

/* __cxa_demangle. The runtime's fatal-error and backtrace printers ask it for
 * the names of C++ frames; linked in with libstdc++ (the Makefile), it would
 * bring GCC's demangler (45 KB). The Makefile links with --wrap=__cxa_demangle:
 * every name is reported as not mangled (status -2, no buffer), and a report
 * shows a C++ frame's symbol as it is. libhss has no C++ of its own. */
__attribute__((visibility("hidden"))) char *__wrap___cxa_demangle(const char *name, char *buffer, size_t *length,
                                                                  int *status)
{
    (void)name;
    (void)buffer;
    (void)length;
    if (status != NULL)
        *status = -2;
    return NULL;
}
