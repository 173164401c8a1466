import CHSSAPI
import HSSBase
import HSSTransport

/// ~/.huaweicloud/credentials (or HUAWEICLOUD_SDK_CREDENTIALS_FILE), an INI
/// file read straight into wiped memory. Section [basic] (documented) or
/// [basiccredentials] (what the official builder reads); no `%`
/// interpolation.
package final class ProfileProvider: CredentialProvider {
    package let source = CredentialSource.profile
    private var federated: FederatedProvider?
    /// Set when the file is readable by group or others (as ssh warns).
    package private(set) var warning: String?

    package init() {}

    package static func path() -> String? {
        if let explicit = Environment.text("HUAWEICLOUD_SDK_CREDENTIALS_FILE") { return explicit }
        return Environment.text("HOME").map { $0 + "/.huaweicloud/credentials" }
    }

    package func fetch(_ http: IdentityHTTP, _ context: CallContext) throws -> Credentials {
        if let federated { return try federated.fetch(http, context) }
        guard let path = ProfileProvider.path() else {
            throw notApplicable("HOME and HUAWEICLOUD_SDK_CREDENTIALS_FILE are not set")
        }
        let file: (contents: SecureBuffer, mode: mode_t)
        do {
            file = try SecureFile.read(path, maxBytes: maxTokenFileBytes)
        } catch {
            throw notApplicable(error.describe("credentials file '\(path)'"))
        }
        if file.mode & 0o077 != 0 {
            warning =
                "credentials file '\(path)' is readable by others (mode \(String(file.mode & 0o777, radix: 8))): "
                + "chmod 600 it"
        }
        let document: INIDocument
        do {
            document = try INIDocument(file.contents.bytes)
        } catch {
            throw HSSError(HSS_E_CREDENTIALS, "credentials file '\(path)' line \(error.line): \(error.reason)")
        }
        guard let section = ["basic", "basiccredentials"].first(where: document.hasSection) else {
            throw HSSError(
                HSS_E_CREDENTIALS, "credentials file '\(path)' has no [basic] (or [basiccredentials]) section")
        }
        func text(_ key: String) -> String? {
            document.value(section: section, key: key).flatMap { $0.isEmpty ? nil : $0.string() }
        }
        let projectID = text("project_id")
        let iamEndpoint = text("iam_endpoint")
        if let idp = text("idp_id"), let tokenFile = text("id_token_file") {
            let provider = FederatedProvider(
                idpID: idp, tokenFile: tokenFile, iamEndpoint: iamEndpoint, projectID: projectID, source: source)
            federated = provider
            return try provider.fetch(http, context)
        }
        func secret(_ key: String) -> SecureBuffer? {
            document.value(section: section, key: key).flatMap { $0.isEmpty ? nil : $0 }
        }
        guard let ak = secret("ak"), let sk = secret("sk") else {
            throw HSSError(
                HSS_E_CREDENTIALS,
                "credentials file '\(path)' [\(section)] has neither ak and sk nor idp_id and id_token_file")
        }
        var credentials: Credentials
        do {
            credentials = try Credentials.signed(
                accessKey: ak, secretKey: sk, securityToken: secret("security_token"), source: source)
        } catch let error as HSSError {
            throw HSSError(HSS_E_CREDENTIALS, "credentials file '\(path)' [\(section)]: \(error.message)")
        }
        credentials.projectID = projectID
        credentials.iamEndpoint = iamEndpoint
        return credentials
    }
}
