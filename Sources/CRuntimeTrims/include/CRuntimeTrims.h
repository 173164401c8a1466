/* See trims.c: replacements for two Swift runtime internals, reached only
 * from the standard library in the release link. Nothing here is for Swift
 * code to call. */
#ifndef CRUNTIMETRIMS_H
#define CRUNTIMETRIMS_H

#include <stddef.h>
#include <stdint.h>

#endif
