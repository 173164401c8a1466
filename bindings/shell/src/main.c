/*
 * hss-image-upload-command — ask Huawei Cloud HSS for the commands that push
 * its scanner images into a private registry, from a shell or a CI script.
 * This file makes the call; command.h lists the others. Signing and HTTP are
 * the library's job.
 *
 * Secrets never come from the command line (any user can read
 * /proc/PID/cmdline): the registry password comes from --password-stdin,
 * --password-file or HSS_REGISTRY_PASSWORD; an IAM token from
 * --auth-token-file or HUAWEICLOUD_SDK_AUTH_TOKEN; the proxy password from
 * --proxy-password-file. Without credentials, the library's default chain
 * (OIDC, environment, profile file, ECS metadata, CCE pod identity) finds
 * them, and IAM the project id. What this program reads
 * itself is read without stdio (which would keep copies in its buffers),
 * and wiped before it is freed.
 */
#include "command.h"

#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

/* Whether stdout took everything; says so when it did not. */
static int output_written(void)
{
    if (fflush(stdout) == 0 && !ferror(stdout))
        return 1;
    fprintf(stderr, PROGRAM ": cannot write the output: %s\n", strerror(errno));
    return 0;
}

/* Ask HSS and print the answer; with --dry-run, the request it would send;
 * with --show-config, resolve and print the settings, also those found
 * before a step failed. The secrets are already read. */
static int run(struct command *cmd)
{
    hss_client *client = NULL;
    hss_image_upload_command *result = NULL;
    hss_error *err = NULL;
    hss_status status;
    int code = EXIT_OK;

    cmd->client.user_agent_suffix = PROGRAM "/" HSS_VERSION_STRING;
    cmd->client.trace = trace_line;
    cmd->client.trace_user = &cmd->verbose;
    if (getenv("HSS_DEBUG") && strcmp(getenv("HSS_DEBUG"), "1") == 0)
        cmd->verbose = 1; /* what the library does without a trace function */
    /* Debug lines cost the library work: asked for only when they are shown. */
    cmd->client.trace_level = cmd->verbose ? HSS_TRACE_DEBUG : HSS_TRACE_WARNING;

    status = hss_client_new_from_env(&cmd->client, &client, &err);
    if (status == HSS_OK && cmd->show_config)
        status = hss_client_resolve(client, &err);
    else if (status == HSS_OK)
        status = hss_image_upload_command_get(client, &cmd->request, &result, &err);

    if (client && cmd->show_config)
        print_settings(client, cmd->client.signing_algorithm, cmd->format, status == HSS_OK ? NULL : err);
    else if (status == HSS_E_DRY_RUN)
        print_request(hss_error_service_message(err), cmd->format), status = HSS_OK;
    else if (status == HSS_OK && cmd->field)
        printf("%s\n", cmd->field->get(result));
    else if (status == HSS_OK)
        print_answer(cmd->format, result);
    if (!output_written())
        code = EXIT_OTHER;
    if (status != HSS_OK)
        code = library_error(status, err);
    hss_image_upload_command_free(result); /* wipes the answer: it holds the password */
    hss_error_free(err);
    hss_client_free(client);
    return code;
}

int main(int argc, char **argv)
{
    struct command cmd = {
        .client = HSS_CLIENT_OPTIONS_INIT, .request = HSS_IMAGE_UPLOAD_COMMAND_REQUEST_INIT, .format = FORMAT_UNSET};
    struct secret password = {NULL, 0}, token = {NULL, 0}, proxy_password = {NULL, 0};
    int code = parse_arguments(argc, argv, &cmd);

    if (code >= 0)
        return code;
    if (cmd.list_regions) {
        print_regions();
        return output_written() ? EXIT_OK : EXIT_OTHER;
    }
    if (cmd.format == FORMAT_TABLE)
        setlocale(LC_CTYPE, ""); /* the columns of wide characters (wcwidth), only where they count */

    if (cmd.password_stdin)
        code = read_password_stdin(&password);
    else if (cmd.password_file)
        code = read_secret_file("--password-file", cmd.password_file, PASSWORD_MAX_BYTES, &password);
    else
        code = EXIT_OK;
    if (code == EXIT_OK && cmd.auth_token_file)
        code = read_secret_file("--auth-token-file", cmd.auth_token_file, TOKEN_MAX_BYTES, &token);
    if (code == EXIT_OK && cmd.proxy_password_file)
        code = read_secret_file("--proxy-password-file", cmd.proxy_password_file, PASSWORD_MAX_BYTES, &proxy_password);

    if (code == EXIT_OK) {
        cmd.request.password = password.text ? password.text : getenv("HSS_REGISTRY_PASSWORD");
        cmd.client.auth_token = token.text; /* NULL: the environment's credentials, else the chain */
        cmd.client.proxy_password = proxy_password.text;
        code = run(&cmd);
    }
    secret_free(&password);
    secret_free(&token);
    secret_free(&proxy_password);
    return code;
}
