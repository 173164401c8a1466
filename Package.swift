// swift-tools-version:5.9
// libhss: Swift inside, C outside. The product `hss` is the shared library
// behind include/hss.h; the Makefile adds the link flags that make it a
// self-contained libhss.so.1 (static Swift runtime, SONAME, hss_* exports).
import PackageDescription

let package = Package(
    name: "libhss",
    products: [
        .library(name: "hss", type: .dynamic, targets: ["HSS"]),
    ],
    targets: [
        // The public header plus the few C shims Swift cannot express
        // (libcurl's variadic setopt/getinfo).
        .target(
            name: "CHSS",
            linkerSettings: [.linkedLibrary("curl"), .linkedLibrary("crypto")]
        ),
        // One Swift module, so that everything but the C boundary stays
        // internal (hidden) in the shared library. Its folders show the
        // layers: Secrets, Signing, Model, Transport, Client, Boundary.
        .target(name: "HSS", dependencies: ["CHSS"], exclude: ["libhss.map"]),
        .testTarget(name: "HSSTests", dependencies: ["HSS", "CHSS"]),
    ]
)
