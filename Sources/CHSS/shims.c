#include "CHSS.h"

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
