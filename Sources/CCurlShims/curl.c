#include "CCurlShims.h"

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

CURLcode chss_curl_set_long(CURL *curl, CURLoption option, long value)
{
    return curl_easy_setopt(curl, option, value);
}

CURLcode chss_curl_set_ptr(CURL *curl, CURLoption option, const void *value)
{
    return curl_easy_setopt(curl, option, value);
}

CURLcode chss_curl_set_write(CURL *curl, chss_curl_write_fn fn, void *userdata)
{
    CURLcode rc = curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, fn);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(curl, CURLOPT_WRITEDATA, userdata);
    return rc;
}

CURLcode chss_curl_get_response_code(CURL *curl, long *code)
{
    return curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, code);
}

CURLcode chss_curl_get_long(CURL *curl, CURLINFO info, long *value)
{
    return curl_easy_getinfo(curl, info, value);
}

int chss_curl_effective_url_is(CURL *curl, const char *url)
{
    char *effective = NULL;
    return curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK && effective != NULL &&
           strcmp(effective, url) == 0;
}

CURLcode chss_curl_set_blob(CURL *curl, CURLoption option, const void *data, size_t length)
{
    struct curl_blob blob = {(void *)data, length, CURL_BLOB_COPY};
    return curl_easy_setopt(curl, option, &blob);
}

/* SSL_CTX_set_keylog_callback lives in libssl, which libcurl loads but
 * libhss does not link (its run-time needs stay libc, libcurl, libcrypto):
 * it is looked up once in the already loaded library. */
typedef void (*keylog_setter_fn)(void *ssl_ctx, void *callback);
static keylog_setter_fn keylog_setter;
static pthread_once_t keylog_once = PTHREAD_ONCE_INIT;

static void find_keylog_setter(void)
{
    void *libssl = dlopen("libssl.so.3", RTLD_LAZY | RTLD_NOLOAD);
    if (libssl != NULL)
        *(void **)&keylog_setter = dlsym(libssl, "SSL_CTX_set_keylog_callback");
}

/* Runs after libcurl has set up the SSL_CTX, keylog callback included. */
static CURLcode clear_keylog(CURL *curl, void *ssl_ctx, void *userdata)
{
    (void)curl;
    (void)userdata;
    if (keylog_setter != NULL)
        keylog_setter(ssl_ctx, NULL);
    return CURLE_OK;
}

CURLcode chss_curl_ignore_keylog(CURL *curl)
{
    pthread_once(&keylog_once, find_keylog_setter);
    return curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, clear_keylog);
}

int chss_curl_multi_done(CURLM *multi, CURL **easy, CURLcode *result)
{
    int queued;
    CURLMsg *message;
    while ((message = curl_multi_info_read(multi, &queued)) != NULL) {
        if (message->msg == CURLMSG_DONE) {
            *easy = message->easy_handle;
            *result = message->data.result;
            return 1;
        }
    }
    return 0;
}

CURLSH *chss_curl_share_connections(void)
{
    CURLSH *share = curl_share_init();
    if (share != NULL && curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) != CURLSHE_OK) {
        curl_share_cleanup(share);
        share = NULL;
    }
    return share;
}
