/* libcurl for HSSTransport: its headers, and typed wrappers for its
 * variadic calls, which Swift cannot make. */
#ifndef CCURLSHIMS_H
#define CCURLSHIMS_H

#include <curl/curl.h>

typedef size_t (*chss_curl_write_fn)(char *data, size_t size, size_t nmemb, void *userdata);

CURLcode chss_curl_set_long(CURL *curl, CURLoption option, long value);
CURLcode chss_curl_set_ptr(CURL *curl, CURLoption option, const void *value);
CURLcode chss_curl_set_write(CURL *curl, chss_curl_write_fn fn, void *userdata);
CURLcode chss_curl_get_response_code(CURL *curl, long *code);
CURLcode chss_curl_get_long(CURL *curl, CURLINFO info, long *value);
/* 1 when the URL of the handle's last transfer (CURLINFO_EFFECTIVE_URL) is
 * `url` byte for byte, else 0. */
int chss_curl_effective_url_is(CURL *curl, const char *url);
/* CURLOPT_CAINFO_BLOB with CURL_BLOB_COPY. */
CURLcode chss_curl_set_blob(CURL *curl, CURLoption option, const void *data, size_t length);
/* Makes the handle's TLS connections ignore SSLKEYLOGFILE: libcurl would
 * otherwise write every TLS session key to the file that variable names. */
CURLcode chss_curl_ignore_keylog(CURL *curl);

/* The next finished transfer of `multi`: 1 with its handle and result, 0
 * when there is none. */
int chss_curl_multi_done(CURLM *multi, CURL **easy, CURLcode *result);
/* A share object whose handles share one connection cache (and nothing
 * else): one client's connections, on libhss's engine. NULL on failure. */
CURLSH *chss_curl_share_connections(void);

#endif
