import CHSSAPI

/// The constant description of each status, shared by hss_status_str and
/// the messages libhss builds. StaticString storage never moves or frees.
package func hss_status_text(_ status: hss_status) -> StaticString {
    switch status {
    case HSS_OK: return "ok"
    case HSS_E_INVALID_ARGUMENT: return "invalid argument"
    case HSS_E_OUT_OF_MEMORY: return "out of memory"
    case HSS_E_NETWORK: return "network error"
    case HSS_E_TLS: return "TLS error"
    case HSS_E_TIMEOUT: return "timed out"
    case HSS_E_HTTP_CLIENT: return "request rejected by the service (HTTP 4xx)"
    case HSS_E_HTTP_SERVER: return "service failure (HTTP 5xx)"
    case HSS_E_BAD_RESPONSE: return "unusable response from the service"
    case HSS_E_INTERNAL: return "internal error in libhss"
    case HSS_E_CREDENTIALS: return "no usable credentials or project id"
    case HSS_E_DRY_RUN: return "dry run: nothing was sent"
    case HSS_E_CANCELLED: return "cancelled"
    default: return "unknown status"
    }
}
