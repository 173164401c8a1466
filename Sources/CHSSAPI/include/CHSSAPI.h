/* What every layer sees of C: the public header (so the exported functions
 * are checked against its types, and hss_status is the one status type),
 * the libc the Swift side calls (through this module rather than the Glibc
 * overlay, whose static copy would raise the glibc version libhss needs),
 * the libc calls Swift cannot make, and the JSON scanner's inner loop
 * (chss_json.h). */
#ifndef CHSSAPI_H
#define CHSSAPI_H

#include "../../../include/hss.h"
#include "chss_json.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY): Swift cannot call
 * the variadic open(). Non-blocking, so a FIFO cannot stall the caller. */
int chss_open_nonblocking(const char *path);
/* errno, which Swift cannot read without the Glibc module. */
int chss_errno(void);
/* Names the calling thread (at most 15 bytes), as ps and /proc show it. */
void chss_name_thread(const char *name);
/* An eventfd (close-on-exec, non-blocking): readable while its counter is
 * not 0. */
int chss_eventfd(void);

#endif
