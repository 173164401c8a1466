/*
 * After hss_*_free, what is left of the secrets in this process's memory?
 * (issue 9, point 6)
 *
 *   wipe_scan wiping   libcurl and OpenSSL get allocators that wipe every
 *                      block they free, so whatever the scan finds was left
 *                      by libhss itself: exit 1 on any hit
 *   wipe_scan plain    the default allocators: exit 1 only if the SK shows
 *                      up (libcurl never sees it); every hit is reported
 *   wipe_scan control  no library call; the program plants one copy of each
 *                      form of each secret on the heap: exit 0 only if the
 *                      scan finds each exactly once (proves that the scan
 *                      sees the heap, and finds nothing of its own)
 *
 * Every secret goes through the library: a success (the answer's
 * image_command embeds the password) with AK/SK and a security token; a 401
 * for a wrong SK whose body echoes the canonical request (encoded password,
 * security token); a success with an IAM token; an error whose raw, non-JSON
 * body echoes the password and the security token. Then every object and
 * client is freed, the program wipes its own copies, and it reads every
 * readable mapping of /proc/self/maps through /proc/self/mem, looking for
 * each secret raw and percent-encoded (RFC 3986, upper- and lower-case hex).
 *
 * The program must not find itself: secrets come from the environment, whose
 * bytes are overwritten once copied; the search patterns are kept XOR-masked
 * and unmasked one byte at a time while comparing; the scan buffer is a
 * mapping of its own that the scan skips.
 *
 * Output (stdout): one "hit=<secret> <form> <address> <mapping>" line per
 * hit, then "hits.<secret>.<form>=<n>" for every secret and form, and
 * "scanned=<bytes>". No secret is ever printed. WIPE_SCAN_CONTEXT=1 also
 * prints the 48 bytes before each hit (for debugging by hand only: they may
 * hold other secrets).
 *
 * Run it with LD_BIND_NOW=1: lazy binding makes ld.so save the vector
 * registers on the stack, and they may still hold bytes a memcpy just moved.
 *
 * Environment: WIPE_ENDPOINT, WIPE_CA_FILE (optional), WIPE_STUB_ENDPOINT,
 * WIPE_PROJECT_ID, WIPE_AK; the secrets WIPE_PASSWORD, WIPE_SK,
 * WIPE_WRONG_SK, WIPE_SECURITY_TOKEN, WIPE_AUTH_TOKEN.
 */
#define _GNU_SOURCE

#include <hss.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include <fcntl.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Wiping allocators                                                         */
/* ------------------------------------------------------------------------ */

static void wiping_free(void *p)
{
    if (p != NULL) {
        explicit_bzero(p, malloc_usable_size(p));
        free(p);
    }
}

/* Never glibc's realloc: it may move the block and leave the old copy. */
static void *wiping_realloc(void *p, size_t n)
{
    void *q;
    size_t old;
    if (p == NULL)
        return malloc(n);
    q = malloc(n > 0 ? n : 1);
    if (q == NULL)
        return NULL;
    old = malloc_usable_size(p);
    memcpy(q, p, old < n ? old : n);
    wiping_free(p);
    return q;
}

static void *curl_malloc_cb(size_t n)
{
    return malloc(n);
}
static void curl_free_cb(void *p)
{
    wiping_free(p);
}
static void *curl_realloc_cb(void *p, size_t n)
{
    return wiping_realloc(p, n);
}
static void *curl_calloc_cb(size_t count, size_t n)
{
    return calloc(count, n);
}
static char *curl_strdup_cb(const char *s)
{
    size_t n = strlen(s) + 1;
    char *q = malloc(n);
    return q != NULL ? memcpy(q, s, n) : NULL;
}

static void *ossl_malloc_cb(size_t n, const char *file, int line)
{
    (void)file, (void)line;
    return malloc(n);
}
static void *ossl_realloc_cb(void *p, size_t n, const char *file, int line)
{
    (void)file, (void)line;
    return wiping_realloc(p, n);
}
static void ossl_free_cb(void *p, const char *file, int line)
{
    (void)file, (void)line;
    wiping_free(p);
}

/* Before libhss initialises libcurl (its own curl_global_init is then a
 * no-op) and before OpenSSL allocates anything. */
static void install_wiping_allocators(void)
{
    if (!CRYPTO_set_mem_functions(ossl_malloc_cb, ossl_realloc_cb, ossl_free_cb)) {
        fprintf(stderr, "wipe_scan: CRYPTO_set_mem_functions refused (OpenSSL already allocated)\n");
        exit(2);
    }
    if (curl_global_init_mem(CURL_GLOBAL_ALL, curl_malloc_cb, curl_free_cb, curl_realloc_cb, curl_strdup_cb,
                             curl_calloc_cb) != CURLE_OK) {
        fprintf(stderr, "wipe_scan: curl_global_init_mem failed\n");
        exit(2);
    }
}

/* ------------------------------------------------------------------------ */
/* Secrets and their masked search patterns                                  */
/* ------------------------------------------------------------------------ */

#define MASK 0x5a
enum { RAW, PCT_UPPER, PCT_LOWER, N_FORMS };
static const char *const form_names[N_FORMS] = {"raw", "pct-upper", "pct-lower"};

struct secret {
    const char *name, *var;
    char *plain; /* our copy, handed to libhss; wiped before the scan */
    unsigned char *masked[N_FORMS];
    size_t len[N_FORMS]; /* 0: this form is the same bytes as an earlier one */
    long hits[N_FORMS];
};

static struct secret secrets[] = {
    {"password", "WIPE_PASSWORD", NULL, {NULL}, {0}, {0}},
    {"sk", "WIPE_SK", NULL, {NULL}, {0}, {0}},
    {"wrong_sk", "WIPE_WRONG_SK", NULL, {NULL}, {0}, {0}},
    {"security_token", "WIPE_SECURITY_TOKEN", NULL, {NULL}, {0}, {0}},
    {"auth_token", "WIPE_AUTH_TOKEN", NULL, {NULL}, {0}, {0}},
};
#define N_SECRETS (sizeof secrets / sizeof secrets[0])

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == '~';
}

/* The masked form of `plain`: raw, or percent-encoded with this hex. */
static unsigned char *masked_form(const char *plain, int form, size_t *len)
{
    const char *hex = form == PCT_LOWER ? "0123456789abcdef" : "0123456789ABCDEF";
    unsigned char *out = malloc(strlen(plain) * 3 + 1), *p = out;
    if (out == NULL)
        exit(2);
    for (; *plain != '\0'; plain++) {
        unsigned char c = (unsigned char)*plain;
        if (form == RAW || unreserved(c)) {
            *p++ = c ^ MASK;
        } else {
            *p++ = '%' ^ MASK;
            *p++ = hex[c >> 4] ^ MASK;
            *p++ = hex[c & 15] ^ MASK;
        }
    }
    *len = (size_t)(p - out);
    return out;
}

/* Copy each secret out of the environment, overwrite the environment's
 * bytes, and prepare the masked patterns. */
static void take_secrets(void)
{
    size_t s;
    int f, g;
    for (s = 0; s < N_SECRETS; s++) {
        struct secret *x = &secrets[s];
        char *value = getenv(x->var);
        if (value == NULL || strlen(value) < 8) {
            fprintf(stderr, "wipe_scan: %s must be set (8 bytes or more)\n", x->var);
            exit(2);
        }
        x->plain = strdup(value);
        if (x->plain == NULL)
            exit(2);
        memset(value, '#', strlen(value));
        for (f = 0; f < N_FORMS; f++) {
            x->masked[f] = masked_form(x->plain, f, &x->len[f]);
            for (g = 0; g < f; g++)
                if (x->len[g] == x->len[f] && memcmp(x->masked[g], x->masked[f], x->len[f]) == 0)
                    x->len[f] = 0;
        }
    }
}

static const char *plain(const char *name)
{
    size_t s;
    for (s = 0; s < N_SECRETS; s++)
        if (strcmp(secrets[s].name, name) == 0)
            return secrets[s].plain;
    exit(2);
}

/* For "control": one unmasked copy of every form, left on the heap. */
static void plant_copies(void)
{
    size_t s, k;
    int f;
    for (s = 0; s < N_SECRETS; s++) {
        for (f = 0; f < N_FORMS; f++) {
            unsigned char *copy = malloc(secrets[s].len[f] + 1);
            if (copy == NULL)
                exit(2);
            for (k = 0; k < secrets[s].len[f]; k++)
                copy[k] = secrets[s].masked[f][k] ^ MASK;
            copy[k] = '\0';
        }
    }
}

static void wipe_plain_copies(void)
{
    size_t s;
    for (s = 0; s < N_SECRETS; s++) {
        explicit_bzero(secrets[s].plain, strlen(secrets[s].plain));
        free(secrets[s].plain);
        secrets[s].plain = NULL;
    }
}

/* ------------------------------------------------------------------------ */
/* Calls                                                                     */
/* ------------------------------------------------------------------------ */

static int failures;

static hss_client *client(const char *endpoint, const char *sk, const char *auth_token)
{
    hss_client_options o = HSS_CLIENT_OPTIONS_INIT;
    hss_client *c = NULL;
    hss_error *err = NULL;
    o.endpoint = endpoint;
    o.project_id = getenv("WIPE_PROJECT_ID");
    if (auth_token != NULL) {
        o.auth_token = auth_token;
    } else {
        o.ak = getenv("WIPE_AK");
        o.sk = sk;
        o.security_token = plain("security_token");
    }
    if (strncmp(endpoint, "https:", 6) == 0)
        o.ca_file = getenv("WIPE_CA_FILE");
    o.timeout_ms = 10000;
    if (hss_client_new(&o, &c, &err) != HSS_OK) {
        fprintf(stderr, "wipe_scan: client: %s\n", hss_error_message(err));
        exit(2);
    }
    return c;
}

/* One call; `expected` is the status it must return. */
static void call(hss_client *c, hss_status expected, const char *what)
{
    hss_image_upload_command_request r = HSS_IMAGE_UPLOAD_COMMAND_REQUEST_INIT;
    hss_image_upload_command *result = NULL;
    hss_error *err = NULL;
    hss_status st;
    r.registry_addr = "myharbor.com:443";
    r.namespace_name = "library";
    r.username = "admin";
    r.password = plain("password");
    st = hss_image_upload_command_get(c, &r, &result, &err);
    if (st != expected) {
        fprintf(stderr, "wipe_scan: %s: expected status %d, got %d: %s\n", what, (int)expected, (int)st,
                hss_error_message(err));
        failures++;
    } else if (st == HSS_OK && strstr(hss_image_upload_command_image_command(result), r.password) == NULL) {
        fprintf(stderr, "wipe_scan: %s: the answer does not embed the password\n", what);
        failures++;
    }
    hss_image_upload_command_free(result);
    hss_error_free(err);
    hss_client_free(c);
}

static void make_calls(void)
{
    const char *endpoint = getenv("WIPE_ENDPOINT"), *stub = getenv("WIPE_STUB_ENDPOINT");
    if (endpoint == NULL || stub == NULL) {
        fprintf(stderr, "wipe_scan: WIPE_ENDPOINT and WIPE_STUB_ENDPOINT must be set\n");
        exit(2);
    }
    call(client(endpoint, plain("sk"), NULL), HSS_OK, "AK/SK + security token");
    call(client(endpoint, plain("wrong_sk"), NULL), HSS_E_HTTP_CLIENT, "wrong SK (401 echoing the request)");
    call(client(endpoint, NULL, plain("auth_token")), HSS_OK, "IAM token");
    call(client(stub, plain("sk"), NULL), HSS_E_HTTP_SERVER, "raw error body echoing secrets");
}

/* ------------------------------------------------------------------------ */
/* The scan                                                                  */
/* ------------------------------------------------------------------------ */

#define CHUNK ((size_t)1 << 20)
#define OVERLAP ((size_t)4096) /* longer than any pattern */

static unsigned char *scan_buffer; /* a mapping of its own, skipped */
static unsigned long long scanned;

static int matches(const unsigned char *p, const unsigned char *masked, size_t len)
{
    size_t k;
    for (k = 0; k < len; k++)
        if ((unsigned char)(p[k] ^ MASK) != masked[k])
            return 0;
    return 1;
}

static void report_context(const unsigned char *p, size_t before)
{
    size_t k;
    fputs("  context=", stdout);
    for (k = before; k > 0; k--)
        putchar(p[-(long)k] >= 0x20 && p[-(long)k] < 0x7f ? p[-(long)k] : '.');
    putchar('\n');
}

/* Search buf[0, got) for matches that start before `limit`. */
static void search(const unsigned char *buf, size_t got, size_t limit, uintptr_t address, const char *mapping)
{
    size_t s;
    int f;
    for (s = 0; s < N_SECRETS; s++) {
        for (f = 0; f < N_FORMS; f++) {
            struct secret *x = &secrets[s];
            size_t len = x->len[f];
            unsigned char first;
            const unsigned char *p = buf, *end = buf + got;
            if (len == 0)
                continue;
            first = x->masked[f][0] ^ MASK;
            while (p + len <= end && (p = memchr(p, first, (size_t)(end - p) - len + 1)) != NULL) {
                if ((size_t)(p - buf) >= limit)
                    break;
                if (matches(p, x->masked[f], len)) {
                    x->hits[f]++;
                    printf("hit=%s %s 0x%lx %s\n", x->name, form_names[f],
                           (unsigned long)(address + (uintptr_t)(p - buf)), mapping);
                    if (getenv("WIPE_SCAN_CONTEXT") != NULL)
                        report_context(p, (size_t)(p - buf) < 48 ? (size_t)(p - buf) : 48);
                }
                p++;
            }
        }
    }
}

/* Scan [start, end) of this process's memory through /proc/self/mem. */
static void scan_range(int mem, uintptr_t start, uintptr_t end, const char *mapping)
{
    uintptr_t at;
    for (at = start; at < end; at += CHUNK) {
        size_t want = end - at < CHUNK + OVERLAP ? end - at : CHUNK + OVERLAP;
        ssize_t got = pread(mem, scan_buffer, want, (off_t)at);
        if (got <= 0)
            return; /* [vvar], [vsyscall] and the like cannot be read */
        scanned += (unsigned long long)(got < (ssize_t)CHUNK ? got : (ssize_t)CHUNK);
        search(scan_buffer, (size_t)got, CHUNK, at, mapping);
    }
}

/* Every readable mapping, except the scan buffer itself (the kernel may
 * have merged it with a neighbouring anonymous mapping). */
static void scan(void)
{
    static char maps[1 << 20];
    ssize_t n, total = 0;
    char *line, *next;
    uintptr_t skip_start = (uintptr_t)scan_buffer, skip_end = skip_start + CHUNK + OVERLAP;
    int fd = open("/proc/self/maps", O_RDONLY), mem = open("/proc/self/mem", O_RDONLY);
    if (fd < 0 || mem < 0) {
        perror("wipe_scan: /proc/self");
        exit(2);
    }
    while ((n = read(fd, maps + total, sizeof maps - 1 - (size_t)total)) > 0)
        total += n;
    maps[total] = '\0';
    close(fd);
    for (line = maps; *line != '\0'; line = next) {
        unsigned long start, end;
        char perms[5] = "", mapping[256] = "[anon]";
        next = strchr(line, '\n');
        next = next != NULL ? next + 1 : line + strlen(line);
        if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %255[^\n]", &start, &end, perms, mapping) < 3 || perms[0] != 'r')
            continue;
        if (start < skip_end && skip_start < end) {
            scan_range(mem, start, skip_start > start ? skip_start : start, mapping);
            scan_range(mem, skip_end < end ? skip_end : end, end, mapping);
        } else {
            scan_range(mem, start, end, mapping);
        }
    }
    explicit_bzero(scan_buffer, CHUNK + OVERLAP);
    close(mem);
}

int main(int argc, char **argv)
{
    const char *mode = argc == 2 ? argv[1] : "";
    int wiping = strcmp(mode, "wiping") == 0, control = strcmp(mode, "control") == 0;
    size_t s;
    int f;
    long bad = 0;
    if (!wiping && !control && strcmp(mode, "plain") != 0) {
        fprintf(stderr, "usage: wipe_scan wiping|plain|control\n");
        return 2;
    }
    if (wiping)
        install_wiping_allocators();
    /* Before anything that might put secrets in memory nearby. */
    scan_buffer = mmap(NULL, CHUNK + OVERLAP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (scan_buffer == MAP_FAILED)
        return 2;

    take_secrets();
    if (control)
        plant_copies();
    else
        make_calls();
    wipe_plain_copies();
    scan();

    for (s = 0; s < N_SECRETS; s++) {
        for (f = 0; f < N_FORMS; f++) {
            if (secrets[s].len[f] == 0)
                continue;
            printf("hits.%s.%s=%ld\n", secrets[s].name, form_names[f], secrets[s].hits[f]);
            if (control)
                bad += secrets[s].hits[f] != 1;
            else if (wiping || strstr(secrets[s].name, "sk") != NULL)
                bad += secrets[s].hits[f];
        }
    }
    printf("scanned=%llu\n", scanned);
    if (failures > 0)
        return 2;
    return bad == 0 ? 0 : 1;
}
