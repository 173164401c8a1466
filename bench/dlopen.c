/*
 * Library load time, measured inside the process around one dlopen() call:
 * mapping, relocation (libhss is linked with -z now: every symbol bound at
 * once) and initialisers (the statically linked Swift runtime's among them).
 *
 *   dlopen_time LIBRARY           dlopen(LIBRARY) in a process that has loaded
 *                                 nothing but libc: libcurl, OpenSSL and their
 *                                 dependencies are loaded by it too
 *   dlopen_time LIBRARY after-curl  libcurl (and so OpenSSL and the rest of its
 *                                 dependencies) is loaded first, untimed: what
 *                                 remains is libhss's own share
 *
 * The program is not linked with libhss (nor libcurl), so nothing is loaded
 * before main(). Prints "dlopen_seconds=S".
 */
#define _POSIX_C_SOURCE 200809L

#include "bench_common.h"

#include <dlfcn.h>

int main(int argc, char **argv)
{
    if (argc != 2 && !(argc == 3 && strcmp(argv[2], "after-curl") == 0)) {
        fprintf(stderr, "usage: dlopen_time LIBRARY [after-curl]\n");
        return 2;
    }
    if (argc == 3 && dlopen("libcurl.so.4", RTLD_NOW | RTLD_GLOBAL) == NULL) {
        fprintf(stderr, "dlopen libcurl.so.4: %s\n", dlerror());
        return 1;
    }
    double start = bench_now();
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    double seconds = bench_now() - start;
    if (lib == NULL) {
        fprintf(stderr, "dlopen %s: %s\n", argv[1], dlerror());
        return 1;
    }
    /* One call proves the library is usable (and is not part of the time). */
    unsigned int (*version)(void);
    *(void **)&version = dlsym(lib, "hss_version_number"); /* POSIX's way to take a function */
    if (version == NULL || (version() >> 16) != 1) {
        fprintf(stderr, "%s: no usable hss_version_number()\n", argv[1]);
        return 1;
    }
    printf("dlopen_seconds=%.6f\n", seconds);
    return 0;
}
