#include "CHSS.h"

#include <pthread.h>

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

/* The version functions live in C so that they return the header's own
 * macros: the header is the single source of truth for the version. */
unsigned int hss_version_number(void)
{
    return HSS_VERSION_NUM;
}

const char *hss_version_string(void)
{
    return HSS_VERSION_STRING;
}

static EVP_MD *sha256_md;
static EVP_MAC *hmac_mac;
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch_algorithms(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    hmac_mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

int chss_sha256(const void *data, size_t length, unsigned char out[32])
{
    unsigned int written = 0;
    pthread_once(&fetch_once, fetch_algorithms);
    return sha256_md != NULL && EVP_Digest(data ? data : "", length, out, &written, sha256_md, NULL) == 1
        && written == 32;
}

EVP_MAC_CTX *chss_hmac_sha256_new(const void *key, size_t key_length)
{
    EVP_MAC_CTX *ctx;
    OSSL_PARAM params[2];

    pthread_once(&fetch_once, fetch_algorithms);
    if (hmac_mac == NULL || (ctx = EVP_MAC_CTX_new(hmac_mac)) == NULL)
        return NULL;
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (EVP_MAC_init(ctx, key, key_length, params) != 1) {
        EVP_MAC_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

int chss_hmac_sha256(const EVP_MAC_CTX *keyed, const void *data, size_t length, unsigned char out[32])
{
    size_t written = 0;
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_dup(keyed);
    int ok = ctx != NULL && EVP_MAC_update(ctx, data ? data : "", length) == 1
        && EVP_MAC_final(ctx, out, &written, 32) == 1 && written == 32;
    EVP_MAC_CTX_free(ctx);
    return ok;
}

void chss_hmac_sha256_free(EVP_MAC_CTX *keyed)
{
    EVP_MAC_CTX_free(keyed);
}
