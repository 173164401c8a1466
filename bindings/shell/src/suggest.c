/* What was wrong with an option getopt_long refused, and the option a user
 * probably meant by an unknown one: a typo (--regoin, --namepsace), another
 * tool's spelling (KooCLI's --cli-region, snake case such as
 * --registry_addr) or another case (--Region). Never a value: a mistyped
 * option may well be followed by a secret. */
#include "command.h"

#include <ctype.h>
#include <getopt.h>
#include <string.h>

#define NAME_MAX_BYTES 64 /* longer than every option; a longer name is nothing close */
#define FARTHEST 2        /* edits a suggestion may be away */

/* The name as this command spells options: KooCLI's "cli-" prefix dropped,
 * '_' as '-', lower case. Returns 0 when it does not fit. */
static int normalise(const char *typed, char *out)
{
    size_t n = 0;

    if (strncmp(typed, "cli-", 4) == 0 || strncmp(typed, "cli_", 4) == 0)
        typed += 4;
    for (; typed[n]; n++) {
        if (n + 1 >= NAME_MAX_BYTES)
            return 0;
        out[n] = typed[n] == '_' ? '-' : (char)tolower((unsigned char)typed[n]);
    }
    out[n] = '\0';
    return 1;
}

static size_t smallest(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* Edits (insert, delete, replace, swap two neighbours) from a to b: the
 * optimal string alignment distance, over bytes (options are ASCII). */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), d[NAME_MAX_BYTES + 1][NAME_MAX_BYTES + 1];

    if (la > NAME_MAX_BYTES || lb > NAME_MAX_BYTES)
        return (size_t)-1;
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            d[i][j] = smallest(smallest(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + (a[i - 1] != b[j - 1]));
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = smallest(d[i][j], d[i - 2][j - 2] + 1);
        }
    return d[la][lb];
}

/* The offered option closest to `typed` (without "--"), or NULL. */
static const char *nearest(const char *typed, const struct option *options, int (*offered)(int id))
{
    char name[NAME_MAX_BYTES];
    const char *best = NULL;
    size_t best_distance = FARTHEST + 1;

    if (!normalise(typed, name) || strlen(name) <= FARTHEST) /* "--x" is close to nothing in particular */
        return NULL;
    for (const struct option *o = options; o->name; o++) {
        size_t d = offered(o->val) ? distance(name, o->name) : (size_t)-1;
        if (d < best_distance)
            best = o->name, best_distance = d;
    }
    return best;
}

const char *option_name(const char *arg, char *buffer, size_t size)
{
    size_t n = strcspn(arg, "=");
    if (n >= size)
        n = size - 1;
    memcpy(buffer, arg, n);
    buffer[n] = '\0';
    return buffer;
}

int option_refused(const char *arg, int optopt, const struct option *options, int (*offered)(int id))
{
    char name[NAME_MAX_BYTES];
    const char *typed, *meant = NULL;
    size_t length, matches = 0;

    if (optopt > 0 && optopt < 256) { /* a short option (getopt_long's optind may not have moved) */
        name[0] = '-', name[1] = (char)optopt, name[2] = '\0';
        return usage_error("unknown option ", name);
    }
    option_name(arg, name, sizeof name);
    if (optopt >= 256) /* getopt_long's optopt is the option's id when it was given a value it takes not */
        return usage_error(name, " takes no value");
    typed = strncmp(name, "--", 2) == 0 ? name + 2 : name;
    length = strlen(typed);
    for (const struct option *o = options; o->name && length; o++)
        if (offered(o->val) && strncmp(o->name, typed, length) == 0)
            matches++, meant = o->name;
    if (matches > 1) {
        fprintf(stderr, PROGRAM ": %s is ambiguous:", name);
        for (const struct option *o = options; o->name; o++)
            if (offered(o->val) && strncmp(o->name, typed, length) == 0)
                fprintf(stderr, " --%s%s", o->name, --matches > 1 ? "," : matches ? " or" : "");
        fputs(" (see --help)\n", stderr);
        return EXIT_USAGE;
    }
    if (matches == 0) /* one: an abbreviation of it and of a refused option (--proxy-pass) */
        meant = nearest(typed, options, offered);
    if (!meant)
        return usage_error("unknown option ", name);
    fprintf(stderr, PROGRAM ": unknown option %s; did you mean --%s? (see --help)\n", name, meant);
    return EXIT_USAGE;
}
