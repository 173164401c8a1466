import CHSSAPI
import HSSBase
import HSSSigning
import HSSTransport

/// HC_CONTAINER_CREDENTIALS_FULL_URI + HC_CONTAINER_AUTHORIZATION_TOKEN_FILE
/// (credentials.md §2.5): POST {} with the token file's content as
/// Authorization, 5 s timeouts, never through a proxy.
package final class PodIdentityProvider: CredentialProvider {
    package let source = CredentialSource.podIdentity

    package init() {}

    package func fetch(_ http: IdentityHTTP, _ context: CallContext) throws -> Credentials {
        guard let uri = Environment.text("HC_CONTAINER_CREDENTIALS_FULL_URI"),
            let tokenFile = Environment.text("HC_CONTAINER_AUTHORIZATION_TOKEN_FILE")
        else {
            throw notApplicable(
                "HC_CONTAINER_CREDENTIALS_FULL_URI and HC_CONTAINER_AUTHORIZATION_TOKEN_FILE are not both set")
        }
        let url = try EndpointURL(uri, field: "HC_CONTAINER_CREDENTIALS_FULL_URI", allowPath: true)
        let token = try readTokenFile(tokenFile, what: "HC_CONTAINER_AUTHORIZATION_TOKEN_FILE")
        try Validation.checkHeaderValue(token, field: "the pod identity token", maxBytes: maxTokenFileBytes)
        let context = context.knowing(token)
        let answer = try http.send(
            .post, url.text, to: "pod identity", headers: [Header(name: "Authorization", value: token)],
            body: SecureBuffer("{}"),
            direct: true, limit: Timeouts(connectMs: 5000, totalMs: 10_000), context: context)
        guard (200..<300).contains(answer.status) else {
            throw refused(answer, by: "pod identity", redactor: context.redactor)
        }
        return try TemporaryCredentials.parse(answer.body, source: source)
    }
}
