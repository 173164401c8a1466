/*
 * The tests of the calls that do not block (hss.h, "Calls that do not
 * block"): hss_image_upload_command_start, hss_client_resolve_start, the
 * cancel switch, the two completion modes, hss_client_free with calls in
 * flight, fork(). One program, written against include/hss.h only, that
 * runs the case named on its command line (exit 0 on pass, 1 with "FAIL"
 * lines on stderr); Tests/test_async.py runs it against the emulator and
 * the servers it starts. Everything comes through the environment:
 *
 *   client   HSS_TEST_ENDPOINT, HSS_TEST_PROJECT_ID, HSS_TEST_AK, HSS_TEST_SK
 *            (no HSS_TEST_AK: hss_client_new_from_env, the default chain),
 *            HSS_TEST_TIMEOUT_MS, HSS_TEST_MAX_ATTEMPTS, HSS_TEST_RETRY_BASE_MS,
 *            HSS_TEST_RETRY_CAP_MS, HSS_TEST_DISPATCH=1 (HSS_COMPLETIONS_DISPATCH,
 *            completions run by a poll() loop on this thread)
 *            HSS_TEST_SILENT_ENDPOINT: a second client's endpoint, a server
 *            that never answers
 *   counts   HSS_TEST_CALLS, HSS_TEST_THREADS
 *   timing   HSS_TEST_CANCEL_AFTER_MS, HSS_TEST_CANCEL_ON (a trace line's
 *            substring that triggers the cancel switch), HSS_TEST_AGAIN=1
 *            (`cancel`: a second call, cancelled too, 300 ms after the first)
 *
 * It prints "name=value" lines: each call's status, the latency from a
 * trigger to its completion ("cancel_latency_ms"), a call's duration
 * ("elapsed_ms"), the libhss threads it saw ("libhss_threads").
 */
#define _GNU_SOURCE

#include <hss.h>

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *current_case = "?";
static int failures;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;

static void failf(int line, const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&lock);
    fprintf(stderr, "FAIL %s (test_async.c:%d): ", current_case, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    failures++;
    pthread_mutex_unlock(&lock);
}

#define CHECK(cond, ...) \
    do { \
        if (!(cond)) \
            failf(__LINE__, __VA_ARGS__); \
    } while (0)

static long env_long(const char *name, long fallback)
{
    const char *v = getenv(name);
    return (v != NULL && v[0] != '\0') ? strtol(v, NULL, 10) : fallback;
}

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&t, &t) != 0)
        ;
}

/* ------------------------------------------------------------------------ */
/* Clients                                                                   */
/* ------------------------------------------------------------------------ */

static hss_cancel *trace_switch; /* triggered by the trace line HSS_TEST_CANCEL_ON */
static long trace_triggered_at;

static int trace_debug;   /* make_client: trace every level */
static int hold_in_trace; /* the next trace line waits here until this is cleared */
static int held_in_trace;

static void trace(hss_trace_level level, const char *line, void *user)
{
    const char *wanted = getenv("HSS_TEST_CANCEL_ON");
    (void)level;
    (void)user;
    pthread_mutex_lock(&lock);
    if (hold_in_trace && !held_in_trace) {
        held_in_trace = 1;
        pthread_cond_broadcast(&changed);
        while (hold_in_trace)
            pthread_cond_wait(&changed, &lock);
    }
    if (wanted != NULL && trace_switch != NULL && trace_triggered_at == 0 && strstr(line, wanted) != NULL) {
        trace_triggered_at = now_ms();
        hss_cancel_trigger(trace_switch);
    }
    pthread_mutex_unlock(&lock);
}

static int force_library_thread; /* make_client: HSS_COMPLETIONS_LIBRARY_THREAD whatever the mode */

static int dispatch_mode(void)
{
    return env_long("HSS_TEST_DISPATCH", 0) != 0;
}

/* The client of HSS_TEST_* (endpoint: `endpoint`, else HSS_TEST_ENDPOINT). */
static hss_client *make_client(const char *endpoint)
{
    hss_client_options o;
    hss_client *client = NULL;
    hss_error *err = NULL;
    hss_status st;
    hss_client_options_init(&o, HSS_CLIENT_OPTIONS_VERSION);
    o.endpoint = endpoint != NULL ? endpoint : getenv("HSS_TEST_ENDPOINT");
    o.project_id = getenv("HSS_TEST_PROJECT_ID");
    o.ak = getenv("HSS_TEST_AK");
    o.sk = getenv("HSS_TEST_SK");
    o.timeout_ms = env_long("HSS_TEST_TIMEOUT_MS", 0);
    o.max_attempts = (int)env_long("HSS_TEST_MAX_ATTEMPTS", 0);
    o.retry_base_ms = env_long("HSS_TEST_RETRY_BASE_MS", 0);
    o.retry_cap_ms = env_long("HSS_TEST_RETRY_CAP_MS", 0);
    o.trace = trace;
    o.trace_level = getenv("HSS_TEST_CANCEL_ON") != NULL || trace_debug ? HSS_TRACE_DEBUG : HSS_TRACE_WARNING;
    o.completions =
        dispatch_mode() && !force_library_thread ? HSS_COMPLETIONS_DISPATCH : HSS_COMPLETIONS_LIBRARY_THREAD;
    st = o.ak != NULL ? hss_client_new(&o, &client, &err) : hss_client_new_from_env(&o, &client, &err);
    if (st != HSS_OK) {
        fprintf(stderr, "FAIL %s: no client: %s\n", current_case, hss_error_message(err));
        hss_error_free(err);
        exit(1);
    }
    return client;
}

static void fill_request(hss_image_upload_command_request *r, const char *username, hss_cancel *cancel)
{
    hss_image_upload_command_request_init(r, HSS_IMAGE_UPLOAD_COMMAND_REQUEST_VERSION);
    r->registry_addr = "myharbor.com:443";
    r->namespace_name = "library";
    r->username = username;
    r->password = "s3cret-PW";
    r->cancel = cancel;
}

/* ------------------------------------------------------------------------ */
/* Calls and their completions                                               */
/* ------------------------------------------------------------------------ */

struct call {
    char username[32];
    hss_cancel *cancel;
    int done; /* how many times `done` ran: must end at exactly 1 */
    hss_status status;
    int attempts;
    int echoed; /* the answer is this call's own */
    pthread_t thread;
    long done_at;
};

static int completed; /* completions of the case so far */

static void record(struct call *call, hss_status status, hss_error *err)
{
    pthread_mutex_lock(&lock);
    call->done++;
    call->status = status;
    call->attempts = hss_error_attempts(err);
    call->thread = pthread_self();
    call->done_at = now_ms();
    completed++;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
}

static void call_done(hss_status status, hss_image_upload_command *result, hss_error *err, void *user)
{
    struct call *call = user;
    if (result != NULL) {
        char expected[64];
        snprintf(expected, sizeof expected, "-u %s -p ", call->username);
        call->echoed = strstr(hss_image_upload_command_image_command(result), expected) != NULL;
    }
    CHECK((status == HSS_OK) == (result != NULL) && (status == HSS_OK) == (err == NULL),
          "done(%s): result and err do not match the status", hss_status_str(status));
    if (err != NULL && hss_error_status(err) != status)
        CHECK(0, "done: hss_error_status %d differs from the status %d", (int)hss_error_status(err), (int)status);
    record(call, status, err);
    hss_image_upload_command_free(result);
    hss_error_free(err);
}

static hss_status start(hss_client *client, struct call *call, int index, hss_cancel *cancel)
{
    hss_image_upload_command_request r;
    hss_error *err = NULL;
    hss_status st;
    snprintf(call->username, sizeof call->username, "caller-%d", index);
    call->cancel = cancel;
    fill_request(&r, call->username, cancel);
    st = hss_image_upload_command_start(client, &r, call_done, call, &err);
    CHECK(st == HSS_OK, "start %d: %s: %s", index, hss_status_str(st), hss_error_message(err));
    hss_error_free(err);
    return st;
}

/* Waits until `count` completions in all (dispatch mode: runs them here,
 * polling the client's descriptor). False after `limit_ms`. */
static int wait_for(hss_client *client, int count, long limit_ms)
{
    long until = now_ms() + limit_ms;
    int reached;
    if (dispatch_mode()) {
        struct pollfd p = {hss_client_completion_fd(client), POLLIN, 0};
        for (;;) {
            pthread_mutex_lock(&lock);
            reached = completed >= count;
            pthread_mutex_unlock(&lock);
            if (reached || now_ms() >= until)
                return reached;
            if (poll(&p, 1, (int)(until - now_ms())) > 0)
                hss_client_dispatch(client, 0);
        }
    }
    pthread_mutex_lock(&lock);
    while (completed < count) {
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += 1;
        pthread_cond_timedwait(&changed, &lock, &deadline);
        if (now_ms() >= until)
            break;
    }
    reached = completed >= count;
    pthread_mutex_unlock(&lock);
    return reached;
}

/* libhss's own threads in this process (named hss-engine, hss-worker). */
static int libhss_threads(void)
{
    DIR *tasks = opendir("/proc/self/task");
    struct dirent *entry;
    int count = 0;
    while (tasks != NULL && (entry = readdir(tasks)) != NULL) {
        char path[300], name[32] = "";
        FILE *f;
        if (entry->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", entry->d_name);
        f = fopen(path, "r");
        if (f != NULL) {
            if (fgets(name, sizeof name, f) != NULL && strncmp(name, "hss-", 4) == 0)
                count++;
            fclose(f);
        }
    }
    if (tasks != NULL)
        closedir(tasks);
    return count;
}

/* ------------------------------------------------------------------------ */
/* Cases                                                                     */
/* ------------------------------------------------------------------------ */

/* HSS_TEST_CALLS (20) calls in flight at once on one client: each completes
 * once, with its own answer; completions run on the engine thread, or in
 * dispatch mode on this thread only; libhss runs at most 2 threads. */
static void case_complete(void)
{
    int i, n = (int)env_long("HSS_TEST_CALLS", 20);
    struct call *calls = calloc((size_t)n, sizeof *calls);
    hss_client *client = make_client(NULL);
    for (i = 0; i < n; i++)
        start(client, &calls[i], i, NULL);
    CHECK(wait_for(client, n, 60000), "only %d of %d calls completed", completed, n);
    for (i = 0; i < n; i++) {
        CHECK(calls[i].done == 1, "call %d completed %d times", i, calls[i].done);
        CHECK(calls[i].status == HSS_OK && calls[i].echoed, "call %d: %s, answer %s", i,
              hss_status_str(calls[i].status), calls[i].echoed ? "its own" : "not its own");
        if (dispatch_mode())
            CHECK(pthread_equal(calls[i].thread, pthread_self()), "call %d completed on another thread", i);
        else
            CHECK(!pthread_equal(calls[i].thread, pthread_self()), "call %d completed on the caller's thread", i);
    }
    if (dispatch_mode()) {
        struct pollfd p = {hss_client_completion_fd(client), POLLIN, 0};
        CHECK(poll(&p, 1, 0) == 0, "the descriptor is readable with nothing pending");
        CHECK(hss_client_dispatch(client, 0) == 0, "dispatch ran something with nothing pending");
    }
    printf("libhss_threads=%d\n", libhss_threads());
    hss_client_free(client);
    free(calls);
}

/* How many times the descriptor was signalled and not yet read (the
 * eventfd's counter, from /proc/self/fdinfo, which leaves it as it is). */
static long eventfd_count(int fd)
{
    char path[64], line[128];
    long count = -1;
    FILE *f;
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
    f = fopen(path, "r");
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "eventfd-count:", 14) == 0)
            count = strtol(line + 14, NULL, 16);
    if (f != NULL)
        fclose(f);
    return count;
}

/* Dispatch mode: a burst of completions signals the descriptor once (one
 * write for the engine, one wake-up for the caller's loop); a dispatch with
 * a limit runs that many and leaves it readable for the rest, and the
 * dispatch that takes the last clears it. */
static void case_burst(void)
{
    int i, n = 20, fd;
    struct call *calls = calloc((size_t)n, sizeof *calls);
    hss_client *client;
    struct pollfd p;
    setenv("HSS_TEST_DISPATCH", "1", 1); /* this case is about dispatch mode's descriptor */
    client = make_client(NULL);
    fd = hss_client_completion_fd(client);
    p.fd = fd;
    p.events = POLLIN;
    for (i = 0; i < n; i++)
        start(client, &calls[i], i, NULL);
    CHECK(poll(&p, 1, 30000) == 1, "no completion in 30 s");
    usleep(500000); /* the rest of the burst completes, undispatched */
    CHECK(eventfd_count(fd) == 1, "%ld signals for one burst", eventfd_count(fd));
    CHECK(hss_client_dispatch(client, 5) == 5 && completed == 5, "dispatch(5) ran %d callbacks", completed);
    CHECK(poll(&p, 1, 0) == 1, "the descriptor is not readable with completions waiting");
    CHECK(wait_for(client, n, 60000), "only %d of %d calls completed", completed, n);
    CHECK(poll(&p, 1, 0) == 0 && eventfd_count(fd) == 0, "the descriptor is still signalled");
    hss_client_free(client);
    free(calls);
}

/* Refused starts never run `done`: a later good call is the only completion. */
static void case_invalid(void)
{
    hss_client *client = make_client(NULL);
    hss_image_upload_command_request r;
    hss_error *err = NULL, *used = NULL;
    struct call calls[2];
    hss_status st;
    memset(calls, 0, sizeof calls);
    fill_request(&r, "caller-0", NULL);
    CHECK(hss_image_upload_command_start(NULL, &r, call_done, &calls[0], &err) == HSS_E_INVALID_ARGUMENT,
          "NULL client");
    CHECK(err != NULL && strstr(hss_error_message(err), "client") != NULL, "NULL client: message");
    hss_error_free(err);
    err = NULL;
    CHECK(hss_image_upload_command_start(client, NULL, call_done, &calls[0], &err) == HSS_E_INVALID_ARGUMENT,
          "NULL request");
    hss_error_free(err);
    err = NULL;
    CHECK(hss_image_upload_command_start(client, &r, NULL, &calls[0], &err) == HSS_E_INVALID_ARGUMENT, "NULL done");
    CHECK(err != NULL && strstr(hss_error_message(err), "done") != NULL, "NULL done: message");
    hss_error_free(err);
    err = NULL;
    r.password = "";
    st = hss_image_upload_command_start(client, &r, call_done, &calls[0], &err);
    CHECK(st == HSS_E_INVALID_ARGUMENT && err != NULL && strstr(hss_error_message(err), "password") != NULL,
          "an empty password was not refused at start");
    used = err;
    err = used;
    r.password = "s3cret-PW";
    CHECK(hss_image_upload_command_start(client, &r, call_done, &calls[0], &err) == HSS_E_INVALID_ARGUMENT &&
              err == used,
          "a used *err was not refused");
    hss_error_free(used);
    r.version = 0;
    CHECK(hss_image_upload_command_start(client, &r, call_done, &calls[0], NULL) == HSS_E_INVALID_ARGUMENT,
          "version 0");
    CHECK(hss_client_resolve_start(NULL, NULL, NULL, NULL, NULL) == HSS_E_INVALID_ARGUMENT, "resolve: NULL client");
    CHECK(hss_client_resolve_start(client, NULL, NULL, NULL, NULL) == HSS_E_INVALID_ARGUMENT, "resolve: NULL done");
    start(client, &calls[1], 1, NULL);
    CHECK(wait_for(client, 1, 30000), "the good call did not complete");
    sleep_ms(100);
    if (dispatch_mode())
        hss_client_dispatch(client, 0);
    CHECK(calls[0].done == 0 && calls[1].done == 1 && completed == 1, "a refused start ran done");
    hss_client_free(client);
}

/* A switch triggered before the call starts: done runs with
 * HSS_E_CANCELLED, nothing sent (pytest counts the requests); a blocking
 * call with it returns HSS_E_CANCELLED; resolve too. */
static void resolve_done(hss_status status, hss_error *err, void *user)
{
    record(user, status, err);
    hss_error_free(err);
}

static void case_cancel_before(void)
{
    hss_client *client = make_client(NULL);
    hss_image_upload_command_request r;
    hss_image_upload_command *result = NULL;
    hss_error *err = NULL;
    hss_cancel *cancel = NULL;
    struct call calls[2];
    char buffer[HSS_IMAGE_UPLOAD_COMMAND_BUFFER_SIZE];
    size_t lengths[3];
    hss_status st;
    memset(calls, 0, sizeof calls);
    CHECK(hss_cancel_new(&cancel) == HSS_OK && cancel != NULL, "hss_cancel_new");
    CHECK(hss_cancel_new(NULL) == HSS_E_INVALID_ARGUMENT, "hss_cancel_new(NULL)");
    hss_cancel_trigger(cancel);
    hss_cancel_trigger(cancel); /* idempotent */
    hss_cancel_trigger(NULL);
    start(client, &calls[0], 0, cancel);
    CHECK(hss_client_resolve_start(client, cancel, resolve_done, &calls[1], NULL) == HSS_OK, "resolve_start");
    CHECK(wait_for(client, 2, 10000), "the cancelled calls did not complete");
    CHECK(calls[0].done == 1 && calls[0].status == HSS_E_CANCELLED && calls[0].attempts == 0,
          "start: %d completions, %s, %d attempts", calls[0].done, hss_status_str(calls[0].status), calls[0].attempts);
    CHECK(calls[1].done == 1 && calls[1].status == HSS_E_CANCELLED, "resolve_start: %s",
          hss_status_str(calls[1].status));
    fill_request(&r, "caller-2", cancel);
    st = hss_image_upload_command_get(client, &r, &result, &err);
    CHECK(st == HSS_E_CANCELLED && result == NULL && hss_error_status(err) == HSS_E_CANCELLED,
          "the blocking call returned %s", hss_status_str(st));
    hss_error_free(err);
    err = NULL;
    st = hss_image_upload_command_get_into(client, &r, buffer, sizeof buffer, lengths, &err);
    CHECK(st == HSS_E_CANCELLED, "the blocking call into a buffer returned %s", hss_status_str(st));
    hss_error_free(err);
    hss_cancel_free(cancel);
    hss_cancel_free(NULL);
    hss_client_free(client);
}

/* One call, cancelled HSS_TEST_CANCEL_AFTER_MS after it started (or when
 * the trace shows HSS_TEST_CANCEL_ON): HSS_E_CANCELLED, and the time from
 * the trigger to its completion. HSS_TEST_WARMUP=1: a blocking call first
 * (the session that a renewal then replaces). */
static void case_cancel(void)
{
    hss_client *client = make_client(NULL);
    struct call call;
    hss_cancel *cancel = NULL;
    long triggered;
    memset(&call, 0, sizeof call);
    hss_cancel_new(&cancel);
    if (env_long("HSS_TEST_WARMUP", 0)) {
        hss_image_upload_command_request r;
        hss_image_upload_command *result = NULL;
        fill_request(&r, "warmup", NULL);
        CHECK(hss_image_upload_command_get(client, &r, &result, NULL) == HSS_OK, "the warm-up call failed");
        hss_image_upload_command_free(result);
    }
    pthread_mutex_lock(&lock);
    trace_switch = cancel;
    pthread_mutex_unlock(&lock);
    start(client, &call, 0, cancel);
    if (getenv("HSS_TEST_CANCEL_ON") == NULL) {
        sleep_ms(env_long("HSS_TEST_CANCEL_AFTER_MS", 200));
        pthread_mutex_lock(&lock);
        trace_triggered_at = now_ms();
        pthread_mutex_unlock(&lock);
        hss_cancel_trigger(cancel);
    }
    CHECK(wait_for(client, 1, 60000), "the call did not complete");
    pthread_mutex_lock(&lock);
    triggered = trace_triggered_at;
    pthread_mutex_unlock(&lock);
    CHECK(triggered != 0, "the switch was never triggered (no trace line held \"%s\")",
          getenv("HSS_TEST_CANCEL_ON") ? getenv("HSS_TEST_CANCEL_ON") : "");
    CHECK(call.done == 1 && call.status == HSS_E_CANCELLED, "%d completions, %s", call.done,
          hss_status_str(call.status));
    if (triggered != 0)
        printf("cancel_latency_ms=%ld\nattempts=%d\n", call.done_at - triggered, call.attempts);
    hss_cancel_free(cancel);
    if (env_long("HSS_TEST_AGAIN", 0)) {
        /* A second call on the same client, when the first one's connection should be closed:
         * pytest checks that it came on a new one. */
        struct call again;
        memset(&again, 0, sizeof again);
        hss_cancel_new(&cancel);
        sleep_ms(300);
        printf("again_started_ms=%ld\n", now_ms());
        start(client, &again, 1, cancel);
        sleep_ms(200);
        hss_cancel_trigger(cancel);
        CHECK(wait_for(client, 2, 60000) && again.status == HSS_E_CANCELLED, "the second call: %s",
              hss_status_str(again.status));
        hss_cancel_free(cancel);
    }
    hss_client_free(client);
}

/* One call, not cancelled: its status and how long it took (deadline). */
static void case_one(void)
{
    hss_client *client = make_client(NULL);
    struct call call;
    long started = now_ms();
    memset(&call, 0, sizeof call);
    start(client, &call, 0, NULL);
    CHECK(wait_for(client, 1, 120000), "the call did not complete");
    printf("status=%s\nelapsed_ms=%ld\nattempts=%d\n", hss_status_str(call.status), call.done_at - started,
           call.attempts);
    hss_client_free(client);
}

/* HSS_TEST_CALLS calls to the silent server, then hss_client_free: every
 * one has completed with HSS_E_CANCELLED when it returns (dispatch mode: on
 * this thread, inside it). */
static void case_free_in_flight(void)
{
    int i, n = (int)env_long("HSS_TEST_CALLS", 10);
    struct call *calls = calloc((size_t)n, sizeof *calls);
    hss_client *client = make_client(getenv("HSS_TEST_SILENT_ENDPOINT"));
    for (i = 0; i < n; i++)
        start(client, &calls[i], i, NULL);
    sleep_ms(200);
    hss_client_free(client);
    pthread_mutex_lock(&lock);
    CHECK(completed == n, "%d of %d calls had completed when hss_client_free returned", completed, n);
    for (i = 0; i < n; i++) {
        CHECK(calls[i].done == 1 && calls[i].status == HSS_E_CANCELLED, "call %d: %d completions, %s", i, calls[i].done,
              hss_status_str(calls[i].status));
        if (dispatch_mode())
            CHECK(pthread_equal(calls[i].thread, pthread_self()), "call %d completed on another thread", i);
    }
    pthread_mutex_unlock(&lock);
    free(calls);
}

/* A callback on the library thread frees its own client while other calls
 * are in flight: they complete with HSS_E_CANCELLED right after it. */
static hss_client *freed_in_callback;

static void free_client_done(hss_status status, hss_error *err, void *user)
{
    record(user, status, err);
    hss_error_free(err);
    hss_client_free(freed_in_callback); /* returns at once on the engine thread */
}

static void case_free_in_callback(void)
{
    int i, n = (int)env_long("HSS_TEST_CALLS", 5);
    struct call *calls = calloc((size_t)n + 1, sizeof *calls);
    freed_in_callback = make_client(getenv("HSS_TEST_SILENT_ENDPOINT"));
    for (i = 0; i < n; i++)
        start(freed_in_callback, &calls[i], i, NULL);
    sleep_ms(100);
    CHECK(hss_client_resolve_start(freed_in_callback, NULL, free_client_done, &calls[n], NULL) == HSS_OK,
          "resolve_start");
    CHECK(wait_for(NULL, n + 1, 10000), "%d of %d completions", completed, n + 1);
    sleep_ms(100);
    for (i = 0; i < n; i++)
        CHECK(calls[i].done == 1 && calls[i].status == HSS_E_CANCELLED, "call %d: %d completions, %s", i, calls[i].done,
              hss_status_str(calls[i].status));
    free(calls);
}

/* A blocking call holding a switch, cancelled by another thread after
 * HSS_TEST_CANCEL_AFTER_MS; and refused on the library thread. */
static void *trigger_later(void *cancel)
{
    sleep_ms(env_long("HSS_TEST_CANCEL_AFTER_MS", 200));
    pthread_mutex_lock(&lock);
    trace_triggered_at = now_ms();
    pthread_mutex_unlock(&lock);
    hss_cancel_trigger(cancel);
    return NULL;
}

static hss_client *callback_client;
static hss_status blocking_in_callback = HSS_OK;

static void blocking_done(hss_status status, hss_image_upload_command *result, hss_error *err, void *user)
{
    hss_image_upload_command_request r;
    hss_image_upload_command *inner = NULL;
    hss_cancel *cancel = NULL;
    hss_cancel_new(&cancel);
    fill_request(&r, "inner", cancel);
    blocking_in_callback = hss_image_upload_command_get(callback_client, &r, &inner, NULL);
    hss_cancel_free(cancel);
    call_done(status, result, err, user);
}

static void case_blocking_cancel(void)
{
    hss_client *client = make_client(getenv("HSS_TEST_SILENT_ENDPOINT"));
    hss_image_upload_command_request r;
    hss_image_upload_command *result = NULL;
    hss_error *err = NULL;
    hss_cancel *cancel = NULL;
    pthread_t thread;
    struct call call;
    hss_status st;
    hss_cancel_new(&cancel);
    fill_request(&r, "caller-0", cancel);
    pthread_create(&thread, NULL, trigger_later, cancel);
    st = hss_image_upload_command_get(client, &r, &result, &err);
    pthread_mutex_lock(&lock);
    printf("cancel_latency_ms=%ld\n", now_ms() - trace_triggered_at);
    pthread_mutex_unlock(&lock);
    pthread_join(thread, NULL);
    CHECK(st == HSS_E_CANCELLED && result == NULL, "the blocking call returned %s", hss_status_str(st));
    hss_error_free(err);
    hss_cancel_free(cancel);
    hss_client_free(client);

    if (dispatch_mode())
        return;
    callback_client = make_client(NULL);
    memset(&call, 0, sizeof call);
    strcpy(call.username, "caller-0");
    fill_request(&r, call.username, NULL);
    CHECK(hss_image_upload_command_start(callback_client, &r, blocking_done, &call, NULL) == HSS_OK, "start");
    CHECK(wait_for(callback_client, 1, 30000), "the call did not complete");
    CHECK(blocking_in_callback == HSS_E_INVALID_ARGUMENT,
          "a blocking call with a switch in a library-thread callback returned %s",
          hss_status_str(blocking_in_callback));
    hss_client_free(callback_client);
}

/* fork() while a call to the silent server is in flight: in the child the
 * parent's call never completes, hss_client_free does not wait for it, and
 * a new call on a client made before the fork completes; the parent's call
 * is then cancelled in the parent as usual. */
static void case_fork(void)
{
    hss_client *silent = make_client(getenv("HSS_TEST_SILENT_ENDPOINT"));
    hss_client *client = make_client(NULL);
    struct call calls[2];
    hss_cancel *cancel = NULL;
    int parent_fd = dispatch_mode() ? hss_client_completion_fd(client) : -1, status = 0;
    pid_t child;
    memset(calls, 0, sizeof calls);
    hss_cancel_new(&cancel);
    start(silent, &calls[0], 0, cancel);
    sleep_ms(200);
    fflush(stdout);
    child = fork();
    if (child == 0) {
        current_case = "fork (child)";
        completed = 0;
        if (dispatch_mode()) {
            /* The child closes its copy of the parent's descriptor and reuses the number: libhss leaves it alone. */
            struct stat mine, now;
            int devnull = open("/dev/null", O_RDONLY);
            CHECK(devnull >= 0 && dup2(devnull, parent_fd) == parent_fd && fstat(parent_fd, &mine) == 0, "dup2");
            close(devnull);
            CHECK(hss_client_completion_fd(client) >= 0 && hss_client_completion_fd(client) != parent_fd,
                  "the child's descriptor is the parent's");
            CHECK(fstat(parent_fd, &now) == 0 && now.st_ino == mine.st_ino && now.st_rdev == mine.st_rdev,
                  "libhss closed the child's descriptor %d (the parent's eventfd's number)", parent_fd);
        }
        start(client, &calls[1], 1, NULL);
        CHECK(wait_for(client, 1, 30000), "the child's call did not complete");
        CHECK(calls[1].status == HSS_OK && calls[1].echoed, "the child's call: %s", hss_status_str(calls[1].status));
        hss_cancel_trigger(cancel); /* the parent's call is not the child's to complete */
        hss_client_free(silent);
        sleep_ms(100);
        CHECK(calls[0].done == 0, "the parent's call completed in the child");
        printf("child_libhss_threads=%d\n", libhss_threads());
        hss_client_free(client);
        fflush(stdout);
        _exit(failures == 0 ? 0 : 1);
    }
    CHECK(child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "the child failed (status %d)", status);
    CHECK(calls[0].done == 0, "the parent's call completed early");
    hss_cancel_trigger(cancel);
    CHECK(wait_for(silent, 1, 10000), "the parent's call did not complete once cancelled");
    CHECK(calls[0].done == 1 && calls[0].status == HSS_E_CANCELLED, "the parent's call: %s",
          hss_status_str(calls[0].status));
    hss_cancel_free(cancel);
    hss_client_free(silent);
    hss_client_free(client);
}

/* A client that never used libhss's engine (blocking calls only) is freed
 * without waiting for it: while another client's callback holds the
 * engine thread (blocked until this thread lets it go), the free returns.
 * A watchdog lets the callback go after 10 s and says so: a free that
 * waited for the engine returns only then. */
static int held_in_callback, callback_released, released_by_watchdog;

static void holding_done(hss_status status, hss_image_upload_command *result, hss_error *err, void *user)
{
    call_done(status, result, err, user);
    pthread_mutex_lock(&lock);
    held_in_callback = 1;
    pthread_cond_broadcast(&changed);
    while (!callback_released)
        pthread_cond_wait(&changed, &lock);
    pthread_mutex_unlock(&lock);
}

static void *watchdog(void *unused)
{
    struct timespec deadline;
    (void)unused;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 10;
    pthread_mutex_lock(&lock);
    while (!callback_released)
        if (pthread_cond_timedwait(&changed, &lock, &deadline) != 0 && !callback_released) {
            released_by_watchdog = callback_released = 1;
            pthread_cond_broadcast(&changed);
        }
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void case_free_unused(void)
{
    hss_client *holder, *blocking;
    hss_image_upload_command_request r;
    hss_image_upload_command *result = NULL;
    hss_error *err = NULL;
    struct call call;
    pthread_t dog;
    int fired;
    memset(&call, 0, sizeof call);
    force_library_thread = 1;
    holder = make_client(NULL);
    blocking = make_client(NULL);
    fill_request(&r, "blocking", NULL);
    CHECK(hss_image_upload_command_get(blocking, &r, &result, &err) == HSS_OK, "the blocking call: %s",
          hss_error_message(err));
    hss_image_upload_command_free(result);
    hss_error_free(err);
    strcpy(call.username, "holder");
    fill_request(&r, call.username, NULL);
    CHECK(hss_image_upload_command_start(holder, &r, holding_done, &call, NULL) == HSS_OK, "start");
    pthread_mutex_lock(&lock);
    while (!held_in_callback)
        pthread_cond_wait(&changed, &lock);
    pthread_mutex_unlock(&lock);
    pthread_create(&dog, NULL, watchdog, NULL);
    hss_client_free(blocking);
    pthread_mutex_lock(&lock);
    fired = released_by_watchdog;
    callback_released = 1;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
    pthread_join(dog, NULL);
    CHECK(!fired, "freeing a blocking-only client waited for another client's callback on the engine");
    CHECK(call.done == 1 && call.status == HSS_OK, "the holder's call: %s", hss_status_str(call.status));
    hss_client_free(holder);
}

/* A call started on a client from the callback that hss_client_free runs
 * for its call in flight (HSS_E_CANCELLED) is refused: the start returns
 * HSS_E_CANCELLED and its done never runs; nothing more is sent (pytest
 * counts the silent server's connections). */
static hss_client *closing_client;
static hss_status started_while_closing = HSS_OK;
static struct call late_call;

static void start_while_closing_done(hss_status status, hss_image_upload_command *result, hss_error *err, void *user)
{
    hss_image_upload_command_request r;
    hss_error *start_err = NULL;
    call_done(status, result, err, user);
    strcpy(late_call.username, "late");
    fill_request(&r, late_call.username, NULL);
    started_while_closing = hss_image_upload_command_start(closing_client, &r, call_done, &late_call, &start_err);
    CHECK(started_while_closing == HSS_OK || hss_error_status(start_err) == started_while_closing,
          "the refused start's error does not match its status");
    hss_error_free(start_err);
}

static void case_start_while_freeing(void)
{
    struct call call, call_copy, late_copy;
    hss_image_upload_command_request r;
    memset(&call, 0, sizeof call);
    closing_client = make_client(getenv("HSS_TEST_SILENT_ENDPOINT"));
    strcpy(call.username, "first");
    fill_request(&r, call.username, NULL);
    CHECK(hss_image_upload_command_start(closing_client, &r, start_while_closing_done, &call, NULL) == HSS_OK, "start");
    sleep_ms(200); /* connected to the silent server */
    hss_client_free(closing_client);
    sleep_ms(300); /* what a call started anyway would need to connect */
    pthread_mutex_lock(&lock);
    call_copy = call;
    late_copy = late_call;
    pthread_mutex_unlock(&lock);
    CHECK(call_copy.done == 1 && call_copy.status == HSS_E_CANCELLED, "the call in flight: %d completions, %s",
          call_copy.done, hss_status_str(call_copy.status));
    CHECK(started_while_closing == HSS_E_CANCELLED, "a start on a client being freed returned %s",
          hss_status_str(started_while_closing));
    CHECK(late_copy.done == 0, "the refused call completed (%s)", hss_status_str(late_copy.status));
}

/* HSS_COMPLETIONS_DISPATCH: the first callback of a dispatched batch frees
 * the client; every other completion pending then has run when that
 * hss_client_free returns (none runs after it). */
static hss_client *dispatch_freed;
static int freed_in_dispatch, ran_after_free;

static void free_in_dispatch_done(hss_status status, hss_image_upload_command *result, hss_error *err, void *user)
{
    int first;
    call_done(status, result, err, user);
    pthread_mutex_lock(&lock);
    ran_after_free += freed_in_dispatch == 1;
    first = freed_in_dispatch == 0;
    if (first)
        freed_in_dispatch = -1; /* freeing */
    pthread_mutex_unlock(&lock);
    if (first) {
        hss_client_free(dispatch_freed);
        pthread_mutex_lock(&lock);
        freed_in_dispatch = 1;
        pthread_mutex_unlock(&lock);
    }
}

static void case_free_in_dispatch(void)
{
    int i, n = (int)env_long("HSS_TEST_CALLS", 6);
    struct call *calls = calloc((size_t)n, sizeof *calls);
    hss_cancel *cancel = NULL;
    hss_image_upload_command_request r;
    struct pollfd p;
    hss_cancel_new(&cancel);
    hss_cancel_trigger(cancel); /* each call completes at once, with nothing sent */
    dispatch_freed = make_client(NULL);
    for (i = 0; i < n; i++) {
        snprintf(calls[i].username, sizeof calls[i].username, "caller-%d", i);
        fill_request(&r, calls[i].username, cancel);
        CHECK(hss_image_upload_command_start(dispatch_freed, &r, free_in_dispatch_done, &calls[i], NULL) == HSS_OK,
              "start %d", i);
    }
    sleep_ms(300); /* most completions wait together: one batch */
    p.fd = hss_client_completion_fd(dispatch_freed);
    p.events = POLLIN;
    CHECK(poll(&p, 1, 10000) == 1, "no completion");
    hss_client_dispatch(dispatch_freed, 0); /* frees the client */
    CHECK(freed_in_dispatch == 1, "the first callback did not free the client");
    CHECK(ran_after_free == 0, "%d callback(s) ran after hss_client_free returned", ran_after_free);
    CHECK(completed == n, "%d of %d calls completed", completed, n);
    for (i = 0; i < n; i++)
        CHECK(calls[i].done == 1 && calls[i].status == HSS_E_CANCELLED, "call %d: %d completions, %s", i, calls[i].done,
              hss_status_str(calls[i].status));
    hss_cancel_free(cancel);
    free(calls);
}

/* fork() while another thread is inside the client's trace function (a
 * blocking call's debug line): hss_client_free in the child does not wait
 * for that thread, which the child does not have. A child that hangs is
 * ended by alarm() after 10 s. */
static void *blocking_call(void *client)
{
    hss_image_upload_command_request r;
    hss_image_upload_command *result = NULL;
    fill_request(&r, "traced", NULL);
    CHECK(hss_image_upload_command_get(client, &r, &result, NULL) == HSS_OK, "the traced call failed");
    hss_image_upload_command_free(result);
    return NULL;
}

static void case_fork_in_trace(void)
{
    hss_client *client;
    pthread_t thread;
    pid_t child;
    int status = 0;
    trace_debug = 1;
    force_library_thread = 1;
    client = make_client(NULL);
    pthread_mutex_lock(&lock);
    hold_in_trace = 1;
    pthread_mutex_unlock(&lock);
    pthread_create(&thread, NULL, blocking_call, client);
    pthread_mutex_lock(&lock);
    while (!held_in_trace)
        pthread_cond_wait(&changed, &lock);
    pthread_mutex_unlock(&lock);
    fflush(stdout);
    child = fork();
    if (child == 0) {
        alarm(10);
        hss_client_free(client);
        _exit(0);
    }
    CHECK(child > 0 && waitpid(child, &status, 0) == child, "waitpid");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "hss_client_free in the child did not return (status %d: a thread of the parent's held the trace gate)",
          status);
    pthread_mutex_lock(&lock);
    hold_in_trace = 0;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
    pthread_join(thread, NULL);
    hss_client_free(client);
}

/* HSS_TEST_THREADS (8) threads each start HSS_TEST_CALLS (50) calls on one
 * shared client with switches of their own, triggered at once, a little
 * later, or never, and freed at once: every call completes exactly once, a
 * call not cancelled with its own answer. For ThreadSanitizer. */
struct worker {
    pthread_t thread;
    hss_client *client;
    int index, calls;
    struct call *records;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    int i;
    for (i = 0; i < w->calls; i++) {
        struct call *call = &w->records[i];
        hss_cancel *cancel = NULL;
        hss_cancel_new(&cancel);
        if (i % 4 == 1)
            hss_cancel_trigger(cancel);
        start(w->client, call, w->index * 10000 + i, cancel);
        if (i % 4 == 2) {
            sleep_ms(i % 3);
            hss_cancel_trigger(cancel);
        }
        hss_cancel_free(cancel); /* calls keep their switch */
    }
    return NULL;
}

static void case_threads(void)
{
    int t, i, threads = (int)env_long("HSS_TEST_THREADS", 8), n = (int)env_long("HSS_TEST_CALLS", 50), ok = 0;
    struct worker *workers = calloc((size_t)threads, sizeof *workers);
    hss_client *client = make_client(NULL);
    for (t = 0; t < threads; t++) {
        workers[t].client = client;
        workers[t].index = t;
        workers[t].calls = n;
        workers[t].records = calloc((size_t)n, sizeof(struct call));
        pthread_create(&workers[t].thread, NULL, worker_main, &workers[t]);
    }
    for (t = 0; t < threads; t++)
        pthread_join(workers[t].thread, NULL);
    CHECK(wait_for(client, threads * n, 120000), "%d of %d calls completed", completed, threads * n);
    for (t = 0; t < threads; t++) {
        for (i = 0; i < n; i++) {
            struct call *call = &workers[t].records[i];
            CHECK(call->done == 1, "thread %d call %d completed %d times", t, i, call->done);
            if (i % 4 == 1)
                CHECK(call->status == HSS_E_CANCELLED, "thread %d call %d (cancelled first): %s", t, i,
                      hss_status_str(call->status));
            else if (i % 4 != 2)
                CHECK(call->status == HSS_OK && call->echoed, "thread %d call %d: %s", t, i,
                      hss_status_str(call->status));
            else
                CHECK(call->status == HSS_OK || call->status == HSS_E_CANCELLED, "thread %d call %d: %s", t, i,
                      hss_status_str(call->status));
            ok += call->status == HSS_OK;
        }
        free(workers[t].records);
    }
    printf("ok=%d\ncalls=%d\nlibhss_threads=%d\n", ok, threads * n, libhss_threads());
    hss_client_free(client);
    free(workers);
}

/* hss_client_resolve_start resolves (the default chain when no AK). */
static void case_resolve(void)
{
    hss_client *client = make_client(NULL);
    struct call call;
    memset(&call, 0, sizeof call);
    CHECK(hss_client_resolve_start(client, NULL, resolve_done, &call, NULL) == HSS_OK, "resolve_start");
    CHECK(wait_for(client, 1, 30000), "resolve did not complete");
    printf("status=%s\nproject_id=%s\n", hss_status_str(call.status),
           hss_client_setting(client, HSS_SETTING_PROJECT_ID));
    hss_client_free(client);
}

/* The completion modes' functions on each kind of client. */
static void case_modes(void)
{
    hss_client_options o;
    hss_client *client = NULL;
    hss_error *err = NULL;
    int fd;
    CHECK(hss_client_completion_fd(NULL) == -1 && hss_client_dispatch(NULL, 0) == 0, "NULL client");
    client = make_client(NULL);
    fd = hss_client_completion_fd(client);
    if (dispatch_mode()) {
        struct pollfd p = {fd, POLLIN, 0};
        CHECK(fd >= 0 && hss_client_completion_fd(client) == fd, "the descriptor %d is not stable", fd);
        CHECK(poll(&p, 1, 0) == 0, "a new client's descriptor is readable");
    } else {
        CHECK(fd == -1 && hss_client_dispatch(client, 0) == 0, "a library-thread client has a descriptor");
    }
    hss_client_free(client);
    hss_client_options_init(&o, HSS_CLIENT_OPTIONS_VERSION);
    o.endpoint = getenv("HSS_TEST_ENDPOINT");
    o.project_id = "p";
    o.ak = "AK";
    o.sk = "SK";
    o.completions = 2;
    client = NULL;
    CHECK(hss_client_new(&o, &client, &err) == HSS_E_INVALID_ARGUMENT && client == NULL &&
              strstr(hss_error_message(err), "completions") != NULL,
          "completions 2 was not refused");
    hss_error_free(err);
}

/* A version 1 request (no `cancel`), in a block of exactly its size. */
struct v1_request {
    unsigned int version;
    const char *registry_addr, *namespace_name, *username, *password, *enterprise_project_id;
};

static void case_v1_request(void)
{
    hss_client *client = make_client(NULL);
    struct v1_request *r = calloc(1, sizeof *r);
    struct call call;
    memset(&call, 0, sizeof call);
    strcpy(call.username, "caller-v1");
    r->version = 1;
    r->registry_addr = "myharbor.com:443";
    r->namespace_name = "library";
    r->username = call.username;
    r->password = "s3cret-PW";
    CHECK(hss_image_upload_command_start(client, (const hss_image_upload_command_request *)(void *)r, call_done, &call,
                                         NULL) == HSS_OK,
          "a version 1 request was refused");
    free(r); /* the call copied what it needs */
    CHECK(wait_for(client, 1, 30000) && call.status == HSS_OK && call.echoed, "the call: %s",
          hss_status_str(call.status));
    hss_client_free(client);
}

static const struct {
    const char *name;
    void (*run)(void);
} cases[] = {
    {"complete", case_complete},
    {"invalid", case_invalid},
    {"cancel_before", case_cancel_before},
    {"cancel", case_cancel},
    {"one", case_one},
    {"free_in_flight", case_free_in_flight},
    {"free_in_callback", case_free_in_callback},
    {"blocking_cancel", case_blocking_cancel},
    {"fork", case_fork},
    {"fork_in_trace", case_fork_in_trace},
    {"free_unused", case_free_unused},
    {"start_while_freeing", case_start_while_freeing},
    {"free_in_dispatch", case_free_in_dispatch},
    {"threads", case_threads},
    {"resolve", case_resolve},
    {"modes", case_modes},
    {"burst", case_burst},
    {"v1_request", case_v1_request},
};

int main(int argc, char **argv)
{
    size_t i;
    if (argc != 2) {
        fprintf(stderr, "usage: %s CASE\n", argv[0]);
        return 2;
    }
    current_case = argv[1];
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (strcmp(argv[1], cases[i].name) == 0) {
            cases[i].run();
            fflush(stdout);
            if (failures != 0)
                fprintf(stderr, "%s: %d check(s) failed\n", current_case, failures);
            return failures == 0 ? 0 : 1;
        }
    }
    fprintf(stderr, "%s: no case named \"%s\"\n", argv[0], argv[1]);
    return 2;
}
