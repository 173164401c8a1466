// Signing alone, in process: libhss's own signer, exactly the per-call
// signing work of HSSClient.send for ShowImageUploadCommand
// (PreparedEndpoint.write) — the request description, the canonical query
// from its 4 parameters written into the call's buffer, the X-Sdk-Date of the
// current time, the canonical request from the template prepared once per
// client (5 headers), SHA-256, HMAC-SHA256 with the SK, and the
// "Authorization: ..." line, in a wiped buffer reused call after call. Keep
// signOnce in step with PreparedEndpoint.write.
//
// An executable target of the package (Package.swift), so it uses the
// library's own modules through their package-level API, built by SwiftPM
// with the same release settings as libhss. Nothing here is in the library.
//
//   hss-sign-bench N        prints "signatures=N seconds=S"
//   hss-sign-bench check    prints the Authorization value for the fixed
//                           date 20240101T000000Z (compared by the driver
//                           with the official signer's and the C floor's)
//   hss-sign-bench N ALG    the same with another algorithm (SDK-HMAC-SM3,
//                           SDK-ECDSA-P256-SHA256, SDK-SM2-SM3, V11-HMAC-SHA256
//                           with region cn-north-4 and service hss), or every
//                           one with ALG "all": one line per algorithm,
//                           "algorithm=ALG signatures=N seconds=S ns_per_signature=T"
//   hss-sign-bench check ALG   its Authorization value, or each one's with
//                           "all" (ECDSA and SM2 signatures are random)
import Glibc
import HSSBase
import HSSOperations
import HSSPipeline
import HSSSigning

@main
enum SignBench {
    static let projectID = "0123456789abcdef0123456789abcdef"
    static let accessKey = "HPUAEXAMPLEAK0123456"
    static let secretKey = SecureBuffer("ExampleSecretKey0123456789abcdefghijklmn")
    static let host = "hss.cn-north-4.myhuaweicloud.com"
    static let path = "/v5/\(projectID)/image/registries/image-upload-command"
    static let operation = ShowImageUploadCommand(
        registryAddr: SecureBuffer("myharbor.example.com:443"), namespace: SecureBuffer("library"),
        username: SecureBuffer("admin"), password: SecureBuffer("Harbor12345!"))
    // Prepared once per client by HSSClient.init, as here.
    static let fixedHeaders = CanonicalHeaders([
        Header("Content-Type", "application/json"),
        Header("Host", host),
        Header("User-Agent", "libhss/1.2.0"),
        Header("X-Project-Id", projectID),
    ])
    static let signer = makeSigner(.hmacSHA256)
    /// The call's buffer (a connection's arena), reused.
    static let arena = SecureBuffer(capacity: 4096)

    static func makeSigner(_ algorithm: SigningAlgorithm) -> Signer {
        let derivation = KeyDerivation(region: "cn-north-4", service: "hss")
        guard
            let signer = try? Signer(
                accessKey: accessKey, secretKey: secretKey, algorithm: algorithm, derivation: derivation)
        else {
            fputs("cannot prepare the \(algorithm.rawValue) signer\n", stderr)
            exit(1)
        }
        return signer
    }

    static let prefix = "Authorization: "

    /// What a call does to sign: the "Authorization: ..." line (its length).
    @inline(never)
    /// `date` nil: the current time, written into the buffer as the client writes it.
    static func signOnce(date: String?, with signer: Signer = signer, template: SigningTemplate) -> Int {
        let request = operation.request()
        arena.truncate(to: 0)
        arena.reserveCapacity(forAppending: 2048)
        withUnsafeTemporaryAllocation(of: Signer.QueryView.self, capacity: request.query.count) { views in
            for (i, parameter) in request.query.enumerated() {
                (views.baseAddress! + i).initialize(
                    to: .init(
                        name: UnsafeBufferPointer(
                            start: parameter.name.utf8Start, count: parameter.name.utf8CodeUnitCount),
                        value: parameter.value.buffer))
            }
            Signer.appendCanonicalQuery(views, to: arena)
            views.baseAddress!.deinitialize(count: request.query.count)
        }
        let queryEnd = arena.count
        let dateStart = arena.count
        if var date {
            date.withUTF8 { arena.append($0) }
        } else {
            arena.append(maxCount: 16) {
                Signer.writeSDKDate(time(nil), to: $0)
                return 16
            }
        }
        let lineStart = arena.count
        arena.append(prefix)
        signer.appendAuthorization(
            to: arena, template: template, query: UnsafeBufferPointer(rebasing: arena.bytes[0..<queryEnd]),
            date: UnsafeBufferPointer(rebasing: arena.bytes[dateStart..<dateStart + 16]))
        return arena.count - lineStart
    }

    static func template(for signer: Signer) -> SigningTemplate {
        signer.template(method: "GET", canonicalURI: Signer.canonicalURI(path: path), headers: fixedHeaders)
    }

    /// The Authorization value signOnce wrote last.
    static func lastAuthorization() -> String {
        let text = arena.string()
        guard let at = text.utf8.firstRange(of: prefix.utf8) else { return "" }
        return String(text[at.upperBound...])
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Warms up with n/10 signatures, then times n: (seconds, sink).
    static func timed(_ n: Int, with signer: Signer) -> (Double, Int) {
        var sink = 0
        let template = template(for: signer)
        for _ in 0..<max(n / 10, 1) { sink &+= signOnce(date: nil, with: signer, template: template) }
        let start = now()
        for _ in 0..<n { sink &+= signOnce(date: nil, with: signer, template: template) }
        return (now() - start, sink)
    }

    static func main() {
        let args = Array(CommandLine.arguments.dropFirst())
        // The algorithms named by the second argument: none without one, nil for an unknown name.
        let algorithms: [SigningAlgorithm]? =
            switch args.count == 2 ? args[1] : nil {
            case nil: []
            case "all": SigningAlgorithm.allCases
            case let name?: SigningAlgorithm(rawValue: name).map { [$0] }
            }
        guard (1...2).contains(args.count), let algorithms, args[0] == "check" || (Int(args[0]) ?? 0) > 0 else {
            fputs("usage: hss-sign-bench N [ALGORITHM | all] | check [ALGORITHM | all]\n", stderr)
            exit(2)
        }
        if args[0] == "check" {
            for signer in algorithms.isEmpty ? [signer] : algorithms.map(makeSigner) {
                _ = signOnce(date: "20240101T000000Z", with: signer, template: template(for: signer))
                print(lastAuthorization())
            }
            return
        }
        let n = Int(args[0])!
        if algorithms.isEmpty {
            let (seconds, sink) = timed(n, with: signer)
            print("signatures=\(n) seconds=\(seconds) sink=\(sink)")
        }
        for algorithm in algorithms {
            let (seconds, sink) = timed(n, with: makeSigner(algorithm))
            print(
                "algorithm=\(algorithm.rawValue) signatures=\(n) seconds=\(seconds)"
                    + " ns_per_signature=\(Int((seconds * 1e9 / Double(n)).rounded())) sink=\(sink)")
        }
    }
}
