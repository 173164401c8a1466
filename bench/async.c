/*
 * Calls that do not block (hss_image_upload_command_start), one client,
 * completions on libhss's engine thread.
 *
 *   async inflight http://127.0.0.1:PORT IN_FLIGHT N
 *       N calls, IN_FLIGHT of them in flight at every moment (each completion
 *       starts the next one), after IN_FLIGHT untimed calls that open the
 *       connections. Prints "calls=N errors=E seconds=S cpu_seconds=C
 *       in_flight=IN_FLIGHT libhss_threads=T", T the most threads of
 *       libhss's own (named hss-*) seen while the calls ran.
 *   async cancel N
 *       N calls, one after the other, to a server of this program that
 *       accepts connections and never answers; each is cancelled 2 ms after
 *       it started. Prints "cancels=N errors=E p50_ms= p99_ms= max_ms=": the
 *       time from hss_cancel_trigger to the call's callback (errors: a status
 *       other than HSS_E_CANCELLED).
 */
#define _POSIX_C_SOURCE 200809L

#include "bench_hss.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

static hss_client *client;
static hss_image_upload_command_request request;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static long started, completed, wanted, errors;
static double done_at;
static hss_status last_status;

/* libhss's own threads in this process. */
static int libhss_threads(void)
{
    DIR *tasks = opendir("/proc/self/task");
    struct dirent *entry;
    int count = 0;
    while (tasks != NULL && (entry = readdir(tasks)) != NULL) {
        char path[300], name[32] = "";
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", entry->d_name);
        FILE *f = entry->d_name[0] == '.' ? NULL : fopen(path, "r");
        if (f != NULL) {
            count += fgets(name, sizeof name, f) != NULL && strncmp(name, "hss-", 4) == 0;
            fclose(f);
        }
    }
    if (tasks != NULL)
        closedir(tasks);
    return count;
}

static void sleep_us(long us)
{
    struct timespec t = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&t, NULL);
}

static void start_one(void);

/* On the engine thread: count the outcome, and keep the pipeline full. */
static void answered(hss_status status, hss_image_upload_command *result, hss_error *err, void *user)
{
    (void)user;
    pthread_mutex_lock(&lock);
    if (status != HSS_OK && errors++ == 0)
        fprintf(stderr, "first error: %s\n", hss_error_message(err));
    completed++;
    int more = started < wanted;
    started += more;
    pthread_cond_signal(&changed);
    pthread_mutex_unlock(&lock);
    hss_image_upload_command_free(result);
    hss_error_free(err);
    if (more)
        start_one();
}

static void start_one(void)
{
    hss_error *err = NULL;
    if (hss_image_upload_command_start(client, &request, answered, NULL, &err) != HSS_OK) {
        fprintf(stderr, "start: %s\n", hss_error_message(err));
        exit(1);
    }
}

/* N calls with `in_flight` in flight; waits for them all. */
static void run(long in_flight, long n)
{
    pthread_mutex_lock(&lock);
    started = in_flight < n ? in_flight : n;
    completed = 0;
    wanted = n;
    pthread_mutex_unlock(&lock);
    for (long i = 0; i < (in_flight < n ? in_flight : n); i++)
        start_one();
}

static int inflight(const char *endpoint, long in_flight, long n)
{
    client = bench_client(endpoint);
    request = bench_request();
    run(in_flight, in_flight); /* opens the connections */
    pthread_mutex_lock(&lock);
    while (completed < in_flight)
        pthread_cond_wait(&changed, &lock);
    errors = 0;
    pthread_mutex_unlock(&lock);

    int threads = libhss_threads();
    double start = bench_now(), cpu = bench_cpu();
    run(in_flight, n);
    pthread_mutex_lock(&lock);
    while (completed < n) {
        pthread_mutex_unlock(&lock);
        int now = libhss_threads(); /* sampled while the calls run */
        threads = now > threads ? now : threads;
        sleep_us(20000);
        pthread_mutex_lock(&lock);
    }
    pthread_mutex_unlock(&lock);
    double seconds = bench_now() - start;
    cpu = bench_cpu() - cpu;
    printf("calls=%ld errors=%ld seconds=%.6f cpu_seconds=%.6f in_flight=%ld libhss_threads=%d\n", n, errors, seconds,
           cpu, in_flight, threads);
    hss_client_free(client);
    return errors == 0 ? 0 : 1;
}

/* The silent server: accepts, keeps the connections, never reads or answers. */
static int listener;

static void *accept_all(void *arg)
{
    (void)arg;
    for (;;)
        if (accept(listener, NULL, NULL) < 0)
            return NULL;
}

static void cancelled(hss_status status, hss_image_upload_command *result, hss_error *err, void *user)
{
    (void)user;
    double now = bench_now();
    hss_image_upload_command_free(result);
    hss_error_free(err);
    pthread_mutex_lock(&lock);
    done_at = now;
    last_status = status;
    completed++;
    pthread_cond_signal(&changed);
    pthread_mutex_unlock(&lock);
}

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cancel(long n)
{
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    listener = socket(AF_INET, SOCK_STREAM, 0);
    if (bind(listener, (struct sockaddr *)&address, length) != 0 || listen(listener, 4096) != 0 ||
        getsockname(listener, (struct sockaddr *)&address, &length) != 0)
        return 1;
    pthread_t thread;
    pthread_create(&thread, NULL, accept_all, NULL);
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", ntohs(address.sin_port));
    client = bench_client(endpoint);
    request = bench_request();
    double *latency = calloc((size_t)n, sizeof *latency);
    for (long i = 0; i < n; i++) {
        hss_cancel *switch_ = NULL;
        hss_error *err = NULL;
        hss_cancel_new(&switch_);
        request.cancel = switch_;
        if (hss_image_upload_command_start(client, &request, cancelled, NULL, &err) != HSS_OK) {
            fprintf(stderr, "start: %s\n", hss_error_message(err));
            return 1;
        }
        sleep_us(2000);
        double triggered = bench_now();
        hss_cancel_trigger(switch_);
        pthread_mutex_lock(&lock);
        while (completed <= i)
            pthread_cond_wait(&changed, &lock);
        latency[i] = (done_at - triggered) * 1000;
        errors += last_status != HSS_E_CANCELLED;
        pthread_mutex_unlock(&lock);
        hss_cancel_free(switch_);
    }
    qsort(latency, (size_t)n, sizeof *latency, compare);
    printf("cancels=%ld errors=%ld p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n", n, errors, latency[n / 2],
           latency[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1], latency[n - 1]);
    hss_client_free(client);
    free(latency);
    return errors == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *usage = "usage: async inflight http://127.0.0.1:PORT IN_FLIGHT N | async cancel N";
    if (argc == 5 && strcmp(argv[1], "inflight") == 0)
        return inflight(argv[2], bench_count(argv[3], usage), bench_count(argv[4], usage));
    if (argc == 3 && strcmp(argv[1], "cancel") == 0)
        return cancel(bench_count(argv[2], usage));
    fprintf(stderr, "%s\n", usage);
    return 2;
}
