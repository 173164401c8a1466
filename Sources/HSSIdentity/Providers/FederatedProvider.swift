import CHSSAPI
import HSSBase
import HSSSigning
import HSSTransport

/// An OIDC id token exchanged at IAM for an unscoped token, then for
/// temporary AK/SK (credentials.md §3.3). Both calls are unsigned.
final class FederatedProvider: CredentialProvider {
    let source: CredentialSource
    private let idpID: String
    private let tokenFile: String
    private let iamEndpoint: String?
    private let projectID: String?

    init(idpID: String, tokenFile: String, iamEndpoint: String?, projectID: String?, source: CredentialSource) {
        self.idpID = idpID
        self.tokenFile = tokenFile
        self.iamEndpoint = iamEndpoint
        self.projectID = projectID
        self.source = source
    }

    func fetch(_ http: IdentityHTTP, _ context: CallContext) throws -> Credentials {
        let iam = try EndpointURL(
            iamEndpoint ?? Environment.text("HUAWEICLOUD_SDK_IAM_ENDPOINT") ?? "https://iam.myhuaweicloud.com",
            field: "IAM endpoint", addScheme: true)
        try http.checkCleartext(iam, role: "IAM endpoint")
        let idToken = try readTokenFile(tokenFile, what: "id token file")
        var context = context.knowing(idToken)

        let body = SecureBuffer(capacity: idToken.count + 40)
        body.append("{\"auth\":{\"id_token\":{\"id\":")
        JSONWriter.appendString(idToken.bytes, to: body)
        body.append("}}}")
        let unscoped = try http.send(
            .post, iam.base + "/v3.0/OS-AUTH/id-token/tokens", to: "IAM (id token)",
            headers: [Header("X-Idp-Id", idpID)], body: body,
            wantedHeaders: ["X-Subject-Token"], context: context)
        guard (200..<300).contains(unscoped.status) else {
            throw refused(unscoped, by: "IAM (id token)", redactor: context.redactor)
        }
        guard let token = unscoped.headers.first ?? nil, !token.isEmpty, !unscoped.body.isEmpty else {
            throw HSSError(HSS_E_CREDENTIALS, "IAM gave no token for the id token (no X-Subject-Token)")
        }
        context = context.knowing(token)

        let exchange = SecureBuffer(capacity: token.count + 96)
        exchange.append("{\"auth\":{\"identity\":{\"methods\":[\"token\"],\"token\":{\"id\":")
        JSONWriter.appendString(token.bytes, to: exchange)
        exchange.append(",\"duration_seconds\":21600}}}}")
        let answer = try http.send(
            .post, iam.base + "/v3.0/OS-CREDENTIAL/securitytokens", to: "IAM (security token)", body: exchange,
            context: context)
        guard (200..<300).contains(answer.status) else {
            throw refused(answer, by: "IAM (security token)", redactor: context.redactor)
        }
        var credentials = try TemporaryCredentials.parse(answer.body, source: source)
        credentials.projectID = projectID
        credentials.iamEndpoint = iamEndpoint
        return credentials
    }
}
