/* See trims.c: replacements for three functions the Swift runtime calls,
 * reached only from the runtime in the release link. Nothing here is for
 * Swift code to call. */
#ifndef CRUNTIMETRIMS_H
#define CRUNTIMETRIMS_H

#include <stddef.h>
#include <stdint.h>

#endif
