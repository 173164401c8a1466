import CHSSAPI

/// Every failure libhss reports: a status from the public header, a
/// human message that never holds a secret, and what the service said.
package struct HSSError: Error {
    package var status: hss_status
    package var message: String
    package var httpStatus: Int = 0
    package var code: String = ""
    package var serviceMessage: String = ""
    package var requestID: String = ""
    /// The request never left: name resolution, connecting or the TLS
    /// handshake failed. Another endpoint may serve it (failover).
    package var connectFailed = false
    /// How many attempts the call made (hss_error_attempts); 0: none sent.
    package var attempts = 0
    /// What the answer's Retry-After asked, in milliseconds.
    package var retryAfterMs: Int?
    /// The answer's Date header, as seconds since the epoch (clock skew).
    package var serverDate: Int?
    /// An http:// request refused because a proxy would read it in clear: a
    /// setting to fix, so the credential chain stops at it.
    package var isCleartextRefusal = false

    package init(_ status: hss_status, _ message: String) {
        self.status = status
        self.message = message
    }

    package static func invalid(_ message: String) -> HSSError {
        HSSError(HSS_E_INVALID_ARGUMENT, message)
    }
}
