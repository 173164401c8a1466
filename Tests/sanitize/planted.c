/*
 * One planted bug per sanitizer, to prove that `make sanitize` would see a
 * report: Tests/test_sanitize.py builds this with Tests/sanitize/cc, runs
 * `planted KIND` and requires a report of that kind in the log directory.
 *
 *   heap-overflow   ASan: a read one byte past a malloc'd block
 *   leak            LeakSanitizer: a block nobody frees
 *   overflow        UBSan: a signed integer overflow
 *   race            TSan: two threads write one variable without a lock
 */
#define _POSIX_C_SOURCE 200809L

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile int shared;
static void *leaked;

static void *writer(void *arg)
{
    shared = *(int *)arg;
    return NULL;
}

int main(int argc, char **argv)
{
    const char *kind = argc == 2 ? argv[1] : "";
    if (strcmp(kind, "heap-overflow") == 0) {
        char *p = malloc(8);
        volatile char c;
        memset(p, 'x', 8);
        c = p[8];
        (void)c;
        free(p);
    } else if (strcmp(kind, "leak") == 0) {
        leaked = malloc(64);
        leaked = NULL;
    } else if (strcmp(kind, "overflow") == 0) {
        volatile int big = INT_MAX;
        printf("%d\n", big + argc);
    } else if (strcmp(kind, "race") == 0) {
        pthread_t a, b;
        int one = 1, two = 2;
        pthread_create(&a, NULL, writer, &one);
        pthread_create(&b, NULL, writer, &two);
        pthread_join(a, NULL);
        pthread_join(b, NULL);
    } else {
        fprintf(stderr, "usage: planted heap-overflow|leak|overflow|race\n");
        return 2;
    }
    return 0;
}
