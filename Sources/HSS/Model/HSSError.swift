import CHSS

/// Every failure libhss reports: a status from the public header, a
/// human message that never holds a secret, and what the service said.
struct HSSError: Error {
    var status: hss_status
    var message: String
    var httpStatus: Int = 0
    var code: String = ""
    var serviceMessage: String = ""
    var requestID: String = ""

    init(_ status: hss_status, _ message: String) {
        self.status = status
        self.message = message
    }

    static func invalid(_ message: String) -> HSSError {
        HSSError(HSS_E_INVALID_ARGUMENT, message)
    }
}
