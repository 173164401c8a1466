/*
 * The C-level tests of libhss: one program, written against include/hss.h
 * only, that runs the case named on its command line.
 *
 *   test_api CASE        run CASE; exit 0 on pass, 1 with "FAIL ..." lines on stderr
 *   test_api --list      print every case name, one per line
 *
 * Tests/test_c_api.py (pytest) runs it against the local HSS emulator and
 * sets everything through the environment, so that secrets never appear on
 * a command line:
 *
 *   client   HSS_TEST_ENDPOINT, HSS_TEST_REGION, HSS_TEST_PROJECT_ID,
 *            HSS_TEST_AK, HSS_TEST_SK, HSS_TEST_SECURITY_TOKEN,
 *            HSS_TEST_AUTH_TOKEN, HSS_TEST_CA_FILE, HSS_TEST_TIMEOUT_MS,
 *            HSS_TEST_CONNECT_TIMEOUT_MS, HSS_TEST_USER_AGENT_SUFFIX
 *            HSS_TEST_FROM_ENV=1     use hss_client_new_from_env with the
 *                                    values above as overrides
 *            HSS_TEST_FROM_ENV=null  ... with overrides == NULL
 *            (version 2: HSS_TEST_IAM_ENDPOINT, HSS_TEST_PROXY,
 *            HSS_TEST_PROXY_USERNAME, HSS_TEST_PROXY_PASSWORD,
 *            HSS_TEST_NO_PROXY, HSS_TEST_ALLOW_CLEARTEXT_PROXY,
 *            HSS_TEST_TRACE_LEVEL, HSS_TEST_MAX_ATTEMPTS,
 *            HSS_TEST_RETRY_BASE_MS, HSS_TEST_RETRY_CAP_MS,
 *            HSS_TEST_SIGNING_ALGORITHM (a number),
 *            HSS_TEST_DERIVED_KEY_SERVICE; version 3: HSS_TEST_DRY_RUN)
 *            HSS_TEST_SET_TRACE_LEVEL=n: hss_client_set_trace_level once
 *                                    the client exists
 *   request  HSS_TEST_REGISTRY_ADDR, HSS_TEST_NAMESPACE, HSS_TEST_USERNAME,
 *            HSS_TEST_PASSWORD, HSS_TEST_EPID (unset: a harmless default,
 *            none for HSS_TEST_EPID)
 *   expect   HSS_TEST_EXPECT (a status name, default HSS_OK),
 *            HSS_TEST_EXPECT_HTTP, HSS_TEST_EXPECT_CODE (exact),
 *            HSS_TEST_EXPECT_MSG (substring of hss_error_service_message),
 *            HSS_TEST_EXPECT_MESSAGE (substring of hss_error_message),
 *            HSS_TEST_EXPECT_REQUEST_ID (exact hss_error_request_id; unset:
 *            an HTTP error's must be 32 hex digits, like the emulator's)
 *   repeat   HSS_TEST_CALLS, HSS_TEST_THREADS, HSS_TEST_CLIENT_PER_THREAD
 *   later    HSS_TEST_SETENV_AFTER_CLIENT=NAME=VALUE: put into the
 *            environment once the client exists, before the calls
 *   into     HSS_TEST_INTO=1: the calls (`call`'s and the req: cases') go
 *            through hss_image_upload_command_get_into, HSS_TEST_INTO=fields
 *            through hss_image_upload_command_get_fields
 *            (HSS_TEST_INTO_SIZE: their buffer's size)
 *   resolve  HSS_TEST_RESOLVE=1: `call` runs hss_client_resolve (checked
 *            against the expectation) instead of the calls
 *   async    HSS_TEST_ASYNC=1: the calls (`call`'s and the req: cases')
 *            go through hss_image_upload_command_start, each waited for
 *            (its callback runs on libhss's engine thread)
 *
 * `call` prints how long each call (or hss_client_resolve) took inside the
 * process, as "elapsed_ms=<n>" lines on stdout, for the deadline tests.
 *
 * Every error object the program receives is printed to stderr, all fields,
 * between "hss_error.begin=" and "hss_error.end" lines (the canary test
 * greps that output for secrets). A successful call prints its three result
 * strings raw to stdout as "image_command=...", "images_download_url=...",
 * "swr_image_pull_command=..." lines, for pytest to compare byte for byte.
 *
 * Invalid values in the validation tables carry the marker "Zq7": an error
 * message must name the field but must never echo the value, so it must
 * never contain the marker.
 */
#define _POSIX_C_SOURCE 200809L

#include <hss.h>

#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MARKER "Zq7"

/* ------------------------------------------------------------------------ */
/* Reporting                                                                 */
/* ------------------------------------------------------------------------ */

static const char *current_case = "?";
static int failures;
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;

static void failf(int line, const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&report_lock);
    fprintf(stderr, "FAIL %s (test_api.c:%d): ", current_case, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    failures++;
    pthread_mutex_unlock(&report_lock);
}

#define CHECK(cond, ...) \
    do { \
        if (!(cond)) \
            failf(__LINE__, __VA_ARGS__); \
    } while (0)

/* Print every field of an error object (or its absence) to stderr. */
static void print_error(const char *what, hss_status returned, const hss_error *err)
{
    pthread_mutex_lock(&report_lock);
    fprintf(stderr, "hss_error.begin=%s\n", what);
    fprintf(stderr, "hss_error.returned=%d %s\n", (int)returned, hss_status_str(returned));
    if (err != NULL) {
        fprintf(stderr, "hss_error.status=%d\n", (int)hss_error_status(err));
        fprintf(stderr, "hss_error.http_status=%d\n", hss_error_http_status(err));
        fprintf(stderr, "hss_error.code=%s\n", hss_error_code(err));
        fprintf(stderr, "hss_error.request_id=%s\n", hss_error_request_id(err));
        fprintf(stderr, "hss_error.attempts=%d\n", hss_error_attempts(err));
        fprintf(stderr, "hss_error.retryable=%d\n", hss_error_retryable(err));
        fprintf(stderr, "hss_error.message=%s\n", hss_error_message(err));
        /* Last: the service's message may span lines. */
        fprintf(stderr, "hss_error.msg=%s\n", hss_error_service_message(err));
    } else {
        fprintf(stderr, "hss_error.none\n");
    }
    fprintf(stderr, "hss_error.end\n");
    pthread_mutex_unlock(&report_lock);
}

/* ------------------------------------------------------------------------ */
/* Small helpers                                                             */
/* ------------------------------------------------------------------------ */

static long env_long(const char *name, long fallback)
{
    const char *v = getenv(name);
    return (v != NULL && v[0] != '\0') ? strtol(v, NULL, 10) : fallback;
}

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v != NULL ? v : fallback;
}

static int contains(const char *haystack, const char *needle)
{
    return needle[0] != '\0' && strstr(haystack, needle) != NULL;
}

/* Fill buf with prefix followed by `count` copies of `unit`. */
static void fill(char *buf, size_t size, const char *prefix, const char *unit, int count)
{
    size_t n = strlen(prefix), u = strlen(unit);
    int i;
    if (n + (size_t)count * u + 1 > size) {
        fprintf(stderr, "test_api.c: fill buffer too small\n");
        exit(2);
    }
    memcpy(buf, prefix, n);
    for (i = 0; i < count; i++, n += u)
        memcpy(buf + n, unit, u);
    buf[n] = '\0';
}

/* Percent-encode like the signer (unreserved A-Z a-z 0-9 - _ . ~ kept),
 * optionally with lower-case hex and/or '+' for space. malloc'd. */
static char *percent_encode(const char *in, int lower, int plus_for_space)
{
    const char *hex = lower ? "0123456789abcdef" : "0123456789ABCDEF";
    char *out = malloc(strlen(in) * 3 + 1), *p = out;
    if (out == NULL)
        exit(2);
    for (; *in != '\0'; in++) {
        unsigned char c = (unsigned char)*in;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
            c == '.' || c == '~') {
            *p++ = (char)c;
        } else if (c == ' ' && plus_for_space) {
            *p++ = '+';
        } else {
            *p++ = '%';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        }
    }
    *p = '\0';
    return out;
}

/* Does `text` hold `secret` raw, percent-encoded (upper/lower hex), or
 * form-encoded (space as '+')? */
static int leaks_secret(const char *text, const char *secret)
{
    int lower, plus, found = contains(text, secret);
    for (lower = 0; lower <= 1 && !found; lower++) {
        for (plus = 0; plus <= 1 && !found; plus++) {
            char *enc = percent_encode(secret, lower, plus);
            found = contains(text, enc);
            free(enc);
        }
    }
    return found;
}

/* Every secret the program may have handed to the library. */
static const char *const secret_vars[] = {
    "HSS_TEST_SK",
    "HSS_TEST_SECURITY_TOKEN",
    "HSS_TEST_AUTH_TOKEN",
    "HSS_TEST_PASSWORD",
    "HUAWEICLOUD_SDK_SK",
    "CLOUD_SDK_SK",
    "HUAWEICLOUD_SDK_SECURITY_TOKEN",
    "HUAWEICLOUD_SDK_AUTH_TOKEN",
};

static void check_no_secrets(const char *what, const hss_error *err)
{
    const char *fields[4];
    const char *names[4] = {"message", "code", "service_message", "request_id"};
    size_t s;
    int f;
    fields[0] = hss_error_message(err);
    fields[1] = hss_error_code(err);
    fields[2] = hss_error_service_message(err);
    fields[3] = hss_error_request_id(err);
    for (s = 0; s < sizeof secret_vars / sizeof secret_vars[0]; s++) {
        const char *secret = getenv(secret_vars[s]);
        if (secret == NULL || strlen(secret) < 4) /* too short to tell from text */
            continue;
        for (f = 0; f < 4; f++)
            CHECK(!leaks_secret(fields[f], secret), "%s: hss_error_%s reveals the value of %s", what, names[f],
                  secret_vars[s]);
    }
}

static int is_request_id(const char *s)
{
    size_t i;
    for (i = 0; i < 32; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return s[32] == '\0';
}

/* hss.h's single-line rule: no C0 control, DEL or C1 control (U+0080 to
 * U+009F, UTF-8 C2 80 to C2 9F), whatever the message quotes. */
static int is_printable_line(const char *text)
{
    const unsigned char *p;
    for (p = (const unsigned char *)text; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7F)
            return 0;
        if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F)
            return 0;
    }
    return 1;
}

static long monotonic_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Sentinels prove that *out is left untouched where hss.h says so. (*err
 * must be NULL on entry: case_gerror checks what a non-NULL one does.) */
static char sentinel_storage[1];
#define CLIENT_SENTINEL ((hss_client *)(void *)&sentinel_storage[0])
#define RESULT_SENTINEL ((hss_image_upload_command *)(void *)&sentinel_storage[0])

/* ------------------------------------------------------------------------ */
/* Status names and expectations                                             */
/* ------------------------------------------------------------------------ */

static const struct {
    hss_status status;
    const char *name;
} status_names[] = {
    {HSS_OK, "HSS_OK"},
    {HSS_E_INVALID_ARGUMENT, "HSS_E_INVALID_ARGUMENT"},
    {HSS_E_OUT_OF_MEMORY, "HSS_E_OUT_OF_MEMORY"},
    {HSS_E_NETWORK, "HSS_E_NETWORK"},
    {HSS_E_TLS, "HSS_E_TLS"},
    {HSS_E_TIMEOUT, "HSS_E_TIMEOUT"},
    {HSS_E_HTTP_CLIENT, "HSS_E_HTTP_CLIENT"},
    {HSS_E_HTTP_SERVER, "HSS_E_HTTP_SERVER"},
    {HSS_E_BAD_RESPONSE, "HSS_E_BAD_RESPONSE"},
    {HSS_E_INTERNAL, "HSS_E_INTERNAL"},
    {HSS_E_CREDENTIALS, "HSS_E_CREDENTIALS"},
    {HSS_E_DRY_RUN, "HSS_E_DRY_RUN"},
    {HSS_E_CANCELLED, "HSS_E_CANCELLED"},
};
#define N_STATUSES (sizeof status_names / sizeof status_names[0])

static const char *status_name(hss_status status)
{
    size_t i;
    for (i = 0; i < N_STATUSES; i++)
        if (status_names[i].status == status)
            return status_names[i].name;
    return "(unknown)";
}

typedef struct {
    hss_status status;
    int http;                /* -1: do not check */
    const char *code;        /* exact hss_error_code, or NULL */
    const char *msg_has;     /* substring of hss_error_service_message, or NULL */
    const char *message_has; /* substring of hss_error_message, or NULL */
    const char *request_id;  /* exact hss_error_request_id, or NULL */
} expectation;

static expectation expectation_from_env(void)
{
    expectation e;
    const char *name = env_or("HSS_TEST_EXPECT", "HSS_OK");
    size_t i;
    e.status = (hss_status)-1;
    for (i = 0; i < N_STATUSES; i++)
        if (strcmp(status_names[i].name, name) == 0)
            e.status = status_names[i].status;
    if ((int)e.status == -1) {
        fprintf(stderr, "test_api.c: unknown HSS_TEST_EXPECT=%s\n", name);
        exit(2);
    }
    e.http = (int)env_long("HSS_TEST_EXPECT_HTTP", -1);
    e.code = getenv("HSS_TEST_EXPECT_CODE");
    e.msg_has = getenv("HSS_TEST_EXPECT_MSG");
    e.message_has = getenv("HSS_TEST_EXPECT_MESSAGE");
    e.request_id = getenv("HSS_TEST_EXPECT_REQUEST_ID");
    return e;
}

/* Check an error against an expectation, and the invariants of every error. */
static void check_error(const char *what, hss_status got, const hss_error *err, const expectation *e)
{
    const char *message;
    CHECK(got == e->status, "%s: expected %s, got %s", what, status_name(e->status), status_name(got));
    CHECK(err != NULL, "%s: no error object for a failure", what);
    if (err == NULL)
        return;
    message = hss_error_message(err);
    CHECK(hss_error_status(err) == got, "%s: hss_error_status %d differs from the returned %d", what,
          (int)hss_error_status(err), (int)got);
    CHECK(message[0] != '\0', "%s: empty hss_error_message", what);
    CHECK(is_printable_line(message), "%s: hss_error_message is not one printable line", what);
    CHECK(is_printable_line(hss_error_code(err)), "%s: hss_error_code is not one printable line", what);
    if (e->http >= 0)
        CHECK(hss_error_http_status(err) == e->http, "%s: hss_error_http_status %d, expected %d", what,
              hss_error_http_status(err), e->http);
    if (e->code != NULL)
        CHECK(strcmp(hss_error_code(err), e->code) == 0, "%s: hss_error_code \"%s\", expected \"%s\"", what,
              hss_error_code(err), e->code);
    if (e->msg_has != NULL)
        CHECK(strstr(hss_error_service_message(err), e->msg_has) != NULL, "%s: hss_error_service_message lacks \"%s\"",
              what, e->msg_has);
    if (e->message_has != NULL)
        CHECK(strstr(message, e->message_has) != NULL, "%s: hss_error_message lacks \"%s\"", what, e->message_has);
    if (getenv("HSS_TEST_EXPECT_NO_REQUEST_ID") != NULL)
        CHECK(hss_error_request_id(err)[0] == '\0', "%s: hss_error_request_id should be empty", what);
    else if (e->request_id != NULL)
        CHECK(strcmp(hss_error_request_id(err), e->request_id) == 0, "%s: hss_error_request_id \"%s\", expected \"%s\"",
              what, hss_error_request_id(err), e->request_id);
    else if (got == HSS_E_HTTP_CLIENT || got == HSS_E_HTTP_SERVER)
        CHECK(is_request_id(hss_error_request_id(err)),
              "%s: hss_error_request_id \"%s\" is not the emulator's 32 hex digits", what, hss_error_request_id(err));
    if (got == HSS_E_INVALID_ARGUMENT)
        CHECK(hss_error_http_status(err) == 0 && hss_error_code(err)[0] == '\0' &&
                  hss_error_service_message(err)[0] == '\0' && hss_error_request_id(err)[0] == '\0',
              "%s: a validation error carries service fields", what);
    check_no_secrets(what, err);
}

/* A validation failure: INVALID_ARGUMENT, message names `field`, never
 * shows the marker of the offending value. */
static void check_invalid(const char *what, hss_status got, const hss_error *err, const char *field)
{
    expectation e = {HSS_E_INVALID_ARGUMENT, 0, "", NULL, NULL, NULL};
    print_error(what, got, err);
    check_error(what, got, err, &e);
    if (err == NULL)
        return;
    CHECK(contains(hss_error_message(err), field), "%s: message \"%s\" does not name %s", what, hss_error_message(err),
          field);
    CHECK(!contains(hss_error_message(err), MARKER), "%s: message \"%s\" echoes the offending value", what,
          hss_error_message(err));
}

/* ------------------------------------------------------------------------ */
/* Client and request from the environment                                   */
/* ------------------------------------------------------------------------ */

static void options_from_env(hss_client_options *o)
{
    hss_client_options init = HSS_CLIENT_OPTIONS_INIT;
    *o = init;
    o->endpoint = getenv("HSS_TEST_ENDPOINT");
    o->region = getenv("HSS_TEST_REGION");
    o->project_id = getenv("HSS_TEST_PROJECT_ID");
    o->ak = getenv("HSS_TEST_AK");
    o->sk = getenv("HSS_TEST_SK");
    o->security_token = getenv("HSS_TEST_SECURITY_TOKEN");
    o->auth_token = getenv("HSS_TEST_AUTH_TOKEN");
    o->ca_file = getenv("HSS_TEST_CA_FILE");
    o->user_agent_suffix = getenv("HSS_TEST_USER_AGENT_SUFFIX");
    o->connect_timeout_ms = env_long("HSS_TEST_CONNECT_TIMEOUT_MS", 0);
    o->timeout_ms = env_long("HSS_TEST_TIMEOUT_MS", 0);
    o->iam_endpoint = getenv("HSS_TEST_IAM_ENDPOINT");
    o->proxy = getenv("HSS_TEST_PROXY");
    o->proxy_username = getenv("HSS_TEST_PROXY_USERNAME");
    o->proxy_password = getenv("HSS_TEST_PROXY_PASSWORD");
    o->no_proxy = getenv("HSS_TEST_NO_PROXY");
    o->allow_cleartext_proxy = (int)env_long("HSS_TEST_ALLOW_CLEARTEXT_PROXY", 0);
    o->trace_level = (int)env_long("HSS_TEST_TRACE_LEVEL", 0);
    o->max_attempts = (int)env_long("HSS_TEST_MAX_ATTEMPTS", 0);
    o->retry_base_ms = env_long("HSS_TEST_RETRY_BASE_MS", 0);
    o->retry_cap_ms = env_long("HSS_TEST_RETRY_CAP_MS", 0);
    o->signing_algorithm = (int)env_long("HSS_TEST_SIGNING_ALGORITHM", 0);
    o->derived_key_service = getenv("HSS_TEST_DERIVED_KEY_SERVICE");
    o->dry_run = (int)env_long("HSS_TEST_DRY_RUN", 0);
}

static hss_status client_from_env(hss_client **out, hss_error **err)
{
    hss_client_options o;
    const char *mode = env_or("HSS_TEST_FROM_ENV", "");
    options_from_env(&o);
    if (strcmp(mode, "null") == 0)
        return hss_client_new_from_env(NULL, out, err);
    if (mode[0] != '\0')
        return hss_client_new_from_env(&o, out, err);
    return hss_client_new(&o, out, err);
}

/* A client the case needs in order to test something else: failing to get
 * one is a failure of its own. */
static hss_client *must_client(void)
{
    hss_client *client = NULL;
    hss_error *err = NULL;
    hss_status st = client_from_env(&client, &err);
    if (st != HSS_OK) {
        print_error("client", st, err);
        CHECK(0, "could not create the client: %s", hss_error_message(err));
        hss_error_free(err);
        return NULL;
    }
    return client;
}

static void request_from_env(hss_image_upload_command_request *r)
{
    hss_image_upload_command_request init = HSS_IMAGE_UPLOAD_COMMAND_REQUEST_INIT;
    *r = init;
    r->registry_addr = env_or("HSS_TEST_REGISTRY_ADDR", "myharbor.com:443");
    r->namespace_name = env_or("HSS_TEST_NAMESPACE", "library");
    r->username = env_or("HSS_TEST_USERNAME", "admin");
    r->password = env_or("HSS_TEST_PASSWORD", "s3cret-PW");
    r->enterprise_project_id = getenv("HSS_TEST_EPID");
}

static void *must_malloc(size_t size);

/* The call through hss_image_upload_command_get_into (or, with
 * HSS_TEST_INTO=fields, hss_image_upload_command_get_fields given r's
 * strings), into a buffer of HSS_TEST_INTO_SIZE bytes (default
 * HSS_IMAGE_UPLOAD_COMMAND_BUFFER_SIZE) that starts filled with 'Z': on
 * success the three strings are printed as one_call prints them; on failure
 * nothing may have been written. */
static hss_status one_call_into(hss_client *client, const hss_image_upload_command_request *r, hss_error **err,
                                int print)
{
    size_t size = (size_t)env_long("HSS_TEST_INTO_SIZE", HSS_IMAGE_UPLOAD_COMMAND_BUFFER_SIZE);
    size_t lengths[3] = {0, 0, 0}, i;
    char *buffer = must_malloc(size + 1);
    hss_status st;
    memset(buffer, 'Z', size + 1);
    const char *into = getenv("HSS_TEST_INTO");
    if (into != NULL && strcmp(into, "fields") == 0)
        st = hss_image_upload_command_get_fields(client, r->registry_addr, r->namespace_name, r->username, r->password,
                                                 r->enterprise_project_id, buffer, size, lengths, err);
    else
        st = hss_image_upload_command_get_into(client, r, buffer, size, lengths, err);
    if (st == HSS_OK) {
        const char *names[3] = {"image_command", "images_download_url", "swr_image_pull_command"};
        const char *at = buffer;
        for (i = 0; i < 3; i++) {
            CHECK(strlen(at) == lengths[i], "into: lengths[%d] is %zu, the string %zu", (int)i, lengths[i], strlen(at));
            if (print)
                printf("%s=%s\n", names[i], at);
            at += lengths[i] + 1;
        }
    } else {
        for (i = 0; i < size && buffer[i] == 'Z'; i++)
            ;
        CHECK(i == size, "into: the buffer was written although the call failed");
    }
    memset(buffer, 0, size + 1);
    free(buffer);
    return st;
}

/* HSS_TEST_ASYNC: the call through hss_image_upload_command_start, waited
 * for; its outcome as hss_image_upload_command_get returns it. */
struct async_outcome {
    pthread_mutex_t lock;
    pthread_cond_t done;
    int completions;
    hss_status status;
    hss_image_upload_command *result;
    hss_error *err;
};

static void async_done(hss_status status, hss_image_upload_command *result, hss_error *err, void *user)
{
    struct async_outcome *o = user;
    pthread_mutex_lock(&o->lock);
    o->completions++;
    o->status = status;
    o->result = result;
    o->err = err;
    pthread_cond_signal(&o->done);
    pthread_mutex_unlock(&o->lock);
}

static hss_status call_async(hss_client *client, const hss_image_upload_command_request *r,
                             hss_image_upload_command **out, hss_error **err)
{
    struct async_outcome o = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, HSS_OK, NULL, NULL};
    hss_status st = hss_image_upload_command_start(client, r, async_done, &o, err);
    if (st != HSS_OK)
        return st;
    pthread_mutex_lock(&o.lock);
    while (o.completions == 0)
        pthread_cond_wait(&o.done, &o.lock);
    pthread_mutex_unlock(&o.lock);
    if (o.status == HSS_OK)
        *out = o.result;
    if (err != NULL)
        *err = o.err;
    else
        hss_error_free(o.err);
    return o.status;
}

/* The call as HSS_TEST_ASYNC says: hss_image_upload_command_get, or start and wait. */
static hss_status get_or_start(hss_client *client, const hss_image_upload_command_request *r,
                               hss_image_upload_command **out, hss_error **err)
{
    return getenv("HSS_TEST_ASYNC") != NULL ? call_async(client, r, out, err)
                                            : hss_image_upload_command_get(client, r, out, err);
}

/* One call, checked against `e`; prints the result when `print` is set.
 * Returns 1 when it succeeded. */
static int one_call(hss_client *client, const hss_image_upload_command_request *r, const expectation *e, int print,
                    const char *what)
{
    hss_image_upload_command *result = RESULT_SENTINEL;
    hss_error *err = NULL;
    long started = monotonic_ms();
    hss_status st;
    if (getenv("HSS_TEST_INTO") != NULL) {
        st = one_call_into(client, r, &err, print);
        printf("elapsed_ms=%ld\n", monotonic_ms() - started);
        if (st == HSS_OK) {
            CHECK(e->status == HSS_OK, "%s: expected %s, got HSS_OK", what, status_name(e->status));
            return 1;
        }
        print_error(what, st, err);
        check_error(what, st, err, e);
        hss_error_free(err);
        return 0;
    }
    st = get_or_start(client, r, &result, &err);
    printf("elapsed_ms=%ld\n", monotonic_ms() - started);
    if (st == HSS_OK) {
        CHECK(e->status == HSS_OK, "%s: expected %s, got HSS_OK", what, status_name(e->status));
        CHECK(err == NULL, "%s: *err was written on success", what);
        CHECK(result != NULL && result != RESULT_SENTINEL, "%s: no result on success", what);
        if (result == NULL || result == RESULT_SENTINEL)
            return 0;
        CHECK(hss_image_upload_command_image_command(result) != NULL &&
                  hss_image_upload_command_images_download_url(result) != NULL &&
                  hss_image_upload_command_swr_image_pull_command(result) != NULL,
              "%s: a result accessor returned NULL", what);
        if (print) {
            printf("image_command=%s\n", hss_image_upload_command_image_command(result));
            printf("images_download_url=%s\n", hss_image_upload_command_images_download_url(result));
            printf("swr_image_pull_command=%s\n", hss_image_upload_command_swr_image_pull_command(result));
            fflush(stdout);
        }
        hss_image_upload_command_free(result);
        return 1;
    }
    print_error(what, st, err);
    check_error(what, st, err, e);
    CHECK(result == RESULT_SENTINEL, "%s: *out was written on failure", what);
    hss_error_free(err);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Cases: calls                                                              */
/* ------------------------------------------------------------------------ */

/* Create a client and call HSS_TEST_CALLS times (default 1), each checked
 * against the HSS_TEST_EXPECT* expectation, which may also be a failure to
 * create the client. */
/* HSS_TEST_PRINT_SETTINGS: what the client used, as "setting.<name>=<value>
 * (<source>)" lines. */
static void print_settings(hss_client *client)
{
    static const struct {
        hss_setting setting;
        const char *name;
    } settings[] = {{HSS_SETTING_REGION, "region"},
                    {HSS_SETTING_ENDPOINT, "endpoint"},
                    {HSS_SETTING_PROJECT_ID, "project_id"},
                    {HSS_SETTING_IAM_ENDPOINT, "iam_endpoint"},
                    {HSS_SETTING_CREDENTIALS, "credentials"}};
    size_t i;
    for (i = 0; i < sizeof settings / sizeof settings[0]; i++)
        printf("setting.%s=%s (%s)\n", settings[i].name, hss_client_setting(client, settings[i].setting),
               hss_client_setting_source(client, settings[i].setting));
}

/* HSS_TEST_SETENV_AFTER_CLIENT=NAME=VALUE: setenv(NAME, VALUE). */
static void set_later_variable(void)
{
    const char *later = getenv("HSS_TEST_SETENV_AFTER_CLIENT");
    const char *equals = later == NULL ? NULL : strchr(later, '=');
    char name[64];
    if (equals == NULL || (size_t)(equals - later) >= sizeof name)
        return;
    memcpy(name, later, (size_t)(equals - later));
    name[equals - later] = '\0';
    CHECK(setenv(name, equals + 1, 1) == 0, "setenv %s failed", name);
}

static void case_call(void)
{
    expectation e = expectation_from_env();
    hss_client *client = CLIENT_SENTINEL;
    hss_error *err = NULL;
    hss_image_upload_command_request r;
    long i, calls = env_long("HSS_TEST_CALLS", 1);
    hss_status st = client_from_env(&client, &err);

    if (st != HSS_OK) {
        print_error("client", st, err);
        check_error("client", st, err, &e);
        CHECK(client == CLIENT_SENTINEL, "client: *out was written on failure");
        hss_error_free(err);
        return;
    }
    CHECK(err == NULL, "client: *err was written on success");
    set_later_variable();
    if (getenv("HSS_TEST_SET_TRACE_LEVEL") != NULL)
        CHECK(hss_client_set_trace_level(client, (int)env_long("HSS_TEST_SET_TRACE_LEVEL", 0)) == HSS_OK,
              "hss_client_set_trace_level");
    if (getenv("HSS_TEST_RESOLVE") != NULL) {
        long started = monotonic_ms();
        st = hss_client_resolve(client, &err);
        printf("elapsed_ms=%ld\n", monotonic_ms() - started);
        if (st == HSS_OK)
            CHECK(e.status == HSS_OK, "resolve: expected %s, got HSS_OK", status_name(e.status));
        else {
            print_error("resolve", st, err);
            check_error("resolve", st, err, &e);
            hss_error_free(err);
        }
        calls = 0;
    }
    request_from_env(&r);
    for (i = 0; i < calls; i++)
        one_call(client, &r, &e, i == 0, "call");
    if (getenv("HSS_TEST_PRINT_SETTINGS") != NULL)
        print_settings(client);
    hss_client_free(client);
}

/* One request that fails validation, then HSS_TEST_CALLS (default 20)
 * good ones on the same client; pytest checks that they shared one
 * connection. */
static void case_keepalive(void)
{
    expectation ok = {HSS_OK, -1, NULL, NULL, NULL, NULL};
    hss_image_upload_command_request r, bad;
    hss_image_upload_command *result = NULL;
    hss_error *err = NULL;
    hss_status st;
    long i, calls = env_long("HSS_TEST_CALLS", 20);
    hss_client *client = must_client();
    if (client == NULL)
        return;
    request_from_env(&r);
    bad = r;
    bad.username = "";
    st = hss_image_upload_command_get(client, &bad, &result, &err);
    check_invalid("keepalive/invalid", st, err, "username");
    hss_error_free(err);
    for (i = 0; i < calls; i++)
        one_call(client, &r, &ok, 0, "keepalive");
    hss_client_free(client);
}

struct worker {
    pthread_t thread;
    hss_client *client;
    int index;
    int own_client;
    long calls;
    long ok;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    hss_image_upload_command_request r;
    char username[32], expected[64], what[32];
    long i;
    if (w->own_client) {
        /* Concurrent first use: hss_client_new itself runs in many threads at once. */
        w->client = must_client();
        if (w->client == NULL)
            return NULL;
    }
    request_from_env(&r);
    sprintf(username, "worker-%d", w->index);
    sprintf(expected, "-u %s -p ", username);
    sprintf(what, "thread %d", w->index);
    r.username = username;
    for (i = 0; i < w->calls; i++) {
        hss_image_upload_command *result = NULL;
        hss_error *err = NULL;
        hss_status st = hss_image_upload_command_get(w->client, &r, &result, &err);
        if (st != HSS_OK) {
            print_error(what, st, err);
            CHECK(0, "%s call %ld: %s", what, i, hss_error_message(err));
            hss_error_free(err);
            continue;
        }
        if (strstr(hss_image_upload_command_image_command(result), expected) != NULL)
            w->ok++;
        else
            CHECK(0, "%s call %ld: the answer belongs to another call: %s", what, i,
                  hss_image_upload_command_image_command(result));
        hss_image_upload_command_free(result);
    }
    if (w->own_client)
        hss_client_free(w->client);
    return NULL;
}

/* HSS_TEST_THREADS (8) threads x HSS_TEST_CALLS (50) calls on one client
 * (HSS_TEST_CLIENT_PER_THREAD=1: each thread makes its own); each thread's
 * answers must echo its own username. */
static void case_threads(void)
{
    struct worker workers[64];
    long threads = env_long("HSS_TEST_THREADS", 8), calls = env_long("HSS_TEST_CALLS", 50), total = 0;
    int i, own = env_long("HSS_TEST_CLIENT_PER_THREAD", 0) != 0;
    hss_client *client = own ? NULL : must_client();
    if (client == NULL && !own)
        return;
    if (threads < 1 || threads > 64)
        threads = 8;
    for (i = 0; i < threads; i++) {
        workers[i].client = client;
        workers[i].own_client = own;
        workers[i].index = i;
        workers[i].calls = calls;
        workers[i].ok = 0;
        if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) != 0) {
            CHECK(0, "pthread_create failed");
            threads = i;
            break;
        }
    }
    for (i = 0; i < threads; i++) {
        pthread_join(workers[i].thread, NULL);
        total += workers[i].ok;
    }
    CHECK(total == threads * calls, "%ld of %ld calls succeeded", total, threads * calls);
    printf("threads_ok=%ld\n", total);
    hss_client_free(client);
}

/* ------------------------------------------------------------------------ */
/* Cases: client option validation                                           */
/* ------------------------------------------------------------------------ */

/* Values too long to write out; filled in by init_long_values(). */
static char endpoint_too_long[400];
static char project_id_257[300];
static char ak_257[300];
static char sk_1025[1100];
static char auth_token_32769[32800];
static char registry_addr_257[1000]; /* 257 characters, 3 bytes each but the marker */
static char namespace_129[300];      /* "é" is 2 bytes */
static char username_129[200];
static char password_129[600]; /* "🔑" is 4 bytes */
static char epid_257[300];

static void init_long_values(void)
{
    fill(endpoint_too_long, sizeof endpoint_too_long, "http://" MARKER, "a", 300);
    fill(project_id_257, sizeof project_id_257, MARKER, "a", 254);
    fill(ak_257, sizeof ak_257, MARKER, "A", 254);
    fill(sk_1025, sizeof sk_1025, MARKER, "S", 1022);
    fill(auth_token_32769, sizeof auth_token_32769, MARKER, "T", 32766);
    fill(registry_addr_257, sizeof registry_addr_257, MARKER, "\xe4\xb8\xad", 254);
    fill(namespace_129, sizeof namespace_129, MARKER, "\xc3\xa9", 126);
    fill(username_129, sizeof username_129, MARKER, "u", 126);
    fill(password_129, sizeof password_129, MARKER, "\xf0\x9f\x94\x91", 126);
    fill(epid_257, sizeof epid_257, MARKER, "e", 254);
}

typedef enum {
    NORMAL = 0,
    OPTIONS_NULL,       /* hss_client_new(NULL, ...) */
    OUT_NULL,           /* hss_client_new(&o, NULL, ...) */
    FROM_ENV_OUT_NULL,  /* hss_client_new_from_env(NULL, NULL, ...) */
    VERSION_0,          /* options.version = 0 */
    VERSION_2,          /* options.version = HSS_CLIENT_OPTIONS_VERSION + 1 */
    FROM_ENV_VERSION_0, /* the same, as hss_client_new_from_env's overrides */
    FROM_ENV_VERSION_2,
    BASE_TOKEN /* start from auth_token instead of ak/sk */
} option_special;

/* offsetof a `const char *` member; offset 0 (`version`) marks an unused slot. */
#define OPT(member) offsetof(hss_client_options, member)

typedef struct {
    const char *name;
    const char *field; /* the message must name it */
    struct {
        size_t offset;
        const char *value; /* NULL sets the member to NULL */
    } set[3];
    long connect_timeout_ms; /* non-zero: set */
    long timeout_ms;         /* non-zero: set */
    option_special special;
} option_case;

static const option_case option_cases[] = {
    {.name = "options_null", .field = "options", .special = OPTIONS_NULL},
    {.name = "out_null", .field = "out", .special = OUT_NULL},
    {.name = "from_env_out_null", .field = "out", .special = FROM_ENV_OUT_NULL},
    {.name = "version_0", .field = "version", .special = VERSION_0},
    {.name = "version_2", .field = "version", .special = VERSION_2},
    {.name = "from_env_version_0", .field = "version", .special = FROM_ENV_VERSION_0},
    {.name = "from_env_version_2", .field = "version", .special = FROM_ENV_VERSION_2},
    /* endpoint */
    {.name = "endpoint_ftp", .field = "endpoint", .set = {{OPT(endpoint), "ftp://" MARKER ".example"}}},
    {.name = "endpoint_no_scheme", .field = "endpoint", .set = {{OPT(endpoint), MARKER ".example:8080"}}},
    {.name = "endpoint_empty", .field = "endpoint", .set = {{OPT(endpoint), ""}}},
    {.name = "endpoint_no_host", .field = "endpoint", .set = {{OPT(endpoint), "http://"}}},
    {.name = "endpoint_path", .field = "endpoint", .set = {{OPT(endpoint), "http://127.0.0.1:1/" MARKER}}},
    {.name = "endpoint_query", .field = "endpoint", .set = {{OPT(endpoint), "http://127.0.0.1:1?" MARKER}}},
    {.name = "endpoint_fragment", .field = "endpoint", .set = {{OPT(endpoint), "http://127.0.0.1:1#" MARKER}}},
    {.name = "endpoint_user", .field = "endpoint", .set = {{OPT(endpoint), "http://" MARKER "@127.0.0.1:1"}}},
    {.name = "endpoint_user_password",
     .field = "endpoint",
     .set = {{OPT(endpoint), "https://user:" MARKER "@127.0.0.1:1"}}},
    {.name = "endpoint_crlf", .field = "endpoint", .set = {{OPT(endpoint), "http://127.0.0.1:1\r\n" MARKER ": x"}}},
    {.name = "endpoint_lf", .field = "endpoint", .set = {{OPT(endpoint), "http://127.0.0.1:1\n" MARKER}}},
    {.name = "endpoint_cr", .field = "endpoint", .set = {{OPT(endpoint), "http://127.0.0.1:1\r" MARKER}}},
    {.name = "endpoint_space", .field = "endpoint", .set = {{OPT(endpoint), "http://127.0.0.1:1 " MARKER}}},
    {.name = "endpoint_bad_utf8", .field = "endpoint", .set = {{OPT(endpoint), "http://" MARKER "\xff"}}},
    {.name = "endpoint_too_long", .field = "endpoint", .set = {{OPT(endpoint), endpoint_too_long}}},
    /* authorities made of allowed characters that are still not host[:port] */
    {.name = "endpoint_port_not_numeric", .field = "endpoint", .set = {{OPT(endpoint), "http://127.0.0.1:" MARKER}}},
    {.name = "endpoint_port_out_of_range", .field = "endpoint", .set = {{OPT(endpoint), "http://127.0.0.1:99999"}}},
    {.name = "endpoint_two_ports", .field = "endpoint", .set = {{OPT(endpoint), "http://" MARKER ":1:2"}}},
    {.name = "endpoint_port_without_host", .field = "endpoint", .set = {{OPT(endpoint), "http://:80"}}},
    {.name = "endpoint_unbalanced_bracket", .field = "endpoint", .set = {{OPT(endpoint), "http://[::1"}}},
    {.name = "endpoint_bad_ipv6", .field = "endpoint", .set = {{OPT(endpoint), "http://[" MARKER "]:80"}}},
    /* region */
    {.name = "region_unknown", .field = "region", .set = {{OPT(endpoint), NULL}, {OPT(region), MARKER "-nowhere-1"}}},
    {.name = "region_empty", .field = "region", .set = {{OPT(endpoint), NULL}, {OPT(region), ""}}},
    {.name = "region_crlf", .field = "region", .set = {{OPT(endpoint), NULL}, {OPT(region), "cn-north-4\r\n" MARKER}}},
    {.name = "no_region_no_endpoint", .field = "region", .set = {{OPT(endpoint), NULL}, {OPT(region), NULL}}},
    /* version 2: IAM, proxy */
    {.name = "iam_endpoint_path", .field = "iam_endpoint", .set = {{OPT(iam_endpoint), "https://iam.example/" MARKER}}},
    {.name = "iam_endpoint_scheme", .field = "iam_endpoint", .set = {{OPT(iam_endpoint), "ftp://" MARKER}}},
    {.name = "proxy_scheme", .field = "proxy", .set = {{OPT(proxy), "ftp://" MARKER ":3128"}}},
    {.name = "proxy_credentials", .field = "proxy", .set = {{OPT(proxy), "http://user:" MARKER "@127.0.0.1:3128"}}},
    {.name = "proxy_path", .field = "proxy", .set = {{OPT(proxy), "http://127.0.0.1:3128/" MARKER}}},
    {.name = "proxy_username_crlf", .field = "proxy_username", .set = {{OPT(proxy_username), MARKER "\r\nX: 1"}}},
    {.name = "no_proxy_crlf", .field = "no_proxy", .set = {{OPT(no_proxy), MARKER "\r\nX: 1"}}},
    /* an http:// endpoint (the default of these cases) through a proxy */
    {.name = "cleartext_proxy", .field = "allow_cleartext_proxy", .set = {{OPT(proxy), "http://127.0.0.1:3128"}}},
    {.name = "cleartext_proxy_no_proxy_other",
     .field = "allow_cleartext_proxy",
     .set = {{OPT(proxy), "http://127.0.0.1:3128"}, {OPT(no_proxy), "example.com," MARKER ".net"}}},
    /* project_id */
    {.name = "project_id_empty", .field = "project_id", .set = {{OPT(project_id), ""}}},
    {.name = "project_id_slash", .field = "project_id", .set = {{OPT(project_id), MARKER "/x"}}},
    {.name = "project_id_dot", .field = "project_id", .set = {{OPT(project_id), MARKER ".x"}}},
    {.name = "project_id_dotdot", .field = "project_id", .set = {{OPT(project_id), ".."}}},
    {.name = "project_id_space", .field = "project_id", .set = {{OPT(project_id), MARKER " x"}}},
    {.name = "project_id_percent", .field = "project_id", .set = {{OPT(project_id), MARKER "%2Fx"}}},
    {.name = "project_id_query", .field = "project_id", .set = {{OPT(project_id), MARKER "?x=1"}}},
    {.name = "project_id_non_ascii", .field = "project_id", .set = {{OPT(project_id), MARKER "\xc3\xa9"}}},
    {.name = "project_id_bad_utf8", .field = "project_id", .set = {{OPT(project_id), MARKER "\xff"}}},
    {.name = "project_id_crlf", .field = "project_id", .set = {{OPT(project_id), MARKER "\r\nx"}}},
    {.name = "project_id_too_long", .field = "project_id", .set = {{OPT(project_id), project_id_257}}},
    /* credentials */
    {.name = "token_without_aksk",
     .field = "security_token",
     .set = {{OPT(ak), NULL}, {OPT(sk), NULL}, {OPT(security_token), MARKER "tok"}}},
    {.name = "ak_without_sk", .field = "sk", .set = {{OPT(sk), NULL}}},
    {.name = "sk_without_ak", .field = "ak", .set = {{OPT(ak), NULL}}},
    {.name = "aksk_and_auth_token", .field = "auth_token", .set = {{OPT(auth_token), MARKER "-token"}}},
    {.name = "ak_empty", .field = "ak", .set = {{OPT(ak), ""}}},
    {.name = "ak_crlf", .field = "ak", .set = {{OPT(ak), MARKER "\r\nX-Evil: 1"}}},
    {.name = "ak_comma", .field = "ak", .set = {{OPT(ak), MARKER ",Signature=x"}}},
    {.name = "ak_non_ascii", .field = "ak", .set = {{OPT(ak), MARKER "\xc3\xa9"}}},
    {.name = "ak_too_long", .field = "ak", .set = {{OPT(ak), ak_257}}},
    {.name = "sk_empty", .field = "sk", .set = {{OPT(sk), ""}}},
    {.name = "sk_too_long", .field = "sk", .set = {{OPT(sk), sk_1025}}},
    {.name = "security_token_crlf", .field = "security_token", .set = {{OPT(security_token), MARKER "\r\nX-Evil: 1"}}},
    {.name = "security_token_empty", .field = "security_token", .set = {{OPT(security_token), ""}}},
    {.name = "auth_token_crlf",
     .field = "auth_token",
     .set = {{OPT(auth_token), MARKER "\r\nX-Evil: 1"}},
     .special = BASE_TOKEN},
    {.name = "auth_token_empty", .field = "auth_token", .set = {{OPT(auth_token), ""}}, .special = BASE_TOKEN},
    {.name = "auth_token_too_long",
     .field = "auth_token",
     .set = {{OPT(auth_token), auth_token_32769}},
     .special = BASE_TOKEN},
    {.name = "auth_token_with_security_token",
     .field = "security_token",
     .set = {{OPT(security_token), MARKER "-sts"}},
     .special = BASE_TOKEN},
    /* timeouts */
    {.name = "connect_timeout_negative", .field = "connect_timeout_ms", .connect_timeout_ms = -1},
    {.name = "timeout_negative", .field = "timeout_ms", .timeout_ms = -5},
    {.name = "connect_timeout_too_large", .field = "connect_timeout_ms", .connect_timeout_ms = 3600001},
    {.name = "timeout_too_large", .field = "timeout_ms", .timeout_ms = 3600001},
    /* ca_file, user agent */
    {.name = "ca_file_unreadable", .field = "ca_file", .set = {{OPT(ca_file), "/nonexistent-" MARKER "/ca.pem"}}},
    {.name = "ca_file_empty", .field = "ca_file", .set = {{OPT(ca_file), ""}}},
    {.name = "user_agent_suffix_crlf",
     .field = "user_agent_suffix",
     .set = {{OPT(user_agent_suffix), MARKER "\r\nX-Evil: 1"}}},
    {.name = "user_agent_suffix_non_ascii",
     .field = "user_agent_suffix",
     .set = {{OPT(user_agent_suffix), MARKER "\xc3\xa9"}}},
};
#define N_OPTION_CASES (sizeof option_cases / sizeof option_cases[0])

static void run_option_case(const option_case *c)
{
    hss_client_options o;
    hss_client *client = CLIENT_SENTINEL;
    hss_error *err = NULL;
    hss_status st;
    int i;

    options_from_env(&o);
    o.ca_file = NULL;
    if (c->special == BASE_TOKEN) {
        o.ak = o.sk = o.security_token = NULL;
        o.auth_token = "EMULATOR-TOKEN";
    }
    for (i = 0; i < 3; i++)
        if (c->set[i].offset != 0)
            *(const char **)(void *)((char *)&o + c->set[i].offset) = c->set[i].value;
    if (c->connect_timeout_ms != 0)
        o.connect_timeout_ms = c->connect_timeout_ms;
    if (c->timeout_ms != 0)
        o.timeout_ms = c->timeout_ms;

    switch (c->special) {
    case OPTIONS_NULL:
        st = hss_client_new(NULL, &client, &err);
        break;
    case OUT_NULL:
        st = hss_client_new(&o, NULL, &err);
        break;
    case FROM_ENV_OUT_NULL:
        st = hss_client_new_from_env(NULL, NULL, &err);
        break;
    case VERSION_0:
    case VERSION_2:
        o.version = c->special == VERSION_0 ? 0u : HSS_CLIENT_OPTIONS_VERSION + 1u;
        st = hss_client_new(&o, &client, &err);
        break;
    case FROM_ENV_VERSION_0:
    case FROM_ENV_VERSION_2:
        /* Complete overrides: only the version is wrong. */
        o.version = c->special == FROM_ENV_VERSION_0 ? 0u : HSS_CLIENT_OPTIONS_VERSION + 1u;
        st = hss_client_new_from_env(&o, &client, &err);
        break;
    default:
        st = hss_client_new(&o, &client, &err);
        break;
    }
    check_invalid(c->name, st, err, c->field);
    CHECK(client == CLIENT_SENTINEL, "%s: *out was written on failure", c->name);
    if (st == HSS_OK && client != CLIENT_SENTINEL && client != NULL)
        hss_client_free(client);
    hss_error_free(err);
}

/* ------------------------------------------------------------------------ */
/* Cases: request validation                                                 */
/* ------------------------------------------------------------------------ */

typedef enum { R_NORMAL = 0, R_CLIENT_NULL, R_REQUEST_NULL, R_OUT_NULL, R_VERSION_0, R_VERSION_2 } request_special;

#define REQ(member) offsetof(hss_image_upload_command_request, member)

typedef struct {
    const char *name;
    const char *field;
    size_t offset; /* 0: nothing to change */
    const char *value;
    request_special special;
} request_case;

/* The malformed values every text field is tried with. */
#define TEXT_CASES(field, member) \
    {field "_empty", field, REQ(member), "", R_NORMAL}, \
        {field "_bad_utf8", field, REQ(member), MARKER "\xff", R_NORMAL}, \
        {field "_truncated_utf8", field, REQ(member), MARKER "\xe4\xb8", R_NORMAL}, \
        {field "_overlong_utf8", field, REQ(member), MARKER "\xc0\xaf", R_NORMAL}, \
        {field "_surrogate_utf8", field, REQ(member), MARKER "\xed\xa0\x80", R_NORMAL}, \
        {field "_cr", field, REQ(member), MARKER "\rx", R_NORMAL}, \
        {field "_lf", field, REQ(member), MARKER "\nx", R_NORMAL}, \
        {field "_crlf_header", field, REQ(member), MARKER "\r\nX-Evil: 1", R_NORMAL}, \
        {field "_tab", field, REQ(member), MARKER "\tx", R_NORMAL}, \
        {field "_del", field, REQ(member), \
         MARKER "\x7f" \
                "x", \
         R_NORMAL}, \
    { \
        field "_esc", field, REQ(member), MARKER "\x1b[31m", R_NORMAL \
    }

static const request_case request_cases[] = {
    {"client_null", "client", 0, NULL, R_CLIENT_NULL},
    {"request_null", "request", 0, NULL, R_REQUEST_NULL},
    {"out_null", "out", 0, NULL, R_OUT_NULL},
    {"version_0", "version", 0, NULL, R_VERSION_0},
    {"version_2", "version", 0, NULL, R_VERSION_2},
    {"registry_addr_missing", "registry_addr", REQ(registry_addr), NULL, R_NORMAL},
    {"registry_addr_too_long", "registry_addr", REQ(registry_addr), registry_addr_257, R_NORMAL},
    {"registry_addr_scheme", "registry_addr", REQ(registry_addr), "https://" MARKER ".example.com/", R_NORMAL},
    {"registry_addr_path", "registry_addr", REQ(registry_addr), MARKER ".example.com/library", R_NORMAL},
    {"registry_addr_space", "registry_addr", REQ(registry_addr), " " MARKER ".example.com", R_NORMAL},
    {"registry_addr_port", "registry_addr", REQ(registry_addr), MARKER ".example.com:99999", R_NORMAL},
    {"registry_addr_ipv6", "registry_addr", REQ(registry_addr), "2001:db8::" MARKER, R_NORMAL},
    TEXT_CASES("registry_addr", registry_addr),
    {"namespace_missing", "namespace", REQ(namespace_name), NULL, R_NORMAL},
    {"namespace_too_long", "namespace", REQ(namespace_name), namespace_129, R_NORMAL},
    TEXT_CASES("namespace", namespace_name),
    {"username_missing", "username", REQ(username), NULL, R_NORMAL},
    {"username_too_long", "username", REQ(username), username_129, R_NORMAL},
    TEXT_CASES("username", username),
    {"password_missing", "password", REQ(password), NULL, R_NORMAL},
    {"password_too_long", "password", REQ(password), password_129, R_NORMAL},
    TEXT_CASES("password", password),
    /* enterprise_project_id is optional: NULL is fine, "" is not */
    {"enterprise_project_id_too_long", "enterprise_project_id", REQ(enterprise_project_id), epid_257, R_NORMAL},
    TEXT_CASES("enterprise_project_id", enterprise_project_id),
};
#define N_REQUEST_CASES (sizeof request_cases / sizeof request_cases[0])

static void run_request_case(const request_case *c)
{
    hss_image_upload_command_request r;
    hss_image_upload_command *result = RESULT_SENTINEL;
    hss_error *err = NULL;
    hss_status st;
    hss_client *client = must_client();
    if (client == NULL)
        return;
    request_from_env(&r);
    if (c->offset != 0)
        *(const char **)(void *)((char *)&r + c->offset) = c->value;
    switch (c->special) {
    case R_CLIENT_NULL:
        st = get_or_start(NULL, &r, &result, &err);
        break;
    case R_REQUEST_NULL:
        st = get_or_start(client, NULL, &result, &err);
        break;
    case R_OUT_NULL:
        st = hss_image_upload_command_get(client, &r, NULL, &err);
        break;
    case R_VERSION_0:
    case R_VERSION_2:
        r.version = c->special == R_VERSION_0 ? 0u : HSS_IMAGE_UPLOAD_COMMAND_REQUEST_VERSION + 1u;
        st = get_or_start(client, &r, &result, &err);
        break;
    default:
        st = getenv("HSS_TEST_INTO") != NULL ? one_call_into(client, &r, &err, 0)
                                             : get_or_start(client, &r, &result, &err);
        break;
    }
    check_invalid(c->name, st, err, c->field);
    CHECK(result == RESULT_SENTINEL, "%s: *out was written on failure", c->name);
    if (st == HSS_OK && result != RESULT_SENTINEL)
        hss_image_upload_command_free(result);
    hss_error_free(err);
    hss_client_free(client);
}

/* ------------------------------------------------------------------------ */
/* Cases: no traffic needed                                                  */
/* ------------------------------------------------------------------------ */

static void case_free_null(void)
{
    hss_error_free(NULL);
    hss_client_free(NULL);
    hss_image_upload_command_free(NULL);
}

static void case_accessors_null(void)
{
    CHECK(hss_error_status(NULL) == HSS_OK, "hss_error_status(NULL) is not 0");
    CHECK(hss_error_message(NULL) != NULL && hss_error_message(NULL)[0] == '\0', "hss_error_message(NULL)");
    CHECK(hss_error_http_status(NULL) == 0, "hss_error_http_status(NULL)");
    CHECK(hss_error_code(NULL) != NULL && hss_error_code(NULL)[0] == '\0', "hss_error_code(NULL)");
    CHECK(hss_error_service_message(NULL) != NULL && hss_error_service_message(NULL)[0] == '\0',
          "hss_error_service_message(NULL)");
    CHECK(hss_error_request_id(NULL) != NULL && hss_error_request_id(NULL)[0] == '\0', "hss_error_request_id(NULL)");
    CHECK(hss_image_upload_command_image_command(NULL) != NULL &&
              hss_image_upload_command_image_command(NULL)[0] == '\0',
          "hss_image_upload_command_image_command(NULL)");
    CHECK(hss_image_upload_command_images_download_url(NULL) != NULL &&
              hss_image_upload_command_images_download_url(NULL)[0] == '\0',
          "hss_image_upload_command_images_download_url(NULL)");
    CHECK(hss_image_upload_command_swr_image_pull_command(NULL) != NULL &&
              hss_image_upload_command_swr_image_pull_command(NULL)[0] == '\0',
          "hss_image_upload_command_swr_image_pull_command(NULL)");
}

static void case_status_str(void)
{
    static const int unknown[] = {13, 14, 100, -1, 0x7fffffff};
    size_t i, j;
    for (i = 0; i < N_STATUSES; i++) {
        const char *s = hss_status_str(status_names[i].status);
        CHECK(s != NULL && s[0] != '\0', "hss_status_str(%s) is empty", status_names[i].name);
        if (s == NULL)
            continue;
        CHECK(strcmp(s, "unknown status") != 0, "hss_status_str(%s) is \"unknown status\"", status_names[i].name);
        CHECK(hss_status_str(status_names[i].status) == s, "hss_status_str(%s) is not a constant",
              status_names[i].name);
        for (j = 0; j < i; j++)
            CHECK(strcmp(s, hss_status_str(status_names[j].status)) != 0, "%s and %s share the text \"%s\"",
                  status_names[i].name, status_names[j].name, s);
        printf("%s=%s\n", status_names[i].name, s);
    }
    for (i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        const char *s = hss_status_str((hss_status)unknown[i]);
        CHECK(s != NULL && strcmp(s, "unknown status") == 0, "hss_status_str(%d) is not \"unknown status\"",
              unknown[i]);
        CHECK(hss_status_str((hss_status)unknown[i]) == s, "hss_status_str(%d) is not a constant", unknown[i]);
    }
}

static void case_version(void)
{
    CHECK(hss_version_number() == HSS_VERSION_NUM, "hss_version_number() 0x%06x != HSS_VERSION_NUM 0x%06x",
          hss_version_number(), (unsigned)HSS_VERSION_NUM);
    CHECK(hss_version_string() != NULL && strcmp(hss_version_string(), HSS_VERSION_STRING) == 0,
          "hss_version_string() \"%s\" != HSS_VERSION_STRING \"%s\"",
          hss_version_string() ? hss_version_string() : "(null)", HSS_VERSION_STRING);
    CHECK(hss_version_string() == hss_version_string(), "hss_version_string() is not a constant");
    CHECK(HSS_AT_LEAST_VERSION(1, 0, 0) && !HSS_AT_LEAST_VERSION(HSS_VERSION_MAJOR + 1, 0, 0),
          "HSS_AT_LEAST_VERSION is wrong");
    printf("version=%s 0x%06x\n", hss_version_string(), hss_version_number());
}

/* err == NULL is allowed: failures still return their status. */
static void case_err_null(void)
{
    hss_client_options o;
    hss_client *client = CLIENT_SENTINEL;
    hss_image_upload_command_request r;
    hss_image_upload_command *result = RESULT_SENTINEL;
    hss_status st;

    CHECK(hss_client_new(NULL, &client, NULL) == HSS_E_INVALID_ARGUMENT, "hss_client_new(NULL options)");
    options_from_env(&o);
    o.project_id = "";
    CHECK(hss_client_new(&o, &client, NULL) == HSS_E_INVALID_ARGUMENT, "hss_client_new(empty project_id)");
    CHECK(client == CLIENT_SENTINEL, "*out was written on failure");

    client = must_client();
    if (client == NULL)
        return;
    request_from_env(&r);
    CHECK(hss_image_upload_command_get(NULL, &r, &result, NULL) == HSS_E_INVALID_ARGUMENT, "get(NULL client)");
    CHECK(hss_image_upload_command_get(client, NULL, &result, NULL) == HSS_E_INVALID_ARGUMENT, "get(NULL request)");
    CHECK(hss_image_upload_command_get(client, &r, NULL, NULL) == HSS_E_INVALID_ARGUMENT, "get(NULL out)");
    r.password = "";
    CHECK(hss_image_upload_command_get(client, &r, &result, NULL) == HSS_E_INVALID_ARGUMENT, "get(empty password)");
    CHECK(result == RESULT_SENTINEL, "*out was written on failure");
    /* And a real round trip without an error pointer. */
    request_from_env(&r);
    st = hss_image_upload_command_get(client, &r, &result, NULL);
    CHECK(st == HSS_OK, "a good call with err == NULL returned %s", status_name(st));
    if (st == HSS_OK)
        hss_image_upload_command_free(result);
    hss_client_free(client);
}

/* Every region of the API reference makes a client (no traffic). */
static void case_regions(void)
{
    static const char *const regions[] = {
        "cn-north-1",     "cn-north-2",     "cn-north-4",     "cn-north-9",     "cn-north-11",    "cn-north-12",
        "cn-east-2",      "cn-east-3",      "cn-east-4",      "cn-east-5",      "cn-south-1",     "cn-south-2",
        "cn-south-4",     "cn-southwest-2", "cn-southwest-3", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
        "ap-southeast-4", "ap-southeast-5", "na-mexico-1",    "af-south-1",     "af-north-1",     "sa-brazil-1",
        "la-south-2",     "la-north-2",     "tr-west-1",      "ae-ad-1",        "me-east-1",      "my-kualalumpur-1",
        "eu-west-101",    "ru-moscow-1",
    };
    size_t i;
    for (i = 0; i < sizeof regions / sizeof regions[0]; i++) {
        hss_client_options o = HSS_CLIENT_OPTIONS_INIT;
        hss_client *client = NULL;
        hss_error *err = NULL;
        hss_status st;
        o.region = regions[i];
        o.project_id = "p";
        o.ak = "AK";
        o.sk = "SK";
        st = hss_client_new(&o, &client, &err);
        if (st != HSS_OK)
            print_error(regions[i], st, err);
        CHECK(st == HSS_OK, "region %s: %s", regions[i], hss_error_message(err));
        hss_error_free(err);
        hss_client_free(client);
    }
}

/* ------------------------------------------------------------------------ */
/* Cases: versioned structs                                                  */
/* ------------------------------------------------------------------------ */

/* Version 1 of the versioned structs, frozen: what a program built against
 * the 1.0.0 header passes, whatever the current header adds. The cases
 * below put them in malloc'd blocks of exactly this size, so that valgrind
 * reports any access beyond version 1's fields. */
struct v1_client_options {
    unsigned int version;
    const char *region, *endpoint, *project_id, *ak, *sk, *security_token, *auth_token;
    long connect_timeout_ms, timeout_ms;
    const char *ca_file, *user_agent_suffix;
};

struct v1_request {
    unsigned int version;
    const char *registry_addr, *namespace_name, *username, *password, *enterprise_project_id;
};

#define SAME_OFFSET(v1, current, f) \
    CHECK(offsetof(v1, f) == offsetof(current, f), "version 1's " #f " moved in " #current)

/* The header's structs still start with version 1's fields, where they were. */
static void check_v1_prefix(void)
{
    SAME_OFFSET(struct v1_client_options, hss_client_options, version);
    SAME_OFFSET(struct v1_client_options, hss_client_options, region);
    SAME_OFFSET(struct v1_client_options, hss_client_options, endpoint);
    SAME_OFFSET(struct v1_client_options, hss_client_options, project_id);
    SAME_OFFSET(struct v1_client_options, hss_client_options, ak);
    SAME_OFFSET(struct v1_client_options, hss_client_options, sk);
    SAME_OFFSET(struct v1_client_options, hss_client_options, security_token);
    SAME_OFFSET(struct v1_client_options, hss_client_options, auth_token);
    SAME_OFFSET(struct v1_client_options, hss_client_options, connect_timeout_ms);
    SAME_OFFSET(struct v1_client_options, hss_client_options, timeout_ms);
    SAME_OFFSET(struct v1_client_options, hss_client_options, ca_file);
    SAME_OFFSET(struct v1_client_options, hss_client_options, user_agent_suffix);
    SAME_OFFSET(struct v1_request, hss_image_upload_command_request, version);
    SAME_OFFSET(struct v1_request, hss_image_upload_command_request, registry_addr);
    SAME_OFFSET(struct v1_request, hss_image_upload_command_request, namespace_name);
    SAME_OFFSET(struct v1_request, hss_image_upload_command_request, username);
    SAME_OFFSET(struct v1_request, hss_image_upload_command_request, password);
    SAME_OFFSET(struct v1_request, hss_image_upload_command_request, enterprise_project_id);
}

static void *must_malloc(size_t size)
{
    void *p = malloc(size);
    if (p == NULL)
        exit(2);
    return p;
}

/* Every version 1 field holds its default; works on both struct types. */
#define CHECK_V1_OPTIONS_DEFAULT(what, o, v) \
    CHECK((o)->version == (v) && (o)->region == NULL && (o)->endpoint == NULL && (o)->project_id == NULL && \
              (o)->ak == NULL && (o)->sk == NULL && (o)->security_token == NULL && (o)->auth_token == NULL && \
              (o)->connect_timeout_ms == 0 && (o)->timeout_ms == 0 && (o)->ca_file == NULL && \
              (o)->user_agent_suffix == NULL, \
          "%s: a field is not its default (or version is not %u)", what, (unsigned)(v))
/* ... and every version 2 field. */
#define CHECK_V2_OPTIONS_DEFAULT(what, o) \
    CHECK((o)->iam_endpoint == NULL && (o)->proxy == NULL && (o)->proxy_username == NULL && \
              (o)->proxy_password == NULL && (o)->no_proxy == NULL && (o)->allow_cleartext_proxy == 0 && \
              (o)->trace == NULL && (o)->trace_user == NULL && (o)->trace_level == 0 && (o)->max_attempts == 0 && \
              (o)->retry_base_ms == 0 && (o)->retry_cap_ms == 0 && (o)->signing_algorithm == 0 && \
              (o)->derived_key_service == NULL, \
          "%s: a version 2 field is not its default", what)
#define CHECK_V1_REQUEST_DEFAULT(what, r, v) \
    CHECK((r)->version == (v) && (r)->registry_addr == NULL && (r)->namespace_name == NULL && (r)->username == NULL && \
              (r)->password == NULL && (r)->enterprise_project_id == NULL, \
          "%s: a field is not its default (or version is not %u)", what, (unsigned)(v))

/* The _init functions set every field to its default and version to the
 * version asked for: on the current structs, and on version 1's (nothing
 * written beyond them). NULL is refused. */
static void case_init(void)
{
    hss_client_options o;
    hss_image_upload_command_request r;
    struct v1_client_options *o1 = must_malloc(sizeof *o1);
    struct v1_request *r1 = must_malloc(sizeof *r1);

    check_v1_prefix();
    /* A tripwire: the current options are version 4's, the request version
     * 2's. When a version adds fields, check them below, and add their
     * older-version default case. */
    CHECK(HSS_CLIENT_OPTIONS_VERSION == 4 && sizeof o <= offsetof(hss_client_options, completions) + sizeof(long) &&
              sizeof o > offsetof(hss_client_options, completions),
          "hss_client_options has grown: check its new fields in case_init");
    CHECK(HSS_IMAGE_UPLOAD_COMMAND_REQUEST_VERSION == 2 && sizeof r == sizeof *r1 + sizeof(void *),
          "hss_image_upload_command_request has grown: check its new fields in case_init");

    memset(&o, 0xA5, sizeof o); /* garbage, as in an uninitialised variable */
    CHECK(hss_client_options_init(&o, HSS_CLIENT_OPTIONS_VERSION) == HSS_OK, "hss_client_options_init");
    CHECK_V1_OPTIONS_DEFAULT("hss_client_options_init", &o, HSS_CLIENT_OPTIONS_VERSION);
    CHECK_V2_OPTIONS_DEFAULT("hss_client_options_init", &o);
    CHECK(o.dry_run == 0 && o.completions == 0, "hss_client_options_init: a version 3 or 4 field is not its default");
    /* Version 3 into a version 4 struct: the version 4 field is not written. */
    memset(&o, 0xA5, sizeof o);
    CHECK(hss_client_options_init(&o, 3) == HSS_OK, "hss_client_options_init(&v4, 3)");
    CHECK(o.dry_run == 0 && *(const unsigned char *)&o.completions == 0xA5,
          "hss_client_options_init(&v4, 3) wrote beyond version 3");
    /* Version 2 into a version 3 struct: the version 3 field is not written. */
    memset(&o, 0xA5, sizeof o);
    CHECK(hss_client_options_init(&o, 2) == HSS_OK, "hss_client_options_init(&v3, 2)");
    CHECK_V2_OPTIONS_DEFAULT("hss_client_options_init(&v3, 2)", &o);
    CHECK(*(const unsigned char *)&o.dry_run == 0xA5, "hss_client_options_init(&v3, 2) wrote beyond version 2");
    memset(o1, 0xA5, sizeof *o1);
    CHECK(hss_client_options_init((hss_client_options *)(void *)o1, 1) == HSS_OK, "hss_client_options_init(v1)");
    CHECK_V1_OPTIONS_DEFAULT("hss_client_options_init(v1)", o1, 1u);
    /* Version 1 into a later struct: the later fields are not written. */
    memset(&o, 0xA5, sizeof o);
    CHECK(hss_client_options_init(&o, 1) == HSS_OK, "hss_client_options_init(&v3, 1)");
    CHECK_V1_OPTIONS_DEFAULT("hss_client_options_init(&v3, 1)", &o, 1u);
    CHECK(*(const unsigned char *)&o.iam_endpoint == 0xA5 && *(const unsigned char *)&o.allow_cleartext_proxy == 0xA5,
          "hss_client_options_init(&v3, 1) wrote beyond version 1");

    memset(&r, 0xA5, sizeof r);
    CHECK(hss_image_upload_command_request_init(&r, HSS_IMAGE_UPLOAD_COMMAND_REQUEST_VERSION) == HSS_OK,
          "hss_image_upload_command_request_init");
    CHECK_V1_REQUEST_DEFAULT("hss_image_upload_command_request_init", &r, HSS_IMAGE_UPLOAD_COMMAND_REQUEST_VERSION);
    CHECK(r.cancel == NULL, "hss_image_upload_command_request_init: cancel is not its default");
    memset(&r, 0xA5, sizeof r); /* version 1 into a version 2 struct: cancel is not written */
    CHECK(hss_image_upload_command_request_init(&r, 1) == HSS_OK, "hss_image_upload_command_request_init(&v2, 1)");
    CHECK_V1_REQUEST_DEFAULT("hss_image_upload_command_request_init(&v2, 1)", &r, 1u);
    CHECK(*(const unsigned char *)&r.cancel == 0xA5, "hss_image_upload_command_request_init(&v2, 1) wrote cancel");
    memset(r1, 0xA5, sizeof *r1);
    CHECK(hss_image_upload_command_request_init((hss_image_upload_command_request *)(void *)r1, 1) == HSS_OK,
          "hss_image_upload_command_request_init(v1)");
    CHECK_V1_REQUEST_DEFAULT("hss_image_upload_command_request_init(v1)", r1, 1u);

    CHECK(hss_client_options_init(NULL, HSS_CLIENT_OPTIONS_VERSION) == HSS_E_INVALID_ARGUMENT,
          "hss_client_options_init(NULL) is not HSS_E_INVALID_ARGUMENT");
    CHECK(hss_image_upload_command_request_init(NULL, HSS_IMAGE_UPLOAD_COMMAND_REQUEST_VERSION) ==
              HSS_E_INVALID_ARGUMENT,
          "hss_image_upload_command_request_init(NULL) is not HSS_E_INVALID_ARGUMENT");
    free(o1);
    free(r1);
}

/* The _init functions refuse version 0 and any version newer than the
 * library's, writing nothing. */
static void case_init_refused(void)
{
    const unsigned int options_bad[] = {0u, HSS_CLIENT_OPTIONS_VERSION + 1u, UINT_MAX};
    const unsigned int request_bad[] = {0u, HSS_IMAGE_UPLOAD_COMMAND_REQUEST_VERSION + 1u, UINT_MAX};
    hss_client_options o, o_before;
    hss_image_upload_command_request r, r_before;
    size_t i;

    memset(&o_before, 0xA5, sizeof o_before);
    memset(&r_before, 0xA5, sizeof r_before);
    for (i = 0; i < 3; i++) {
        memcpy(&o, &o_before, sizeof o);
        CHECK(hss_client_options_init(&o, options_bad[i]) == HSS_E_INVALID_ARGUMENT,
              "hss_client_options_init(version %u) is not HSS_E_INVALID_ARGUMENT", options_bad[i]);
        CHECK(memcmp(&o, &o_before, sizeof o) == 0, "hss_client_options_init(version %u) wrote", options_bad[i]);
        memcpy(&r, &r_before, sizeof r);
        CHECK(hss_image_upload_command_request_init(&r, request_bad[i]) == HSS_E_INVALID_ARGUMENT,
              "hss_image_upload_command_request_init(version %u) is not HSS_E_INVALID_ARGUMENT", request_bad[i]);
        CHECK(memcmp(&r, &r_before, sizeof r) == 0, "hss_image_upload_command_request_init(version %u) wrote",
              request_bad[i]);
        CHECK(hss_client_options_init(NULL, options_bad[i]) == HSS_E_INVALID_ARGUMENT,
              "hss_client_options_init(NULL, %u)", options_bad[i]);
        CHECK(hss_image_upload_command_request_init(NULL, request_bad[i]) == HSS_E_INVALID_ARGUMENT,
              "hss_image_upload_command_request_init(NULL, %u)", request_bad[i]);
    }
}

/* A program built against the 1.0.0 header: version 1 options (for
 * hss_client_new and as hss_client_new_from_env's overrides) and a version
 * 1 request work. Two calls; the first one's result is printed. */
static void case_v1_structs(void)
{
    expectation ok = {HSS_OK, -1, NULL, NULL, NULL, NULL};
    struct v1_client_options *o1 = must_malloc(sizeof *o1);
    struct v1_request *r1 = must_malloc(sizeof *r1);
    hss_client *client;
    hss_error *err;
    hss_status st;
    int from_env;

    check_v1_prefix();
    memset(r1, 0, sizeof *r1); /* by hand, as such a program's _INIT macro did */
    r1->version = 1;
    r1->registry_addr = env_or("HSS_TEST_REGISTRY_ADDR", "myharbor.com:443");
    r1->namespace_name = env_or("HSS_TEST_NAMESPACE", "library");
    r1->username = env_or("HSS_TEST_USERNAME", "admin");
    r1->password = env_or("HSS_TEST_PASSWORD", "s3cret-PW");
    for (from_env = 0; from_env <= 1; from_env++) {
        const char *what = from_env ? "hss_client_new_from_env(v1 overrides)" : "hss_client_new(v1 options)";
        memset(o1, 0, sizeof *o1);
        o1->version = 1;
        o1->endpoint = getenv("HSS_TEST_ENDPOINT");
        o1->project_id = getenv("HSS_TEST_PROJECT_ID");
        o1->ak = getenv("HSS_TEST_AK");
        o1->sk = getenv("HSS_TEST_SK");
        client = NULL;
        err = NULL;
        st = from_env ? hss_client_new_from_env((const hss_client_options *)(void *)o1, &client, &err)
                      : hss_client_new((const hss_client_options *)(void *)o1, &client, &err);
        if (st != HSS_OK) {
            print_error(what, st, err);
            CHECK(0, "%s: %s", what, hss_error_message(err));
            hss_error_free(err);
            continue;
        }
        one_call(client, (const hss_image_upload_command_request *)(void *)r1, &ok, !from_env,
                 from_env ? "call(v1 request, from_env client)" : "call(v1 request)");
        hss_client_free(client);
    }
    free(o1);
    free(r1);
}

/* ------------------------------------------------------------------------ */
/* Cases: the error out-parameter                                            */
/* ------------------------------------------------------------------------ */

/* A call made with *err already holding `first` must refuse (nothing
 * done), leave *err as it was, and leave `first` intact. */
static void check_refused_err(const char *what, hss_status st, const hss_error *err, const hss_error *first,
                              const char *first_message)
{
    CHECK(st == HSS_E_INVALID_ARGUMENT, "%s with a non-NULL *err: expected HSS_E_INVALID_ARGUMENT, got %s", what,
          status_name(st));
    CHECK(err == first, "%s with a non-NULL *err replaced it", what);
    CHECK(hss_error_status(first) == HSS_E_INVALID_ARGUMENT && strcmp(hss_error_message(first), first_message) == 0,
          "%s with a non-NULL *err changed that error object", what);
}

/* GError's rule: *err must be NULL on entry. Every function with an err
 * parameter is called with an error object from an earlier failure in
 * *err and arguments that would otherwise succeed (from_env with NULL
 * overrides would fail: it must not write *err either). Nothing is sent;
 * run under valgrind, nothing leaks. */
static void case_gerror(void)
{
    hss_client_options o;
    hss_image_upload_command_request r;
    hss_client *client = must_client(), *out;
    hss_image_upload_command *result = RESULT_SENTINEL;
    hss_error *first = NULL, *err;
    char message[1024];
    hss_status st;

    if (client == NULL)
        return;
    options_from_env(&o);
    request_from_env(&r);
    r.password = ""; /* a real error object, without traffic */
    st = hss_image_upload_command_get(client, &r, &result, &first);
    print_error("first", st, first);
    CHECK(st == HSS_E_INVALID_ARGUMENT && first != NULL, "the empty password was not refused");
    if (first == NULL) {
        hss_client_free(client);
        return;
    }
    snprintf(message, sizeof message, "%s", hss_error_message(first));
    request_from_env(&r);

    out = CLIENT_SENTINEL;
    err = first;
    st = hss_client_new(&o, &out, &err);
    check_refused_err("hss_client_new", st, err, first, message);
    CHECK(out == CLIENT_SENTINEL, "hss_client_new with a non-NULL *err wrote *out");

    err = first;
    st = hss_client_new_from_env(&o, &out, &err);
    check_refused_err("hss_client_new_from_env", st, err, first, message);
    CHECK(out == CLIENT_SENTINEL, "hss_client_new_from_env with a non-NULL *err wrote *out");

    err = first;
    st = hss_client_new_from_env(NULL, &out, &err);
    check_refused_err("hss_client_new_from_env(NULL)", st, err, first, message);
    CHECK(out == CLIENT_SENTINEL, "hss_client_new_from_env(NULL) with a non-NULL *err wrote *out");

    err = first;
    st = hss_image_upload_command_get(client, &r, &result, &err);
    check_refused_err("hss_image_upload_command_get", st, err, first, message);
    CHECK(result == RESULT_SENTINEL, "hss_image_upload_command_get with a non-NULL *err wrote *out");

    hss_error_free(first);
    hss_client_free(client);
}

/* ------------------------------------------------------------------------ */
/* The case table                                                            */
/* ------------------------------------------------------------------------ */

static const struct {
    const char *name;
    void (*run)(void);
} cases[] = {
    {"call", case_call},
    {"keepalive", case_keepalive},
    {"threads", case_threads},
    {"free_null", case_free_null},
    {"accessors_null", case_accessors_null},
    {"status_str", case_status_str},
    {"version", case_version},
    {"err_null", case_err_null},
    {"regions", case_regions},
    {"init", case_init},
    {"init_refused", case_init_refused},
    {"v1_structs", case_v1_structs},
    {"gerror", case_gerror},
};
#define N_CASES (sizeof cases / sizeof cases[0])

static void list_cases(void)
{
    size_t i;
    for (i = 0; i < N_CASES; i++)
        printf("%s\n", cases[i].name);
    for (i = 0; i < N_OPTION_CASES; i++)
        printf("opt:%s\n", option_cases[i].name);
    for (i = 0; i < N_REQUEST_CASES; i++)
        printf("req:%s\n", request_cases[i].name);
}

/* Run the named case; 0 when it exists. */
static int run_case(const char *name)
{
    size_t i;
    for (i = 0; i < N_CASES; i++)
        if (strcmp(name, cases[i].name) == 0) {
            cases[i].run();
            return 0;
        }
    if (strncmp(name, "opt:", 4) == 0)
        for (i = 0; i < N_OPTION_CASES; i++)
            if (strcmp(name + 4, option_cases[i].name) == 0) {
                run_option_case(&option_cases[i]);
                return 0;
            }
    if (strncmp(name, "req:", 4) == 0)
        for (i = 0; i < N_REQUEST_CASES; i++)
            if (strcmp(name + 4, request_cases[i].name) == 0) {
                run_request_case(&request_cases[i]);
                return 0;
            }
    return -1;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CASE | --list\n", argv[0]);
        return 2;
    }
    if (strcmp(argv[1], "--list") == 0) {
        list_cases();
        return 0;
    }
    init_long_values();
    current_case = argv[1];
    if (run_case(argv[1]) != 0) {
        fprintf(stderr, "%s: no case named \"%s\" (see --list)\n", argv[0], argv[1]);
        return 2;
    }
    if (failures != 0) {
        fprintf(stderr, "%s: %d check(s) failed\n", current_case, failures);
        return 1;
    }
    return 0;
}
