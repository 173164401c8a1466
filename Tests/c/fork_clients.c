/*
 * One client on both sides of fork() (issue 9, point 5).
 *
 *   fork_clients      exit 0 when every answer in both processes was its own
 *
 * Each round: the parent makes one call, so that a kept-alive connection
 * sits in the client's pool, then forks; parent and child start together
 * (a pipe handshake) and each makes FORK_TEST_CALLS calls (default 10) with
 * its own password. The emulator puts the password into image_command, so
 * an answer meant for the other process shows up as a foreign password. The
 * child frees the client before it exits, as a real program would. Only the
 * first call of each process can meet the shared connection (libcurl drops
 * a connection it finds readable before reuse, and then opens its own), so
 * the race is run FORK_TEST_ROUNDS times (default 5). At the end the parent
 * makes one more call. Any error or mix-up makes the exit status non-zero;
 * each is reported on stderr as "FAIL <process> call <i>: ...".
 *
 * Environment: FORK_TEST_ENDPOINT, FORK_TEST_PROJECT_ID, FORK_TEST_AK,
 * FORK_TEST_SK, FORK_TEST_CA_FILE (optional), FORK_TEST_CALLS,
 * FORK_TEST_ROUNDS.
 */
#define _POSIX_C_SOURCE 200809L

#include <hss.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Make `calls` calls with `password`; return the number of failures. */
static int calls_with(hss_client *client, const char *who, const char *password, long calls)
{
    hss_image_upload_command_request r = HSS_IMAGE_UPLOAD_COMMAND_REQUEST_INIT;
    char expected[64];
    int failures = 0;
    long i;
    r.registry_addr = "myharbor.com:443";
    r.namespace_name = "library";
    r.username = "admin";
    r.password = password;
    snprintf(expected, sizeof expected, " -p %s ", password);
    for (i = 0; i < calls; i++) {
        hss_image_upload_command *result = NULL;
        hss_error *err = NULL;
        hss_status st = hss_image_upload_command_get(client, &r, &result, &err);
        if (st != HSS_OK) {
            fprintf(stderr, "FAIL %s call %ld: %s\n", who, i, hss_error_message(err));
            hss_error_free(err);
            failures++;
            continue;
        }
        if (strstr(hss_image_upload_command_image_command(result), expected) == NULL) {
            fprintf(stderr, "FAIL %s call %ld: the answer belongs to another process: %s\n", who, i,
                    hss_image_upload_command_image_command(result));
            failures++;
        }
        hss_image_upload_command_free(result);
    }
    return failures;
}

static long env_long(const char *name, long fallback)
{
    const char *v = getenv(name);
    return v != NULL ? strtol(v, NULL, 10) : fallback;
}

/* One round: pool a connection, fork, race. Returns the number of failures. */
static int race(hss_client *client, long calls)
{
    int ready[2], go[2], status = 0, failures;
    char byte = 'x';
    pid_t child;

    if (calls_with(client, "parent-before-fork", "before-fork-pw", 1) != 0)
        return 1;
    if (pipe(ready) != 0 || pipe(go) != 0)
        exit(2);
    fflush(NULL); /* nothing buffered may be written twice */
    child = fork();
    if (child < 0)
        exit(2);
    if (child == 0) {
        /* Say "ready", wait for "go", then race the parent. */
        if (write(ready[1], &byte, 1) != 1 || read(go[0], &byte, 1) != 1)
            _exit(2);
        failures = calls_with(client, "child", "child-pw", calls);
        hss_client_free(client);
        _exit(failures == 0 ? 0 : 1);
    }
    if (read(ready[0], &byte, 1) != 1 || write(go[1], &byte, 1) != 1)
        exit(2);
    failures = calls_with(client, "parent", "parent-pw", calls);
    if (waitpid(child, &status, 0) != child)
        exit(2);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "FAIL child: exit status %d\n", status);
        failures++;
    }
    close(ready[0]), close(ready[1]), close(go[0]), close(go[1]);
    return failures;
}

int main(void)
{
    hss_client_options o = HSS_CLIENT_OPTIONS_INIT;
    hss_client *client = NULL;
    hss_error *err = NULL;
    long calls = env_long("FORK_TEST_CALLS", 10), rounds = env_long("FORK_TEST_ROUNDS", 5), i;
    int failures = 0;

    o.endpoint = getenv("FORK_TEST_ENDPOINT");
    o.project_id = getenv("FORK_TEST_PROJECT_ID");
    o.ak = getenv("FORK_TEST_AK");
    o.sk = getenv("FORK_TEST_SK");
    o.ca_file = getenv("FORK_TEST_CA_FILE");
    o.timeout_ms = 5000; /* a call stuck on a shared connection fails instead of hanging */
    if (hss_client_new(&o, &client, &err) != HSS_OK) {
        fprintf(stderr, "FAIL client: %s\n", hss_error_message(err));
        return 2;
    }
    for (i = 0; i < rounds; i++)
        failures += race(client, calls);
    /* The parent's pool still works after its children are gone. */
    failures += calls_with(client, "parent-after-children", "parent-pw", 1);
    hss_client_free(client);
    printf("failures=%d\n", failures);
    return failures == 0 ? 0 : 1;
}
