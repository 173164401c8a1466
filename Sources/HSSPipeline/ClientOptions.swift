import CCryptoShims
import CHSSAPI
import HSSBase
import HSSIdentity
import HSSSigning
import HSSTransport

/// What a caller may set on a client, before validation. Secrets are
/// SecureBuffers from the start.
package struct ClientOptions {
    package var region: String?
    package var endpoint: String?
    package var projectID: String?
    package var accessKey: SecureBuffer?
    package var secretKey: SecureBuffer?
    package var securityToken: SecureBuffer?
    package var authToken: SecureBuffer?
    package var connectTimeoutMs: Int = 0
    package var timeoutMs: Int = 0
    package var caFile: String?
    package var userAgentSuffix: String?
    package var iamEndpoint: String?
    package var proxy: String?
    package var proxyUsername: String?
    package var proxyPassword: SecureBuffer?
    package var noProxy: String?
    package var allowCleartextProxy = false
    package var trace = Trace()
    /// Build and sign, never send (hss.h, dry_run).
    package var dryRun = false
    package var maxAttempts = 0
    package var retryBaseMs = 0
    package var retryCapMs = 0
    /// hss_signing_algorithm (0: default), or a scheme name from
    /// HUAWEICLOUD_SDK_SIGNING_ALGORITHM.
    package var signingAlgorithm = 0
    package var signingAlgorithmName: String?
    package var derivedKeyService: String?
    /// Where region/endpoint, project id and credentials came from:
    /// "options", or "environment" for what fromEnvironment read.
    package var locationSource = Source.options
    package var projectSource = Source.options
    package var credentialSource = CredentialSource.options

    package init() {}

    /// The official SDKs' variables, then the HSS samples' CLOUD_SDK_AK/SK,
    /// then libhss's own HUAWEICLOUD_SDK_REGION/ENDPOINT/AUTH_TOKEN. An
    /// empty variable counts as unset.
    package static func fromEnvironment() -> ClientOptions {
        var options = ClientOptions()
        options.accessKey = Environment.secret("HUAWEICLOUD_SDK_AK") ?? Environment.secret("CLOUD_SDK_AK")
        options.secretKey = Environment.secret("HUAWEICLOUD_SDK_SK") ?? Environment.secret("CLOUD_SDK_SK")
        options.securityToken = Environment.secret("HUAWEICLOUD_SDK_SECURITY_TOKEN")
        options.projectID = Environment.text("HUAWEICLOUD_SDK_PROJECT_ID")
        options.region = Environment.text("HUAWEICLOUD_SDK_REGION")
        options.endpoint = Environment.text("HUAWEICLOUD_SDK_ENDPOINT")
        if options.accessKey == nil, options.secretKey == nil {
            options.authToken = Environment.secret("HUAWEICLOUD_SDK_AUTH_TOKEN")
        }
        options.signingAlgorithmName = Environment.text("HUAWEICLOUD_SDK_SIGNING_ALGORITHM")
        options.locationSource = Source.environment
        options.projectSource = Source.environment
        options.credentialSource = .environment
        return options
    }

    /// Every field set in `overrides` wins.
    package mutating func apply(_ overrides: ClientOptions) {
        if overrides.region != nil || overrides.endpoint != nil {
            // Where to connect is one choice: a region given in code beats
            // an endpoint from the environment.
            region = overrides.region
            endpoint = overrides.endpoint
            locationSource = overrides.locationSource
        }
        if overrides.projectID != nil {
            projectID = overrides.projectID
            projectSource = overrides.projectSource
        }
        if overrides.accessKey != nil || overrides.secretKey != nil || overrides.authToken != nil {
            // A caller who passes credentials means those, not a mix with the environment's.
            accessKey = overrides.accessKey
            secretKey = overrides.secretKey
            securityToken = overrides.securityToken
            authToken = overrides.authToken
            credentialSource = overrides.credentialSource
        } else {
            securityToken = overrides.securityToken ?? securityToken
        }
        if overrides.connectTimeoutMs != 0 { connectTimeoutMs = overrides.connectTimeoutMs }
        if overrides.timeoutMs != 0 { timeoutMs = overrides.timeoutMs }
        caFile = overrides.caFile ?? caFile
        userAgentSuffix = overrides.userAgentSuffix ?? userAgentSuffix
        iamEndpoint = overrides.iamEndpoint ?? iamEndpoint
        proxy = overrides.proxy ?? proxy
        proxyUsername = overrides.proxyUsername ?? proxyUsername
        proxyPassword = overrides.proxyPassword ?? proxyPassword
        noProxy = overrides.noProxy ?? noProxy
        allowCleartextProxy = overrides.allowCleartextProxy || allowCleartextProxy
        if overrides.trace.isOn { trace = overrides.trace }
        dryRun = overrides.dryRun || dryRun
        if overrides.maxAttempts != 0 { maxAttempts = overrides.maxAttempts }
        if overrides.retryBaseMs != 0 { retryBaseMs = overrides.retryBaseMs }
        if overrides.retryCapMs != 0 { retryCapMs = overrides.retryCapMs }
        if overrides.signingAlgorithm != 0 {
            signingAlgorithm = overrides.signingAlgorithm
            signingAlgorithmName = nil
        }
        derivedKeyService = overrides.derivedKeyService ?? derivedKeyService
    }
}
