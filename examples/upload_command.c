/* Print the commands that push HSS's scanner images into a private registry.
 *
 *   HSS_REGISTRY_PASSWORD=... upload_command REGISTRY_ADDR NAMESPACE USERNAME
 *
 * Credentials, project and region come from the environment (see
 * hss_client_new_from_env in hss.h). The registry password is read from
 * the environment, never from the command line, where any user could see it.
 */
#include <hss.h>

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: HSS_REGISTRY_PASSWORD=... %s REGISTRY_ADDR NAMESPACE USERNAME\n", argv[0]);
        return 2;
    }

    hss_error *err = NULL;
    hss_client *client = NULL;
    hss_status status = hss_client_new_from_env(NULL, &client, &err);
    if (status != HSS_OK) {
        fprintf(stderr, "configuration: %s\n", hss_error_message(err));
        hss_error_free(err);
        return 2;
    }

    hss_image_upload_command_request request = HSS_IMAGE_UPLOAD_COMMAND_REQUEST_INIT;
    request.registry_addr = argv[1];
    request.namespace_name = argv[2];
    request.username = argv[3];
    request.password = getenv("HSS_REGISTRY_PASSWORD");

    hss_image_upload_command *result = NULL;
    status = hss_image_upload_command_get(client, &request, &result, &err);
    if (status == HSS_OK) {
        printf("image_command:          %s\n", hss_image_upload_command_image_command(result));
        printf("images_download_url:    %s\n", hss_image_upload_command_images_download_url(result));
        printf("swr_image_pull_command: %s\n", hss_image_upload_command_swr_image_pull_command(result));
    } else {
        fprintf(stderr, "%s\n", hss_error_message(err));
        if (hss_error_request_id(err)[0] != '\0')
            fprintf(stderr, "request id: %s\n", hss_error_request_id(err));
    }

    hss_image_upload_command_free(result);
    hss_error_free(err);
    hss_client_free(client);
    return status == HSS_OK ? 0 : 1;
}
