// A strict reader for the profile file (~/.huaweicloud/credentials), which
// the official SDK reads with Python's configparser. It accepts what
// configparser accepts for a credentials file and refuses, with a line
// number, what configparser's strict mode refuses, plus two things it would
// take silently or wrongly:
// - continuation lines (configparser's multi-line values): no credential is
//   multi-line, so an indented line after a value is a mistake;
// - `%` is literal: no interpolation (configparser raises on `PS%K`).
// Values may be secrets: each is copied once, straight from the caller's
// bytes into a SecureBuffer. Section and key names are plain Strings.

/// Why a file was refused. Never quotes the file's text: it may hold secrets.
package struct INIError: Error, Equatable, CustomStringConvertible {
    package enum Reason: Equatable, CustomStringConvertible {
        /// The file is not UTF-8 (configparser reads it as UTF-8 and would fail too).
        case invalidUTF8
        /// A line before the first `[section]`.
        case missingSectionHeader
        /// `[` without a closing `]` at the end of the line, or `[]`.
        case malformedSectionHeader
        case duplicateSection
        /// A line that is not a section header, a comment or `key = value`.
        case missingSeparator
        /// `= value` with no key.
        case emptyKey
        case duplicateKey
        /// An indented line after a value: configparser would append it to the value.
        case continuationLine

        package var description: String {
            switch self {
            case .invalidUTF8: "not valid UTF-8"
            case .missingSectionHeader: "a line before any [section] header"
            case .malformedSectionHeader: "a malformed [section] header (a name in brackets, nothing after)"
            case .duplicateSection: "a repeated [section] header"
            case .missingSeparator: "neither a [section] header, a comment, nor key = value"
            case .emptyKey: "no key before '=' or ':'"
            case .duplicateKey: "a repeated key in its section"
            case .continuationLine: "an indented line after a value (multi-line values are not supported)"
            }
        }
    }

    /// 1-based, counted as configparser counts (CR, LF and CRLF each end a line).
    package let line: Int
    package let reason: Reason

    package init(line: Int, reason: Reason) {
        self.line = line
        self.reason = reason
    }

    /// "line 3: a repeated key in its section".
    package var description: String { "line \(line): \(reason)" }
}

package struct INIDocument {
    private struct Section {
        var name: String
        /// Keys lower-cased (ASCII), in file order.
        var entries: [(key: String, value: SecureBuffer)] = []

        func value(_ key: String) -> SecureBuffer? {
            entries.first { $0.key == key }?.value
        }
    }

    /// `[DEFAULT]`: inherited by every section; not itself a section.
    private var defaults = Section(name: defaultSection)
    private var sections: [Section] = []

    /// Parses the whole file (UTF-8, an optional BOM, LF/CRLF/CR line ends).
    /// The bytes are not kept: values are copied into SecureBuffers.
    package init(_ bytes: UnsafeBufferPointer<UInt8>) throws(INIError) {
        try validateUTF8(bytes)
        var lines = Lines(bytes)
        // Where the current section's entries go: -1 for DEFAULT, else an index in `sections`.
        var current: Int?
        var seenDefault = false
        // Indentation of the current section's last key line; a deeper line
        // after it is what configparser takes as a continuation.
        var keyIndent: Int?
        while let (number, line) = lines.next() {
            let indent = line.prefix { $0 == space || $0 == tab }.count
            let text = trimmed(line)
            // Blank lines and full-line comments, as configparser: neither ends a value.
            guard let first = text.first, first != hash, first != semicolon else { continue }
            if let keyIndent, indent > keyIndent { throw INIError(line: number, reason: .continuationLine) }

            if first == openBracket {
                guard text.count > 2, text.last == closeBracket else {
                    throw INIError(line: number, reason: .malformedSectionHeader)
                }
                // Not trimmed: configparser keeps "[ basic ]" as " basic ".
                let name = String(decoding: text.dropFirst().dropLast(), as: UTF8.self)
                if name == defaultSection {
                    guard !seenDefault else { throw INIError(line: number, reason: .duplicateSection) }
                    seenDefault = true
                    current = -1
                } else {
                    guard !sections.contains(where: { $0.name == name }) else {
                        throw INIError(line: number, reason: .duplicateSection)
                    }
                    sections.append(Section(name: name))
                    current = sections.count - 1
                }
                keyIndent = nil
                continue
            }

            guard let section = current else { throw INIError(line: number, reason: .missingSectionHeader) }
            // The key ends at the first '=' or ':'; the value is the rest.
            guard let separator = text.firstIndex(where: { $0 == equals || $0 == colon }) else {
                throw INIError(line: number, reason: .missingSeparator)
            }
            let keyBytes = trimmed(text[..<separator])
            guard !keyBytes.isEmpty else { throw INIError(line: number, reason: .emptyKey) }
            let key = String(decoding: keyBytes.lazy.map(asciiLowercased), as: UTF8.self)
            let sectionEntries = section < 0 ? defaults : sections[section]
            guard sectionEntries.value(key) == nil else { throw INIError(line: number, reason: .duplicateKey) }

            let valueBytes = UnsafeBufferPointer(rebasing: trimmed(text[(separator + 1)...]))
            let value = SecureBuffer(capacity: valueBytes.count)
            value.append(valueBytes)
            if section < 0 {
                defaults.entries.append((key, value))
            } else {
                sections[section].entries.append((key, value))
            }
            keyIndent = indent
        }
    }

    /// Whether `[name]` is in the file (case-sensitive). `[DEFAULT]` is not a section, as in configparser.
    package func hasSection(_ name: String) -> Bool {
        sections.contains { $0.name == name }
    }

    /// A copy of `key` (ASCII case-insensitive) in `section`, else in `[DEFAULT]`; nil when absent or when
    /// there is no such section.
    package func value(section: String, key: String) -> SecureBuffer? {
        let key = String(decoding: key.utf8.lazy.map(asciiLowercased), as: UTF8.self)
        let found: SecureBuffer?
        if section == defaultSection {
            found = defaults.value(key)
        } else {
            guard let named = sections.first(where: { $0.name == section }) else { return nil }
            found = named.value(key) ?? defaults.value(key)
        }
        return found.map { value in
            let copy = SecureBuffer(capacity: value.count)
            copy.append(value)
            return copy
        }
    }
}

private let defaultSection = "DEFAULT"
private let space = UInt8(ascii: " ")
private let tab = UInt8(ascii: "\t")
private let hash = UInt8(ascii: "#")
private let semicolon = UInt8(ascii: ";")
private let openBracket = UInt8(ascii: "[")
private let closeBracket = UInt8(ascii: "]")
private let equals = UInt8(ascii: "=")
private let colon = UInt8(ascii: ":")
private let cr = UInt8(ascii: "\r")
private let lf = UInt8(ascii: "\n")

private func asciiLowercased(_ b: UInt8) -> UInt8 {
    b &- UInt8(ascii: "A") < 26 ? b | 0x20 : b
}

/// `bytes` without leading and trailing spaces and tabs.
private func trimmed(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Slice<UnsafeBufferPointer<UInt8>> {
    var slice = bytes
    while let b = slice.first, b == space || b == tab { slice.removeFirst() }
    while let b = slice.last, b == space || b == tab { slice.removeLast() }
    return slice
}

/// Refuses bytes that are not UTF-8, reporting the line of the first bad one; decodes in place, copying nothing.
private func validateUTF8(_ bytes: UnsafeBufferPointer<UInt8>) throws(INIError) {
    var iterator = bytes.makeIterator()
    var decoder = UTF8()
    var line = 1
    var previous: UInt8 = 0
    while true {
        switch decoder.decode(&iterator) {
        case .scalarValue(let scalar):
            // CR, LF and CRLF each end one line.
            if scalar == "\r" || (scalar == "\n" && previous != cr) { line += 1 }
            previous = scalar.isASCII ? UInt8(scalar.value) : 0
        case .emptyInput: return
        case .error: throw INIError(line: line, reason: .invalidUTF8)
        }
    }
}

/// The lines of a file after its optional UTF-8 BOM, numbered from 1, without their line ends.
/// Like Python's text files (universal newlines), CR, LF and CRLF each end a line.
private struct Lines {
    let bytes: UnsafeBufferPointer<UInt8>
    var at: Int
    var number = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        at = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    }

    mutating func next() -> (Int, Slice<UnsafeBufferPointer<UInt8>>)? {
        guard at < bytes.count else { return nil }
        let start = at
        while at < bytes.count && bytes[at] != lf && bytes[at] != cr { at += 1 }
        let line = bytes[start..<at]
        if at < bytes.count {
            at += bytes[at] == cr && at + 1 < bytes.count && bytes[at + 1] == lf ? 2 : 1
        }
        number += 1
        return (number, line)
    }
}
