// swift-tools-version:6.3
// Swift 6.3 or later: the C exports use @c @implementation (SE-0495); the
// sources are in the Swift 5 language mode.
// libhss: Swift inside, C outside. The product `hss` is the shared library
// behind include/hss.h; the Makefile adds the link flags that make it a
// self-contained libhss.so.1 (static Swift runtime, SONAME, hss_* exports).
//
// The targets are the layers (docs/architecture.md), each depending only on
// those below it, so the compiler enforces the direction:
//   HSSBase        secrets, encodings (percent, strict JSON, INI), errors, files
//   HSSSigning     the five signing schemes
//   HSSTransport   libcurl, the retry loop, URLs, error bodies
//   HSSIdentity    credential providers and chain, IAM project discovery
//   HSSPipeline    configuration, endpoints, the request description, the one send path
//   HSSOperations  one file per API operation
//   HSSBoundary    the C exports, checked against the header (@c @implementation)
// All are linked into the one libhss.so.1; only hss_* is exported.
import PackageDescription

// Release builds keep Swift's run-time exclusivity checks by default; on the
// per-call path they cost about a tenth of a call (make bench's profile).
// The library's mutable state is confined (SecureBuffer is never shared
// while written, the handle pool is behind a Mutex), so they are off.
// Debug builds (`swift test`) keep them, so a violation still traps there.
let library: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "libhss",
    products: [
        .library(name: "hss", type: .dynamic, targets: ["HSSBoundary"])
    ],
    targets: [
        // C, one shim target per C library (as swift-crypto does), so that only
        // the layers that need a library see it:
        //   CHSSAPI       include/hss.h and the libc the Swift side calls
        //   CCryptoShims  libcrypto: wiping, SHA-256/SM3, HMAC, HKDF, EC keys
        //   CCurlShims    libcurl's variadic calls (HSSTransport only)
        //   CYAMLShims    libyaml, loaded on demand (chss_yaml_load), so that
        //                 libhss.so.1 links only libc, libm, libgcc_s, libcurl and libcrypto
        // and CRuntimeTrims: three functions the Swift runtime calls and libhss never
        // needs, replaced so that the release link leaves out their cost (trims.c).
        .target(name: "CHSSAPI"),
        .target(name: "CRuntimeTrims"),
        .target(name: "CCryptoShims", linkerSettings: [.linkedLibrary("crypto")]),
        .target(name: "CCurlShims", linkerSettings: [.linkedLibrary("curl")]),
        .target(name: "CYAMLShims"),
        .target(name: "HSSBase", dependencies: ["CHSSAPI", "CCryptoShims"], swiftSettings: library),
        .target(name: "HSSSigning", dependencies: ["HSSBase"], swiftSettings: library),
        .target(name: "HSSTransport", dependencies: ["HSSBase", "CCurlShims"], swiftSettings: library),
        .target(name: "HSSIdentity", dependencies: ["HSSSigning", "HSSTransport"], swiftSettings: library),
        .target(name: "HSSPipeline", dependencies: ["HSSIdentity", "CYAMLShims"], swiftSettings: library),
        .target(name: "HSSOperations", dependencies: ["HSSPipeline"], swiftSettings: library),
        .target(
            name: "HSSBoundary", dependencies: ["HSSOperations", "CRuntimeTrims"], exclude: ["libhss.map"],
            swiftSettings: library),
        // make bench's in-process signing benchmark (not part of the library).
        .executableTarget(name: "hss-sign-bench", dependencies: ["HSSOperations"], path: "bench/sign"),
        // EC verification with public keys, for the tests and fuzz targets only.
        .target(name: "CCryptoTestShims", path: "Tests/CCryptoTestShims", linkerSettings: [.linkedLibrary("crypto")]),
        .testTarget(
            name: "HSSTests",
            dependencies: [
                "HSSBase", "HSSSigning", "HSSTransport", "HSSIdentity", "HSSPipeline", "HSSOperations",
                "CCryptoTestShims",
            ]),
    ],
    swiftLanguageModes: [.v5]
)
