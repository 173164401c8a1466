import CHSSAPI
import HSSBase
import HSSTransport

/// One source of credentials in the default chain (credentials.md §2).
/// `fetch` is called under the client's renewal lock, never concurrently,
/// the first time and again whenever temporary credentials run low, within
/// the deadline of the call that needs them.
package protocol CredentialProvider: AnyObject {
    var source: CredentialSource { get }
    /// Credentials from this source now, or an HSSError saying why not.
    /// `context`'s redactor knows every secret the client holds; the
    /// provider adds those it reads itself (a token file's content).
    func fetch(_ http: IdentityHTTP, _ context: CallContext) throws -> Credentials
}

/// A provider that does not apply (its variables are not set, its file
/// does not exist): the chain moves on.
func notApplicable(_ reason: String) -> HSSError { HSSError(HSS_E_CREDENTIALS, reason) }

/// Token files and profiles are small; anything larger is a mistake.
let maxTokenFileBytes = 64 * 1024

/// Reads a token file (an OIDC id token, a pod identity token) into wiped
/// memory, trimmed; re-read on every refresh, since the platform rotates it.
func readTokenFile(_ path: String, what: String) throws -> SecureBuffer {
    let token: SecureBuffer
    do {
        token = try SecureFile.read(path, maxBytes: maxTokenFileBytes).contents.trimmed()
    } catch {
        throw HSSError(HSS_E_CREDENTIALS, error.describe("\(what) '\(path)'"))
    }
    guard !token.isEmpty else { throw HSSError(HSS_E_CREDENTIALS, "\(what) '\(path)' is empty") }
    return token
}

/// An answer that is not 2xx, as one line naming the service; the body is
/// read like any service error (redacted).
func refused(_ response: HTTPResponse, by service: String, redactor: Redactor) -> HSSError {
    var error = ServiceErrorBody.describe(response, redactor: redactor, service: service)
    error.status = HSS_E_CREDENTIALS
    return error
}

extension Substring {
    func trimmingSpaces() -> String {
        var s = self
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" { s.removeLast() }
        return String(s)
    }
}
