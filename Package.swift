// swift-tools-version:5.9
// libhss: Swift inside, C outside. The product `hss` is the shared library
// behind include/hss.h; the Makefile adds the link flags that make it a
// self-contained libhss.so.1 (static Swift runtime, SONAME, hss_* exports).
//
// The targets are the layers (docs/architecture.md), each depending only on
// those below it, so the compiler enforces the direction:
//   HSSBase        secrets, encodings (percent, strict JSON), errors
//   HSSSigning     SDK-HMAC-SHA256          HSSTransport   libcurl
//   HSSPipeline    configuration, the request description, the one send path
//   HSSOperations  one file per API operation
//   HSSBoundary    the C exports, checked against the header (@c @implementation)
// All are linked into the one libhss.so.1; only hss_* is exported.
import PackageDescription

let package = Package(
    name: "libhss",
    products: [
        .library(name: "hss", type: .dynamic, targets: ["HSSBoundary"])
    ],
    targets: [
        // The public header for Swift, plus the few C shims Swift cannot
        // express (libcurl's variadic setopt/getinfo, open(2)).
        .target(name: "CHSS", linkerSettings: [.linkedLibrary("curl"), .linkedLibrary("crypto")]),
        .target(name: "HSSBase", dependencies: ["CHSS"]),
        .target(name: "HSSSigning", dependencies: ["HSSBase"]),
        .target(name: "HSSTransport", dependencies: ["HSSBase"]),
        .target(name: "HSSPipeline", dependencies: ["HSSSigning", "HSSTransport"]),
        .target(name: "HSSOperations", dependencies: ["HSSPipeline"]),
        .target(name: "HSSBoundary", dependencies: ["HSSOperations"], exclude: ["libhss.map"]),
        // make bench's in-process signing benchmark (not part of the library).
        .executableTarget(name: "hss-sign-bench", dependencies: ["HSSOperations"], path: "bench/sign"),
        .testTarget(
            name: "HSSTests", dependencies: ["HSSBase", "HSSSigning", "HSSTransport", "HSSPipeline", "HSSOperations"]),
    ]
)
