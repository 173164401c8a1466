// Signing alone, in process: libhss's own signer (HSS.Signer), exactly the
// per-call signing work of HSSClient.imageUploadCommand for this API —
// the canonical query from the 4 request parameters, the X-Sdk-Date of the
// current time, the canonical request over 5 headers, SHA-256, HMAC-SHA256
// with the SK, the Authorization value.
//
// Signer is internal to the HSS module (and the shipped library is built
// without -enable-testing), so bench/run.sh compiles this file INTO the HSS
// module: the very same Sources/HSS/**/*.swift, the same compiler and the
// same optimisation flags as SwiftPM's release build of libhss (-O, whole
// module, Swift 5 mode, -parse-as-library, static Swift runtime). See
// bench/README.md. Nothing here is part of the library.
//
//   hss-sign-bench N        prints "signatures=N seconds=S"
//   hss-sign-bench check    prints the Authorization value for the fixed
//                           date 20240101T000000Z (compared by the driver
//                           with the official signer's and the C floor's)
import Glibc

@main
enum SignBench {
    static let projectID = "0123456789abcdef0123456789abcdef"
    static let accessKey = "HPUAEXAMPLEAK0123456"
    static let secretKey = SecureBuffer("ExampleSecretKey0123456789abcdefghijklmn")
    static let host = "hss.cn-north-4.myhuaweicloud.com"
    static let path = "/v5/\(projectID)/image/registries/image-upload-command"
    static let request = ImageUploadCommandRequest(
        registryAddr: SecureBuffer("myharbor.example.com:443"), namespace: SecureBuffer("library"),
        username: SecureBuffer("admin"), password: SecureBuffer("Harbor12345!"))
    // Prepared once per client by HSSClient.init, as here.
    static let signer: Signer = {
        let fixedHeaders = [
            Signer.Header("Content-Type", "application/json"),
            Signer.Header("Host", host),
            Signer.Header("User-Agent", "libhss/1.0.0"),
            Signer.Header("X-Project-Id", projectID),
        ]
        guard let signer = try? Signer(method: "GET", path: path, headers: fixedHeaders,
                                       accessKey: accessKey, secretKey: secretKey) else {
            fputs("cannot prepare the signer\n", stderr)
            exit(1)
        }
        return signer
    }()

    /// What HSSClient.imageUploadCommand does to sign one call.
    @inline(never)
    static func signOnce(date: String) -> String {
        let query = request.canonicalQuery()
        return signer.authorization(query: query, date: date, extra: [Signer.Header("X-Sdk-Date", date)])
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func main() {
        let args = CommandLine.arguments
        if args.count == 2, args[1] == "check" {
            print(signOnce(date: "20240101T000000Z"))
            return
        }
        guard args.count == 2, let n = Int(args[1]), n > 0 else {
            fputs("usage: hss-sign-bench N | check\n", stderr)
            exit(2)
        }
        var sink = 0
        for _ in 0..<max(n / 10, 1) { sink &+= signOnce(date: Signer.sdkDate(time(nil))).utf8.count }
        let start = now()
        for _ in 0..<n { sink &+= signOnce(date: Signer.sdkDate(time(nil))).utf8.count }
        let seconds = now() - start
        print("signatures=\(n) seconds=\(seconds) sink=\(sink)")
    }
}
