/* What the Swift side sees of C: the public header (so the exported
 * functions are checked against its types), libcurl, OpenSSL, and typed
 * wrappers for libcurl's variadic calls, which Swift cannot make. */
#ifndef CHSS_H
#define CHSS_H

#include "../../../include/hss.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef size_t (*chss_curl_write_fn)(char *data, size_t size, size_t nmemb, void *userdata);

CURLcode chss_curl_set_long(CURL *curl, CURLoption option, long value);
CURLcode chss_curl_set_ptr(CURL *curl, CURLoption option, const void *value);
CURLcode chss_curl_set_write(CURL *curl, chss_curl_write_fn fn, void *userdata);
CURLcode chss_curl_get_response_code(CURL *curl, long *code);

#endif
