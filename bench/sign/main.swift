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
        Header("User-Agent", "libhss/1.0.0"),
        Header("X-Project-Id", projectID),
    ])
    static let signer: Signer = {
        guard let signer = try? Signer(accessKey: accessKey, secretKey: secretKey) else {
            fputs("cannot prepare the signer\n", stderr)
            exit(1)
        }
        return signer
    }()

    static let prefix = "Authorization: "

    /// What HSSClient.send does to sign one call: the "Authorization: ..." line.
    @inline(never)
    static func signOnce(date: String) -> SecureBuffer {
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

    static func main() {
        let args = CommandLine.arguments
        if args.count == 2, args[1] == "check" {
            print(String(signOnce(date: "20240101T000000Z").string().dropFirst(prefix.count)))
            return
        }
        guard args.count == 2, let n = Int(args[1]), n > 0 else {
            fputs("usage: hss-sign-bench N | check\n", stderr)
            exit(2)
        }
        var sink = 0
        for _ in 0..<max(n / 10, 1) { sink &+= signOnce(date: Signer.sdkDate(time(nil))).count }
        let start = now()
        for _ in 0..<n { sink &+= signOnce(date: Signer.sdkDate(time(nil))).count }
        let seconds = now() - start
        print("signatures=\(n) seconds=\(seconds) sink=\(sink)")
    }
}
