import CHSSAPI

/// The root object's string members that a reader wants, taken in the same
/// forward pass that checks the whole text (JSONScanner.swift, the rule
/// JSONDocument follows too): the pass notes where each wanted value is, and
/// once the whole text is accepted, each is unescaped straight into one
/// SecureBuffer; nothing else is allocated. An answer's fields, read without
/// building a document.
package struct JSONFields {
    fileprivate typealias Offsets = InlineArray<8, Int>

    /// How many names one read can look for.
    package static var maxNames: Int { Offsets.count }

    /// Whether the root value is an object (else no field is found).
    package fileprivate(set) var isObject = false
    /// Bit k: names[k] was found; then its value is out.bytes[starts[k]..<ends[k]]
    /// (while scanning, its body is text[starts[k]..<ends[k]]). Offsets and a
    /// bit rather than optional ranges: a third smaller to copy.
    fileprivate var found: UInt8 = 0
    fileprivate var starts = Offsets(repeating: 0)
    fileprivate var ends = Offsets(repeating: 0)
    /// Bit k: the value of names[k] holds a NUL (while scanning: an escape).
    fileprivate var nuls: UInt8 = 0

    /// Checks `text` exactly as JSONDocument(text) does, duplicate keys refused, and appends the string
    /// value of each root member named in `names` (at most `maxNames`; keep the list in a `static let`,
    /// so that no array is built per call) to `out`, each followed by a NUL so that C can point into
    /// `out`. `out` grows only if it has less room than the text's length. When this throws, `out` is
    /// unchanged; when `out` could not grow, `out.isValid` is false and the ranges are meaningless.
    package static func read(
        _ text: UnsafeBufferPointer<UInt8>, names: [StaticString], into out: SecureBuffer, maxDepth: Int = 64
    ) throws(JSONError) -> JSONFields {
        precondition(names.count <= maxNames, "JSONFields.read looks for at most \(maxNames) names")
        return try names.withUnsafeBufferPointer { (names) throws(JSONError) -> JSONFields in
            var reader = Reader(names: names)
            let (accepted, isObject) = try JSONScanner.scan(
                text, maxDepth: maxDepth, allowDuplicateKeys: false, observer: &reader
            ) { text, root, _ in (text, text[root] == .openBrace) }
            reader.fields.isObject = isObject
            reader.fields.copyValues(of: accepted, into: out)
            return reader.fields
        }
    }

    /// Where the value of names[index] is in `out` (its bytes, without the
    /// NUL that follows them); nil if the root object has no such member or
    /// its value is not a string.
    package subscript(_ index: Int) -> Range<Int>? {
        found & 1 << index != 0 ? starts[index]..<ends[index] : nil
    }

    /// Whether each of the first `count` names was found, none with a NUL.
    package func allFound(_ count: Int) -> Bool { found == UInt8(truncatingIfNeeded: 1 << count - 1) && nuls == 0 }

    /// Whether the value of names[index] holds a NUL (a \u0000 escape):
    /// read as a C string it would end there.
    package func holdsNUL(_ index: Int) -> Bool { nuls & 1 << index != 0 }

    /// Moves each found value from `text` (accepted) into `out`, unescaped
    /// and followed by a NUL, and points starts and ends there. One capacity
    /// check for all: each value is shorter than its quotes and body.
    private mutating func copyValues(of text: JSONText, into out: SecureBuffer) {
        let escaped = nuls
        nuls = 0
        var room = 0
        var left = found
        while left != 0 {
            let k = left.trailingZeroBitCount
            left &= left &- 1
            room &+= ends[k] &- starts[k] &+ 1
        }
        let base = out.count
        out.append(maxCount: room) { to in
            var o = 0
            var left = found
            while left != 0 {
                let k = left.trailingZeroBitCount
                left &= left &- 1
                let length = ends[k] &- starts[k]
                let start = o
                if escaped & 1 << k == 0 {
                    (to + o).update(from: text.p + starts[k], count: length)
                    o &+= length
                } else {
                    o &+= text.unescape(from: starts[k], to: ends[k], into: to + o)
                    // Only a \u0000 escape makes a NUL: the scanner refuses raw control characters.
                    if memchr(to + start, 0, o &- start) != nil { nuls |= 1 << k }
                }
                starts[k] = base &+ start
                ends[k] = base &+ o
                to[o] = 0
                o &+= 1
            }
            return o
        }
    }
}

/// Notes where the wanted values are as the scanner meets them.
private struct Reader: JSONScanObserver {
    let names: UnsafeBufferPointer<StaticString>
    var fields = JSONFields()
    /// Where the search for the next member's name starts: after the last one
    /// found, as an answer tends to list its members in the order asked for.
    var next = 0

    @inline(__always)
    mutating func rootString(_ key: JSONText.Member, end: Int, escaped: Bool, in text: JSONText) {
        var k = next
        for _ in 0..<names.count {
            if names[k].withUTF8Buffer({ text.keyEquals(key, $0) }) {
                // A name found twice makes the scan throw: no need to clear a bit.
                fields.starts[k] = key.value &+ 1
                fields.ends[k] = end
                fields.found |= 1 << k
                if escaped { fields.nuls |= 1 << k }
                next = k &+ 1 == names.count ? 0 : k &+ 1
                return
            }
            k = k &+ 1 == names.count ? 0 : k &+ 1
        }
    }
}
