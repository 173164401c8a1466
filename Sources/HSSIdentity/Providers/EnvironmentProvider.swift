import CHSSAPI
import HSSBase
import HSSTransport

/// HUAWEICLOUD_SDK_AK/SK (+ SECURITY_TOKEN, PROJECT_ID), or federation
/// through IAM with HUAWEICLOUD_SDK_IDP_ID + HUAWEICLOUD_SDK_ID_TOKEN_FILE.
package final class EnvironmentProvider: CredentialProvider {
    package let source = CredentialSource.environment
    private var federated: FederatedProvider?

    package init() {}

    package func fetch(_ http: IdentityHTTP, _ context: CallContext) throws -> Credentials {
        if let federated { return try federated.fetch(http, context) }
        let projectID = Environment.text("HUAWEICLOUD_SDK_PROJECT_ID")
        if let idp = Environment.text("HUAWEICLOUD_SDK_IDP_ID"),
            let tokenFile = Environment.text("HUAWEICLOUD_SDK_ID_TOKEN_FILE")
        {
            let provider = FederatedProvider(
                idpID: idp, tokenFile: tokenFile, iamEndpoint: nil, projectID: projectID, source: source)
            federated = provider
            return try provider.fetch(http, context)
        }
        guard let ak = Environment.secret("HUAWEICLOUD_SDK_AK"), let sk = Environment.secret("HUAWEICLOUD_SDK_SK")
        else {
            throw notApplicable(
                "HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (or HUAWEICLOUD_SDK_IDP_ID and "
                    + "HUAWEICLOUD_SDK_ID_TOKEN_FILE) are not set")
        }
        var credentials = try Credentials.signed(
            accessKey: ak, secretKey: sk, securityToken: Environment.secret("HUAWEICLOUD_SDK_SECURITY_TOKEN"),
            source: source)
        credentials.projectID = projectID
        return credentials
    }
}
