import CHSSAPI
import HSSBase

/// The answer every temporary-credential source gives, read as the official
/// SDKs' common parser reads it (credentials.md §3.4): the object under
/// "credential", else "credentials", else the top level; each field under
/// any of its spellings; an expiry in UTC.
package enum TemporaryCredentials {
    package static func parse(_ body: SecureBuffer, source: CredentialSource) throws -> Credentials {
        guard let document = try? JSONDocument(body.bytes, allowDuplicateKeys: false), document.rootKind == .object
        else { throw HSSError(HSS_E_CREDENTIALS, "the answer is not a JSON object") }
        let root: [String] =
            document.kind(at: ["credential"]) == .object
            ? ["credential"] : document.kind(at: ["credentials"]) == .object ? ["credentials"] : []
        func field(_ names: String...) -> SecureBuffer? {
            for name in names {
                if let value = document.string(at: root + [name]), !value.isEmpty { return value }
            }
            return nil
        }
        guard let ak = field("access", "accessKeyId", "access_key_id") else {
            throw HSSError(HSS_E_CREDENTIALS, "the answer has no access key")
        }
        guard let sk = field("secret", "secretAccessKey", "secret_access_key") else {
            throw HSSError(HSS_E_CREDENTIALS, "the answer has no secret key")
        }
        let token = field("securitytoken", "securityToken", "security_token")
        guard let expiry = field("expires_at", "expiration") else {
            throw HSSError(HSS_E_CREDENTIALS, "the answer has no expiry (expires_at or expiration)")
        }
        guard let expiresAt = parseTime(expiry.bytes) else {
            throw HSSError(HSS_E_CREDENTIALS, "the answer's expiry is not a UTC time such as 2026-01-02T03:04:05Z")
        }
        do {
            return try Credentials.signed(
                accessKey: ak, secretKey: sk, securityToken: token, source: source, expiresAt: expiresAt)
        } catch let error as HSSError {
            throw HSSError(HSS_E_CREDENTIALS, "the answer's keys are unusable: \(error.message)")
        }
    }

    /// "YYYY-MM-DDTHH:MM:SS", an optional fraction of 1-9 digits, then "Z"
    /// or "+HH:MM"/"-HH:MM", as seconds since the epoch. The official SDK
    /// requires a fraction and "Z", and reads the time as local time.
    package static func parseTime(_ text: UnsafeBufferPointer<UInt8>) -> Int? {
        let b = Array(text)
        func digits(_ at: Int, _ count: Int) -> Int? {
            guard at + count <= b.count else { return nil }
            var value = 0
            for byte in b[at..<(at + count)] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        func byte(_ at: Int, _ expected: Character) -> Bool { at < b.count && b[at] == expected.asciiValue }
        guard let year = digits(0, 4), byte(4, "-"), let month = digits(5, 2), byte(7, "-"),
            let day = digits(8, 2), byte(10, "T") || byte(10, "t") || byte(10, " "),
            let hour = digits(11, 2), byte(13, ":"), let minute = digits(14, 2), byte(16, ":"),
            let second = digits(17, 2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var at = 19
        if byte(at, ".") {
            at += 1
            let start = at
            while at < b.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[at]) { at += 1 }
            guard (1...9).contains(at - start) else { return nil }
        }
        var offset = 0
        if byte(at, "Z") || byte(at, "z") {
            at += 1
        } else if byte(at, "+") || byte(at, "-"), let hh = digits(at + 1, 2), byte(at + 3, ":"),
            let mm = digits(at + 4, 2), hh < 24, mm < 60
        {
            offset = (hh * 3600 + mm * 60) * (byte(at, "-") ? -1 : 1)
            at += 6
        } else {
            return nil
        }
        guard at == b.count else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        return Int(timegm(&parts)) - offset
    }
}
