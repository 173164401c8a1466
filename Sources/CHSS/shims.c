#include "CHSS.h"

#include <dlfcn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
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

CURLcode chss_curl_get_long(CURL *curl, CURLINFO info, long *value)
{
    return curl_easy_getinfo(curl, info, value);
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

int chss_open_nonblocking(const char *path)
{
    return open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
}

int chss_pem_certificate_count(const void *data, size_t length)
{
    int count = 0;
    BIO *bio = BIO_new_mem_buf(data, (int)length);
    STACK_OF(X509_INFO) *infos = bio != NULL ? PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL) : NULL;
    for (int i = 0; infos != NULL && i < sk_X509_INFO_num(infos); i++)
        if (sk_X509_INFO_value(infos, i)->x509 != NULL)
            count++;
    sk_X509_INFO_pop_free(infos, X509_INFO_free);
    BIO_free(bio);
    ERR_clear_error();
    return count;
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
    return sha256_md != NULL && EVP_Digest(data ? data : "", length, out, &written, sha256_md, NULL) == 1 &&
           written == 32;
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
    int ok = ctx != NULL && EVP_MAC_update(ctx, data ? data : "", length) == 1 &&
             EVP_MAC_final(ctx, out, &written, 32) == 1 && written == 32;
    EVP_MAC_CTX_free(ctx);
    return ok;
}

void chss_hmac_sha256_free(EVP_MAC_CTX *keyed)
{
    EVP_MAC_CTX_free(keyed);
}
