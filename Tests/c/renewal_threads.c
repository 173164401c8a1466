/*
 * Many threads on one client whose temporary credentials need renewing
 * (issue 12): exactly one renewal, no call with expired keys.
 *
 *   renewal_threads   exit 0 when every call of every round succeeded
 *
 * The client is made by hss_client_new_from_env with no credentials, so the
 * default chain supplies them (the test points it at the emulator's
 * metadata service). One call first (the first fetch), then for each of
 * RENEWAL_ROUNDS rounds (default 1): the program waits for a line on stdin
 * (the test makes the keys run low meanwhile), then RENEWAL_THREADS threads
 * (default 16) start together on a barrier and make one call each. Prints
 * "round <n> ok <count>" per round; failures as "FAIL thread <i>: <message>"
 * on stderr, and a non-zero exit status.
 *
 * Environment: what hss_client_new_from_env reads, plus RENEWAL_THREADS and
 * RENEWAL_ROUNDS.
 */
#define _POSIX_C_SOURCE 200809L

#include <hss.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static hss_client *client;
static pthread_barrier_t start;
static int failures;
static pthread_mutex_t failures_lock = PTHREAD_MUTEX_INITIALIZER;

static int call(const char *who)
{
    hss_image_upload_command_request r = HSS_IMAGE_UPLOAD_COMMAND_REQUEST_INIT;
    hss_image_upload_command *result = NULL;
    hss_error *err = NULL;
    r.registry_addr = "myharbor.com:443";
    r.namespace_name = "library";
    r.username = "admin";
    r.password = "Renewal-Pw-1";
    if (hss_image_upload_command_get(client, &r, &result, &err) != HSS_OK) {
        fprintf(stderr, "FAIL %s: %s\n", who, hss_error_message(err));
        hss_error_free(err);
        return 1;
    }
    hss_image_upload_command_free(result);
    return 0;
}

static void *worker(void *arg)
{
    char who[32];
    snprintf(who, sizeof who, "thread %ld", (long)(size_t)arg);
    pthread_barrier_wait(&start);
    if (call(who)) {
        pthread_mutex_lock(&failures_lock);
        failures++;
        pthread_mutex_unlock(&failures_lock);
    }
    return NULL;
}

static long env_long(const char *name, long fallback)
{
    const char *value = getenv(name);
    return value != NULL && *value != '\0' ? strtol(value, NULL, 10) : fallback;
}

int main(void)
{
    long threads = env_long("RENEWAL_THREADS", 16), rounds = env_long("RENEWAL_ROUNDS", 1), round, i;
    pthread_t *ids = calloc((size_t)threads, sizeof *ids);
    hss_error *err = NULL;
    char line[16];

    if (ids == NULL || threads < 1)
        return 2;
    if (hss_client_new_from_env(NULL, &client, &err) != HSS_OK) {
        fprintf(stderr, "FAIL client: %s\n", hss_error_message(err));
        return 1;
    }
    if (call("first call"))
        return 1;
    printf("first ok\n");
    fflush(stdout);
    for (round = 1; round <= rounds; round++) {
        if (fgets(line, sizeof line, stdin) == NULL)
            break;
        pthread_barrier_init(&start, NULL, (unsigned)threads);
        for (i = 0; i < threads; i++)
            pthread_create(&ids[i], NULL, worker, (void *)(size_t)i);
        for (i = 0; i < threads; i++)
            pthread_join(ids[i], NULL);
        pthread_barrier_destroy(&start);
        printf("round %ld ok %ld\n", round, threads - failures);
        fflush(stdout);
    }
    hss_client_free(client);
    free(ids);
    return failures == 0 ? 0 : 1;
}
