// Signing alone, in process: libhss's own signer, exactly the per-call
// signing work of HSSClient.send for ShowImageUploadCommand — the request
// description, the canonical query from its 4 parameters, the X-Sdk-Date of
// the current time, the canonical URI, the canonical request over 5 headers,
// SHA-256, HMAC-SHA256 with the SK, and the "Authorization: ..." header line
// in a wiped buffer. Keep signOnce in step with HSSClient.send.
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

    /// What HSSClient.send does to sign one call: the "Authorization: ..." line.
    @inline(never)
    static func signOnce(date: String, with signer: Signer = signer) -> SecureBuffer {
        let request = operation.request()
        let query = Signer.canonicalQuery(request.query.map { ($0.name, $0.value) })
        let dateHeader = Header("X-Sdk-Date", date)
        let authorization = SecureBuffer(capacity: 192)
        authorization.append(prefix)
        signer.appendAuthorization(
            to: authorization, method: request.method.rawValue, canonicalURI: Signer.canonicalURI(path: path),
            query: query, headers: fixedHeaders.merging(request.headers + [dateHeader]), date: date)
        return authorization
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Warms up with n/10 signatures, then times n: (seconds, sink).
    static func timed(_ n: Int, with signer: Signer) -> (Double, Int) {
        var sink = 0
        for _ in 0..<max(n / 10, 1) { sink &+= signOnce(date: Signer.sdkDate(time(nil)), with: signer).count }
        let start = now()
        for _ in 0..<n { sink &+= signOnce(date: Signer.sdkDate(time(nil)), with: signer).count }
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
                print(String(signOnce(date: "20240101T000000Z", with: signer).string().dropFirst(prefix.count)))
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
