/*
 * T threads sharing one hss_client, each making N/T sequential calls.
 *
 *   threads http://127.0.0.1:PORT T N
 *
 * Every thread first makes a few untimed calls (so that the client's pool
 * holds one live connection per thread), then all start together.
 * Prints "threads=T calls=N errors=E seconds=S" (wall time of the timed part).
 */
#define _POSIX_C_SOURCE 200809L

#include "bench_hss.h"

#include <pthread.h>

static hss_client *client;
static long calls_per_thread;
static pthread_barrier_t warm, go;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long errors;

static long run(long n)
{
    hss_image_upload_command_request request = bench_request();
    long failed = 0;
    for (long i = 0; i < n; i++) {
        hss_image_upload_command *result = NULL;
        hss_error *err = NULL;
        if (hss_image_upload_command_get(client, &request, &result, &err) != HSS_OK) {
            if (failed++ == 0)
                fprintf(stderr, "first error: %s\n", hss_error_message(err));
            hss_error_free(err);
        }
        hss_image_upload_command_free(result);
    }
    return failed;
}

static void *worker(void *arg)
{
    (void)arg;
    long failed = run(20);
    pthread_barrier_wait(&warm);
    pthread_barrier_wait(&go);
    failed = run(calls_per_thread);
    pthread_mutex_lock(&lock);
    errors += failed;
    pthread_mutex_unlock(&lock);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *usage = "usage: threads http://127.0.0.1:PORT THREADS N";
    if (argc != 4) {
        fprintf(stderr, "%s\n", usage);
        return 2;
    }
    long threads = bench_count(argv[2], usage);
    long n = bench_count(argv[3], usage);
    if (threads > 64) {
        fprintf(stderr, "%s\n", usage);
        return 2;
    }
    calls_per_thread = n / threads;

    client = bench_client(argv[1]);

    pthread_t tid[64];
    pthread_barrier_init(&warm, NULL, (unsigned)threads + 1);
    pthread_barrier_init(&go, NULL, (unsigned)threads + 1);
    for (long t = 0; t < threads; t++)
        if (pthread_create(&tid[t], NULL, worker, NULL) != 0)
            return 1;
    pthread_barrier_wait(&warm);
    errors = 0; /* warm-up failures are not counted */
    double start = bench_now();
    double cpu = bench_cpu();
    pthread_barrier_wait(&go);
    for (long t = 0; t < threads; t++)
        pthread_join(tid[t], NULL);
    double seconds = bench_now() - start;
    cpu = bench_cpu() - cpu;
    printf("threads=%ld calls=%ld errors=%ld seconds=%.6f cpu_seconds=%.6f\n", threads, calls_per_thread * threads,
           errors, seconds, cpu);
    hss_client_free(client);
    return errors == 0 ? 0 : 1;
}
