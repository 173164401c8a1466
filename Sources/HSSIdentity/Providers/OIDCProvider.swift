import CHSSAPI
import HSSBase
import HSSTransport

/// HUAWEICLOUD_OIDC_*: an id token exchanged at STS (assume-with-oidc) for
/// an agency's temporary credentials (credentials.md §2.1). Unsigned.
package final class OIDCProvider: CredentialProvider {
    package let source = CredentialSource.oidc

    package init() {}

    package func fetch(_ http: IdentityHTTP, _ context: CallContext) throws -> Credentials {
        let names = [
            "HUAWEICLOUD_OIDC_PROVIDER_URN", "HUAWEICLOUD_OIDC_AGENCY_URN", "HUAWEICLOUD_OIDC_ID_TOKEN",
            "HUAWEICLOUD_OIDC_TOKEN_FILE",
        ]
        guard names.contains(where: { Environment.text($0) != nil }) else {
            throw notApplicable("HUAWEICLOUD_OIDC_PROVIDER_URN is not set")
        }
        guard let providerURN = Environment.text("HUAWEICLOUD_OIDC_PROVIDER_URN") else {
            throw HSSError(HSS_E_CREDENTIALS, "HUAWEICLOUD_OIDC_PROVIDER_URN is not set")
        }
        guard let agencyURN = Environment.text("HUAWEICLOUD_OIDC_AGENCY_URN") else {
            throw HSSError(HSS_E_CREDENTIALS, "HUAWEICLOUD_OIDC_AGENCY_URN is not set")
        }
        let idToken: SecureBuffer
        if let inline = Environment.secret("HUAWEICLOUD_OIDC_ID_TOKEN") {
            idToken = inline.trimmed()
        } else if let file = Environment.text("HUAWEICLOUD_OIDC_TOKEN_FILE") {
            idToken = try readTokenFile(file, what: "HUAWEICLOUD_OIDC_TOKEN_FILE")
        } else {
            throw HSSError(HSS_E_CREDENTIALS, "HUAWEICLOUD_OIDC_ID_TOKEN or HUAWEICLOUD_OIDC_TOKEN_FILE is required")
        }
        var duration = 3600
        if let text = Environment.text("HUAWEICLOUD_OIDC_DURATION_SECONDS") {
            guard let value = Int(text), value > 0 else {
                throw HSSError(HSS_E_CREDENTIALS, "HUAWEICLOUD_OIDC_DURATION_SECONDS must be a positive integer")
            }
            duration = value
        }
        let sts = try EndpointURL(
            Environment.text("HUAWEICLOUD_SDK_STS_ENDPOINT") ?? "https://sts.cn-north-4.myhuaweicloud.com",
            field: "HUAWEICLOUD_SDK_STS_ENDPOINT", addScheme: true)
        try http.checkCleartext(sts, role: "STS endpoint")
        let context = context.knowing(idToken)

        let body = SecureBuffer(capacity: idToken.count + 256)
        body.append("{\"provider_urn\":")
        JSONWriter.appendString(providerURN, to: body)
        body.append(",\"agency_urn\":")
        JSONWriter.appendString(agencyURN, to: body)
        body.append(",\"agency_session_name\":")
        JSONWriter.appendString(Environment.text("HUAWEICLOUD_OIDC_SESSION_NAME") ?? "oidc-sts-session", to: body)
        body.append(",\"id_token\":")
        JSONWriter.appendString(idToken.bytes, to: body)
        body.append(",\"duration_seconds\":\(duration)")
        if let policy = Environment.text("HUAWEICLOUD_OIDC_POLICY") {
            body.append(",\"policy\":")
            JSONWriter.appendString(policy, to: body)
        }
        if let ids = Environment.text("HUAWEICLOUD_OIDC_POLICY_IDS") {
            let list = ids.split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
            body.append(",\"policy_ids\":[")
            for (index, id) in list.enumerated() {
                if index > 0 { body.append(",") }
                JSONWriter.appendString(id, to: body)
            }
            body.append("]")
        }
        body.append("}")
        let answer = try http.send(
            .post, sts.base + "/v5/agencies/assume-with-oidc", to: "STS", body: body, context: context)
        guard (200..<300).contains(answer.status) else { throw refused(answer, by: "STS", redactor: context.redactor) }
        var credentials = try TemporaryCredentials.parse(answer.body, source: source)
        credentials.projectID = Environment.text("HUAWEICLOUD_SDK_PROJECT_ID")
        return credentials
    }
}
