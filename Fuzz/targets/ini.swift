import HSSBase

// The profile file reader (~/.huaweicloud/credentials). Properties: an
// accepted file is UTF-8; a value read from it holds no line break and no
// leading or trailing space or tab; a key is found whatever its case.

private let sections = ["basic", "basiccredentials", "DEFAULT", " basic ", "x"]
private let keys = ["ak", "sk", "AK", "security_token", "project_id", "iam_endpoint", "idp_id", "id_token_file"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzINI(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzInput(data, size).data
    let parsed = input.withUnsafeBufferPointer { bytes -> INIDocument? in
        do throws(INIError) {
            return try INIDocument(bytes)
        } catch {
            require(error.line >= 1, "an error on line \(error.line)")
            return nil
        }
    }
    guard let document = parsed else { return 0 }
    require(isValidUTF8(input), "a file that is not UTF-8 was accepted")
    for section in sections {
        _ = document.hasSection(section)
        for key in keys {
            guard let value = document.value(section: section, key: key) else { continue }
            let bytes = value.array
            require(!bytes.contains(0x0A) && !bytes.contains(0x0D), "a value holds a line break: \(show(bytes))")
            for edge in [bytes.first, bytes.last] {
                require(edge != 0x20 && edge != 0x09, "a value is not trimmed: \(show(bytes))")
            }
            let upper = document.value(section: section, key: key.uppercased()).map { $0.array }
            require(upper == bytes, "key \(key) depends on its case")
        }
    }
    return 0
}
