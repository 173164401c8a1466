import HSSBase
import HSSSigning

// Percent-encoding, the canonical query and the canonical URI (what is signed
// and sent). Properties: only unreserved bytes (A-Z a-z 0-9 - _ . ~) stay as
// they are, everything else is %XY in upper-case hex; decoding gives back the
// input; the query's pairs come back in (name, value) byte order; the URI
// decodes to the path's decoded form, ending with "/".
//
// Input: the bytes to encode; they are also split at NULs into alternating
// parameter names and values, and read (as UTF-8, lossily) as a path.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPercent(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let bytes = input.data

    let encoded = SecureBuffer()
    bytes.withUnsafeBufferPointer { PercentEncoding.append($0, to: encoded) }
    let out = encoded.array
    requireCanonical(out, allowing: [])
    require(PercentEncoding.decode(out) == bytes, "decoding \(show(out)) does not give back \(show(bytes))")
    require(out.count == bytes.reduce(0) { $0 + (PercentEncoding.isUnreserved($1) ? 1 : 3) }, "wrong length")

    // The canonical query of name/value pairs.
    var parameters: [(name: String, value: SecureBuffer)] = []
    while !input.isAtEnd && parameters.count < 16 {
        let name = input.field()
        parameters.append((String(decoding: name, as: UTF8.self), input.field().secure))
    }
    let query = Signer.canonicalQuery(parameters).array
    requireCanonical(query, allowing: [UInt8(ascii: "&"), UInt8(ascii: "=")])
    let pairs = query.isEmpty ? [] : query.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: false)
    require(pairs.count == parameters.count, "\(parameters.count) parameters, \(pairs.count) pairs: \(show(query))")
    var previous: ([UInt8], [UInt8])?
    var decoded: [([UInt8], [UInt8])] = []
    for pair in pairs {
        let parts = pair.split(separator: UInt8(ascii: "="), omittingEmptySubsequences: false)
        require(parts.count == 2, "a pair is not name=value: \(show(Array(pair)))")
        let current = (PercentEncoding.decode(Array(parts[0])), PercentEncoding.decode(Array(parts[1])))
        if let previous {
            require(
                !(current.0.lexicographicallyPrecedes(previous.0)
                    || (current.0 == previous.0 && current.1.lexicographicallyPrecedes(previous.1))),
                "the query is not in (name, value) order: \(show(query))")
        }
        previous = current
        decoded.append(current)
    }
    let given = parameters.map { (Array($0.name.utf8), $0.value.array) }
    let sortedGiven = given.sorted {
        $0.0 == $1.0 ? $0.1.lexicographicallyPrecedes($1.1) : $0.0.lexicographicallyPrecedes($1.0)
    }
    require(decoded.elementsEqual(sortedGiven, by: { $0 == $1 }), "the query does not decode to its parameters")

    // The canonical URI of a path.
    let path = String(decoding: bytes, as: UTF8.self)
    let uri = Array(Signer.canonicalURI(path: path).utf8)
    requireCanonical(uri, allowing: [UInt8(ascii: "/")])
    require(uri.last == UInt8(ascii: "/"), "the canonical URI does not end with /: \(show(uri))")
    var expected = PercentEncoding.decode(Array(path.utf8))
    if expected.last != UInt8(ascii: "/") { expected.append(UInt8(ascii: "/")) }
    require(PercentEncoding.decode(uri) == expected, "the canonical URI \(show(uri)) does not decode to the path's")
    return 0
}

/// Every byte unreserved, one of `allowing`, or the start of %XY (upper-case hex).
private func requireCanonical(_ text: [UInt8], allowing: [UInt8]) {
    var i = 0
    while i < text.count {
        let b = text[i]
        if b == UInt8(ascii: "%") {
            let upperHex = { (c: UInt8) in (0x30...0x39).contains(c) || (0x41...0x46).contains(c) }
            require(
                i + 2 < text.count && upperHex(text[i + 1]) && upperHex(text[i + 2]), "a bad escape in \(show(text))")
            i += 3
        } else {
            require(
                PercentEncoding.isUnreserved(b) || allowing.contains(b), "byte \(b) left unescaped in \(show(text))")
            i += 1
        }
    }
}
