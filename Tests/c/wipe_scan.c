/*
 * After hss_*_free, what is left of the secrets in this process's memory?
 * (issue 9, point 6; issue 14: measured after a realistic sequence)
 *
 *   wipe_scan wiping   libcurl and OpenSSL get allocators that wipe every
 *                      block they free, so whatever the scan finds was left
 *                      by libhss itself: exit 1 on any hit
 *   wipe_scan plain    the default allocators: exit 1 only if the SK or the
 *                      wrong SK shows up (libcurl never sees them); every
 *                      hit is reported, for the test to hold against the
 *                      residue include/hss.h documents
 *   wipe_scan control  no library call; the program plants one copy of each
 *                      form of each secret on the heap: exit 0 only if the
 *                      scan finds each exactly once (proves that the scan
 *                      sees the heap, and finds nothing of its own)
 *
 * The sequence, every client alive until the end, traced at the debug level
 * (to a callback that only counts the lines):
 *   - AK/SK + security token: WIPE_CALLS successes (default 100); the
 *     answer's image_command embeds the password
 *   - a wrong SK: 401, the body echoing the canonical request (encoded
 *     password, security token)
 *   - WIPE_STUB_ENDPOINT: 404, a text body echoing the request (the stub's)
 *   - WIPE_CLOSED_ENDPOINT: a network error, retried
 *   - an IAM token: a success
 *   - AK/SK again, 10 calls that do not block: libhss's engine makes each
 *     result, this thread frees it (libhss wipes it then, and leaves its
 *     memory for the engine thread to free later)
 * Then every object and client is freed, the program wipes its own copies,
 * and it reads every readable mapping of /proc/self/maps through
 * /proc/self/mem, looking for every form of every secret.
 *
 * The forms come from the test (Tests/secret_forms.py's encodings) as
 * WIPE_FORM_<n>=<secret>.<encoding>=<text>, n = 0, 1, ...; <secret> is one
 * of the five below. The program must not find itself: secrets and forms
 * come from the environment, whose bytes are overwritten once copied; the
 * search patterns are kept XOR-masked and unmasked one byte at a time while
 * comparing; the scan buffer is a mapping of its own that the scan skips.
 *
 * Output (stdout): one "hit=<secret>.<encoding> <address> <mapping>" line
 * per hit, then "hits.<secret>.<encoding>=<n>" for every form, "calls=<n>",
 * "trace_lines=<n>" and "scanned=<bytes>". No secret is ever printed.
 * WIPE_SCAN_CONTEXT=1 also prints the 48 bytes before each hit (for
 * debugging by hand only: they may hold other secrets).
 *
 * Run it with LD_BIND_NOW=1: lazy binding makes ld.so save the vector
 * registers on the stack, and they may still hold bytes a memcpy just moved.
 *
 * Environment: WIPE_ENDPOINT, WIPE_CA_FILE (optional), WIPE_STUB_ENDPOINT,
 * WIPE_CLOSED_ENDPOINT, WIPE_PROJECT_ID, WIPE_AK, WIPE_CALLS; the secrets
 * WIPE_PASSWORD, WIPE_SK, WIPE_WRONG_SK, WIPE_SECURITY_TOKEN,
 * WIPE_AUTH_TOKEN; the forms WIPE_FORM_<n>.
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
#define MAX_FORMS 256
#define CHUNK ((size_t)1 << 20) /* the scan reads this much at a time */
#define OVERLAP ((size_t)4096)  /* and this much more: longer than any pattern */

struct secret {
    const char *name, *var;
    char *plain; /* our copy, handed to libhss; wiped before the scan */
};

static struct secret secrets[] = {
    {"password", "WIPE_PASSWORD", NULL},     {"sk", "WIPE_SK", NULL},
    {"wrong_sk", "WIPE_WRONG_SK", NULL},     {"security_token", "WIPE_SECURITY_TOKEN", NULL},
    {"auth_token", "WIPE_AUTH_TOKEN", NULL},
};
#define N_SECRETS (sizeof secrets / sizeof secrets[0])

struct form {
    char *label; /* "<secret>.<encoding>": no secret in it */
    unsigned char *masked;
    size_t len;
    long hits;
};

static struct form forms[MAX_FORMS];
static size_t n_forms;

/* A copy of the environment variable, whose bytes are then overwritten. */
static char *take(const char *var)
{
    char *value = getenv(var), *copy;
    if (value == NULL)
        return NULL;
    copy = strdup(value);
    if (copy == NULL)
        exit(2);
    memset(value, '#', strlen(value));
    return copy;
}

static void take_secrets(void)
{
    size_t s;
    char var[32];
    for (s = 0; s < N_SECRETS; s++) {
        secrets[s].plain = take(secrets[s].var);
        if (secrets[s].plain == NULL || strlen(secrets[s].plain) < 8) {
            fprintf(stderr, "wipe_scan: %s must be set (8 bytes or more)\n", secrets[s].var);
            exit(2);
        }
    }
    for (n_forms = 0; n_forms < MAX_FORMS; n_forms++) {
        struct form *f = &forms[n_forms];
        char *text, *p;
        snprintf(var, sizeof var, "WIPE_FORM_%zu", n_forms);
        if ((text = take(var)) == NULL)
            break;
        p = strchr(text, '=');
        if (p == NULL || strlen(p + 1) < 8 || strlen(p + 1) >= OVERLAP) {
            fprintf(stderr, "wipe_scan: %s must be <secret>.<encoding>=<text of 8 to 4095 bytes>\n", var);
            exit(2);
        }
        f->label = strndup(text, (size_t)(p - text));
        f->len = strlen(p + 1);
        f->masked = malloc(f->len);
        if (f->label == NULL || f->masked == NULL)
            exit(2);
        for (size_t k = 0; k < f->len; k++)
            f->masked[k] = (unsigned char)p[1 + k] ^ MASK;
        explicit_bzero(text, strlen(text));
        free(text);
    }
    if (n_forms == 0) {
        fprintf(stderr, "wipe_scan: no WIPE_FORM_0\n");
        exit(2);
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

/* Whether a form is one of the SK's or the wrong SK's. */
static int is_sk_form(const struct form *f)
{
    return strncmp(f->label, "sk.", 3) == 0 || strncmp(f->label, "wrong_sk.", 9) == 0;
}

/* For "control": one unmasked copy of every form, left on the heap. */
static void plant_copies(void)
{
    size_t i, k;
    for (i = 0; i < n_forms; i++) {
        unsigned char *copy = malloc(forms[i].len + 1);
        if (copy == NULL)
            exit(2);
        for (k = 0; k < forms[i].len; k++)
            copy[k] = forms[i].masked[k] ^ MASK;
        copy[k] = '\0';
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
static long calls, trace_lines;

static void count_line(hss_trace_level level, const char *line, void *user)
{
    (void)level, (void)line;
    (*(long *)user)++;
}

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
    o.trace = count_line;
    o.trace_user = &trace_lines;
    o.trace_level = HSS_TRACE_DEBUG;
    if (hss_client_new(&o, &c, &err) != HSS_OK) {
        fprintf(stderr, "wipe_scan: client: %s\n", hss_error_message(err));
        exit(2);
    }
    return c;
}

/* The request of every call: its answer's image_command embeds the password. */
static hss_image_upload_command_request request(void)
{
    hss_image_upload_command_request r = HSS_IMAGE_UPLOAD_COMMAND_REQUEST_INIT;
    r.registry_addr = "myharbor.com:443";
    r.namespace_name = "library";
    r.username = "admin";
    r.password = plain("password");
    return r;
}

/* One call; `expected` is the status it must return. */
static void call(hss_client *c, hss_status expected, const char *what)
{
    hss_image_upload_command_request r = request();
    hss_image_upload_command *result = NULL;
    hss_error *err = NULL;
    hss_status st;
    st = hss_image_upload_command_get(c, &r, &result, &err);
    calls++;
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
}

/* A call that does not block: its callback (on libhss's engine) hands the
 * result to this thread through a pipe. */
static int handoff[2];

static void started_done(hss_status status, hss_image_upload_command *result, hss_error *err, void *user)
{
    (void)user;
    hss_error_free(err);
    if (status != HSS_OK)
        result = NULL;
    if (write(handoff[1], &result, sizeof result) != (ssize_t)sizeof result)
        abort();
}

static void call_not_blocking(hss_client *c)
{
    hss_image_upload_command_request r = request();
    hss_image_upload_command *result = NULL;
    hss_error *err = NULL;
    calls++;
    if (hss_image_upload_command_start(c, &r, started_done, NULL, &err) != HSS_OK) {
        fprintf(stderr, "wipe_scan: a call that does not block: %s\n", hss_error_message(err));
        hss_error_free(err);
        failures++;
        return;
    }
    if (read(handoff[0], &result, sizeof result) != (ssize_t)sizeof result || result == NULL ||
        strstr(hss_image_upload_command_image_command(result), r.password) == NULL) {
        fprintf(stderr, "wipe_scan: a call that does not block failed, or its answer lacks the password\n");
        failures++;
    }
    hss_image_upload_command_free(result);
}

static void make_calls(void)
{
    const char *endpoint = getenv("WIPE_ENDPOINT"), *stub = getenv("WIPE_STUB_ENDPOINT");
    const char *closed = getenv("WIPE_CLOSED_ENDPOINT"), *n = getenv("WIPE_CALLS");
    hss_client *c[5];
    long i, successes = n != NULL ? atol(n) : 100;
    size_t k;
    if (endpoint == NULL || stub == NULL || closed == NULL) {
        fprintf(stderr, "wipe_scan: WIPE_ENDPOINT, WIPE_STUB_ENDPOINT and WIPE_CLOSED_ENDPOINT must be set\n");
        exit(2);
    }
    c[0] = client(endpoint, plain("sk"), NULL);
    c[1] = client(endpoint, plain("wrong_sk"), NULL);
    c[2] = client(stub, plain("sk"), NULL);
    c[3] = client(closed, plain("sk"), NULL);
    c[4] = client(endpoint, NULL, plain("auth_token"));
    for (i = 0; i < successes; i++)
        call(c[0], HSS_OK, "AK/SK + security token");
    call(c[1], HSS_E_HTTP_CLIENT, "wrong SK (401 echoing the canonical request)");
    call(c[2], HSS_E_HTTP_CLIENT, "404 echoing the request");
    call(c[3], HSS_E_NETWORK, "closed port");
    call(c[4], HSS_OK, "IAM token");
    if (pipe(handoff) != 0)
        exit(2);
    for (i = 0; i < 10; i++)
        call_not_blocking(c[0]);
    for (k = 0; k < 5; k++)
        hss_client_free(c[k]);
}

/* ------------------------------------------------------------------------ */
/* The scan                                                                  */
/* ------------------------------------------------------------------------ */

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
    size_t i;
    for (i = 0; i < n_forms; i++) {
        struct form *f = &forms[i];
        unsigned char first = f->masked[0] ^ MASK;
        const unsigned char *p = buf, *end = buf + got;
        while (p + f->len <= end && (p = memchr(p, first, (size_t)(end - p) - f->len + 1)) != NULL) {
            if ((size_t)(p - buf) >= limit)
                break;
            if (matches(p, f->masked, f->len)) {
                f->hits++;
                printf("hit=%s 0x%lx %s\n", f->label, (unsigned long)(address + (uintptr_t)(p - buf)), mapping);
                if (getenv("WIPE_SCAN_CONTEXT") != NULL)
                    report_context(p, (size_t)(p - buf) < 48 ? (size_t)(p - buf) : 48);
            }
            p++;
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
    size_t i;
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

    for (i = 0; i < n_forms; i++) {
        printf("hits.%s=%ld\n", forms[i].label, forms[i].hits);
        if (control)
            bad += forms[i].hits != 1;
        else if (wiping || is_sk_form(&forms[i]))
            bad += forms[i].hits;
    }
    printf("calls=%ld\ntrace_lines=%ld\nscanned=%llu\n", calls, trace_lines, scanned);
    if (failures > 0)
        return 2;
    return bad == 0 ? 0 : 1;
}
