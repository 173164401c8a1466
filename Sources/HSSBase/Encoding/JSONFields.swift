import CHSSAPI

/// The root object's string members that a reader wants, taken in the same
/// forward pass that checks the whole text (JSONScanner.swift, the rule
/// JSONDocument follows too): each wanted value is unescaped straight into
/// one SecureBuffer the moment it has been checked, and nothing else is
/// allocated. An answer's fields, read without building a document.
package struct JSONFields {
    fileprivate typealias Ranges = InlineArray<8, Range<Int>?>

    /// How many names one read can look for.
    package static var maxNames: Int { Ranges.count }

    /// Whether the root value is an object (else no field is found).
    package fileprivate(set) var isObject = false
    fileprivate var ranges = Ranges(repeating: nil)
    /// Bit k: the value of names[k] holds a NUL.
    fileprivate var nuls: UInt8 = 0

    /// Checks `text` exactly as JSONDocument(text) does, duplicate keys refused, and appends the string
    /// value of each root member named in `names` (at most `maxNames`; keep the list in a `static let`,
    /// so that no array is built per call) to `out`, each followed by a NUL so that C can point into
    /// `out`. `out` grows only if it has less room than the text's length. When this throws, `out` may
    /// hold some of the values (still wiped on release); when `out` could not grow, `out.isValid` is
    /// false and the ranges are meaningless.
    package static func read(
        _ text: UnsafeBufferPointer<UInt8>, names: [StaticString], into out: SecureBuffer, maxDepth: Int = 64
    ) throws(JSONError) -> JSONFields {
        precondition(names.count <= maxNames, "JSONFields.read looks for at most \(maxNames) names")
        var reader = Reader(names: names, out: out)
        reader.fields.isObject = try JSONScanner.scan(
            text, maxDepth: maxDepth, allowDuplicateKeys: false, observer: &reader
        ) { text, root, _ in text[root] == .openBrace }
        return reader.fields
    }

    /// Where the value of names[index] is in `out` (its bytes, without the
    /// NUL that follows them); nil if the root object has no such member or
    /// its value is not a string.
    package subscript(_ index: Int) -> Range<Int>? { ranges[index] }

    /// Whether the value of names[index] holds a NUL (a \u0000 escape):
    /// read as a C string it would end there.
    package func holdsNUL(_ index: Int) -> Bool { nuls & 1 << index != 0 }
}

/// Takes the wanted values as the scanner meets them.
private struct Reader: JSONScanObserver {
    let names: [StaticString]
    let out: SecureBuffer
    var fields = JSONFields()

    mutating func rootString(_ key: JSONText.Member, end: Int, escaped: Bool, in text: JSONText) {
        for k in names.indices where names[k].withUTF8Buffer({ text.keyEquals(key, $0) }) {
            let start = out.count
            text.appendString(from: key.value + 1, to: end, escaped: escaped, to: out)
            fields.ranges[k] = start..<out.count
            // Only a \u0000 escape makes a NUL: the scanner refuses raw control characters.
            if escaped, out.isValid, memchr(out.bytes.baseAddress! + start, 0, out.count - start) != nil {
                fields.nuls |= 1 << k
            }
            out.append(0)
            return
        }
    }
}
