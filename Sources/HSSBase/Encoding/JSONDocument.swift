/// A JSON text checked by the strict scanner (JSONScanner.swift), for
/// lookups by key path: a string value is decoded only when asked, straight
/// into a SecureBuffer; everything else is only validated and skipped.
package struct JSONDocument {
    package enum Kind { case object, array, string, number, bool, null }

    private let text: JSONText
    /// Offset of the root value.
    private let root: Int
    /// The root object's members (none when the root is not an object), so
    /// that top-level lookups do not scan the text again.
    private let members: [JSONText.Member]
    package let rootKind: Kind

    /// Validates the whole text strictly (JSONScanner.scan: RFC 8259, valid UTF-8 and UTF-16 escapes,
    /// nesting at most `maxDepth` deep, and by default no object with two equal keys, compared after
    /// unescaping). The bytes are borrowed: the document must not outlive them.
    package init(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int = 64, allowDuplicateKeys: Bool = false)
        throws(JSONError)
    {
        var observer = NoObserver()
        (text, root, members) = try JSONScanner.scan(
            bytes, maxDepth: maxDepth, allowDuplicateKeys: allowDuplicateKeys, observer: &observer
        ) { text, root, members in (text, root, text[root] == .openBrace ? Array(members) : []) }
        rootKind = Self.kind(of: text[root])
    }

    /// The kind of the value at `path` (object member names; e.g. ["error", "code"]), nil if absent.
    package func kind(at path: [String]) -> Kind? {
        value(at: path).map { Self.kind(of: text[$0]) }
    }

    /// The string at `path`, unescaped into a new SecureBuffer; nil if absent or not a string.
    /// (A buffer whose allocation failed comes back with `isValid` false.)
    package func string(at path: [String]) -> SecureBuffer? {
        guard let at = value(at: path), text[at] == .quote else { return nil }
        return decodeString(at: at)
    }

    /// For an array at `arrayPath` whose elements are objects: the string member `key` of each element
    /// that has one as a string (e.g. projects[*].id). nil if arrayPath is not an array.
    package func strings(inEachOf arrayPath: [String], key: String) -> [SecureBuffer]? {
        guard let array = value(at: arrayPath), text[array] == .openBracket else { return nil }
        var result: [SecureBuffer] = []
        var i = text.skipWhitespace(array + 1)
        guard text[i] != .closeBracket else { return result }
        while true {
            if text[i] == .openBrace, let at = member(key, inObjectAt: i), text[at] == .quote {
                result.append(decodeString(at: at))
            }
            i = text.skipWhitespace(text.skipValue(i))
            guard text[i] == .comma else { return result }
            i = text.skipWhitespace(i + 1)
        }
    }

    // MARK: - Lookup in the validated text

    /// Offset of the value at `path`, nil if absent.
    private func value(at path: [String]) -> Int? {
        guard var first = path.first else { return root }
        var at = first.withUTF8 { name in members.first { text.keyEquals($0, name) }?.value }
        for name in path.dropFirst() {
            guard let object = at, text[object] == .openBrace else { return nil }
            at = member(name, inObjectAt: object)
        }
        return at
    }

    /// Offset of the value of member `name` of the object at `object`, nil if absent.
    private func member(_ name: String, inObjectAt object: Int) -> Int? {
        var name = name
        return name.withUTF8 { name in
            var i = text.skipWhitespace(object + 1)
            while text[i] == .quote {
                let (end, escaped) = text.skipString(i + 1)
                let key = JSONText.Member(start: i + 1, end: end, escaped: escaped, value: 0)
                i = text.skipWhitespace(end + 1)  // at ':'
                i = text.skipWhitespace(i + 1)  // at the value
                if text.keyEquals(key, name) { return i }
                i = text.skipWhitespace(text.skipValue(i))
                guard text[i] == .comma else { return nil }
                i = text.skipWhitespace(i + 1)
            }
            return nil
        }
    }

    /// The string whose opening quote is at `at`, in a buffer of its own.
    private func decodeString(at: Int) -> SecureBuffer {
        let (end, escaped) = text.skipString(at + 1)
        let buffer = SecureBuffer(capacity: end - at - 1)
        text.appendString(from: at + 1, to: end, escaped: escaped, to: buffer)
        return buffer
    }

    private static func kind(of first: UInt8) -> Kind {
        switch first {
        case .openBrace: return .object
        case .openBracket: return .array
        case .quote: return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        default: return .number
        }
    }
}

/// JSONDocument reads after the scan, not during it.
private struct NoObserver: JSONScanObserver {
    @inline(__always)
    func rootString(_ key: JSONText.Member, end: Int, escaped: Bool, in text: JSONText) {}
}
