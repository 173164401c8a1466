import Glibc
import HSSPipeline

// The regions file reader (libyaml's event parser, loaded on demand). The
// input is written to a file, as the reader only reads files. Properties: no
// crash, no hang; every endpoint returned is trimmed.
//
// Input: a byte choosing the region asked for, then the file.

private let regions = ["xx-custom-1", "cn-north-4", "a"]
private var directory = ""
private var path = ""

@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    isolateEnvironment()
    let temporary = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    var template = Array("\(temporary)/hss-fuzz-regions-XXXXXX".utf8CString)
    guard let made = mkdtemp(&template) else { return 1 }
    directory = String(cString: made)
    path = directory + "/regions.yaml"
    atexit {
        unlink(path)
        rmdir(directory)
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRegions(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let region = regions[Int(input.byte()) % regions.count]
    let file = input.rest()
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    require(fd >= 0, "cannot write \(path)")
    require(file.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == file.count, "short write")
    close(fd)
    guard let endpoints = try? RegionsFile.endpoints(service: "HSS", region: region, path: path) else { return 0 }
    for endpoint in endpoints {
        // An empty one ('' in the list) is refused later, by EndpointURL, naming the file.
        let trimmed = endpoint.first?.isWhitespace != true && endpoint.last?.isWhitespace != true
        require(trimmed, "endpoint \(show(Array(endpoint.utf8))) is not trimmed")
    }
    return 0
}
