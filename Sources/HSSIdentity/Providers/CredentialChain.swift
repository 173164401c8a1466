import CHSSAPI
import HSSBase
import HSSTransport

/// The official order: OIDC, environment, profile, metadata, pod identity.
/// The first provider that gives credentials is kept for every refresh;
/// until one does, each failure is recorded and the next one is tried
/// (the official SDK stops at an unexpected error; this stops only at a
/// request refused because a proxy would read it in clear: a setting to fix).
package final class CredentialChain {
    private let providers: [CredentialProvider]
    package private(set) var chosen: CredentialProvider?

    package init(
        providers: [CredentialProvider] = [
            OIDCProvider(), EnvironmentProvider(), ProfileProvider(), MetadataProvider(), PodIdentityProvider(),
        ]
    ) {
        self.providers = providers
    }

    package func fetch(_ http: IdentityHTTP, _ context: CallContext) throws -> Credentials {
        if let chosen {
            do {
                return try chosen.fetch(http, context)
            } catch var error as HSSError {
                error.message = "renewing credentials from \(chosen.source.rawValue): \(error.message)"
                if error.status != HSS_E_TIMEOUT, !error.isCleartextRefusal { error.status = HSS_E_CREDENTIALS }
                throw error
            }
        }
        var reasons: [String] = []
        for provider in providers {
            do {
                let credentials = try provider.fetch(http, context)
                chosen = provider
                return credentials
            } catch var error as HSSError {
                // A source that is set up but refused for safety is a setting to fix, not a source to skip.
                guard !error.isCleartextRefusal else {
                    error.message = "\(provider.source.rawValue) credentials: \(error.message)"
                    throw error
                }
                reasons.append("\(provider.source.rawValue): \(error.message)")
            }
        }
        let found = reasons.joined(separator: "; ")
        guard context.remainingMs > 0 else {  // the deadline, not the sources, ended the search
            throw HSSError(
                HSS_E_TIMEOUT, "the call's timeout (\(context.timeoutMs) ms) ran out looking for credentials; " + found)
        }
        throw HSSError(HSS_E_CREDENTIALS, "no credentials were given and none were found; " + found)
    }

    /// A warning the chosen provider has for the user (a profile file
    /// others can read), if any.
    package var warning: String? { (chosen as? ProfileProvider)?.warning }
}
