import CHSSAPI
import CYAMLShims
import HSSBase

/// The regions file (HUAWEICLOUD_SDK_REGIONS_FILE, else ~/.huaweicloud/regions.yaml), read as the official SDK
/// reads it (docs: endpoints.md §1.2):
///
///     HSS:                      # service, matched case-insensitively
///       - id: xx-custom-1       # entries without id are skipped
///         endpoints: [https://e1.example.com, https://e2.example.com]
///         endpoint: https://e3.example.com   # appended after `endpoints`
///
/// Parsed with libyaml's event parser (loaded when a file is read: see
/// chss_yaml_load), walking only what we need. Where the
/// official SDK crashes (an empty file, a service whose value is not a list
/// of mappings) or guesses, this refuses with a message naming the file and
/// line. Anchors and aliases are refused outright: no alias expansion bombs.
package enum RegionsFile {
    /// A file that exists but cannot be used; `message` names the file, and the line when known.
    package struct Failure: Error, CustomStringConvertible {
        package let message: String
        package var description: String { message }
    }

    /// The file may be at most this large (1 MiB).
    package static let maxBytes = 1 << 20

    /// The endpoints the file lists for `service` in `region`, trimmed and in file order (`endpoints`, then
    /// `endpoint`); nil when the file does not exist or has no entry for them with an endpoint.
    package static func endpoints(service: String, region: String, path: String) throws(Failure) -> [String]? {
        let what = "regions file '\(path)'"
        let contents: SecureBuffer
        do throws(SecureFile.Failure) {
            contents = try SecureFile.read(path, maxBytes: maxBytes).contents
        } catch .missing {
            return nil  // the caller falls back to the built-in table
        } catch {
            throw Failure(message: error.describe(what))
        }
        guard !contents.isEmpty else { throw Failure(message: "\(what) is empty") }
        guard chss_yaml_load() == 1 else {
            throw Failure(message: "reading the \(what) needs libyaml (Debian: apt install libyaml-0-2)")
        }
        // libyaml reads the buffer's memory: keep the buffer alive until the parse ends.
        return try withExtendedLifetime(contents) { () throws(Failure) in
            try Events(contents.bytes, what: what).document(service: service, region: region)
        }
    }
}

/// libyaml's events, one at a time; every event is checked for anchors and aliases.
private final class Events {
    private let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
    private var event = yaml_event_t()
    private var holdsEvent = false
    private var initialized = false
    /// "regions file '<path>'", to start messages.
    private let what: String
    /// Our entries are four levels deep; anything much deeper is refused before libyaml's stacks grow.
    private let maxDepth = 64

    /// The bytes are borrowed: they must outlive this object.
    init(_ bytes: UnsafeBufferPointer<UInt8>, what: String) throws(RegionsFile.Failure) {
        self.what = what
        guard chss_yaml_parser_initialize(parser) == 1 else {
            throw RegionsFile.Failure(message: "\(what) cannot be parsed: out of memory")
        }
        initialized = true
        chss_yaml_parser_set_input_string(parser, bytes.baseAddress, bytes.count)
    }

    deinit {
        if holdsEvent { chss_yaml_event_delete(&event) }
        if initialized { chss_yaml_parser_delete(parser) }
        parser.deallocate()
    }

    // MARK: The file's structure

    /// The whole stream: one document whose root is a mapping of service names.
    func document(service: String, region: String) throws(RegionsFile.Failure) -> [String]? {
        guard try next() == YAML_STREAM_START_EVENT else { throw failure("does not start a YAML stream") }
        // No document (only comments or blank lines), or one that is null: the official SDK crashes.
        guard try next() == YAML_DOCUMENT_START_EVENT else { throw RegionsFile.Failure(message: "\(what) is empty") }
        let root = try next()
        if root == YAML_SCALAR_EVENT && isNull { throw RegionsFile.Failure(message: "\(what) is empty") }
        guard root == YAML_MAPPING_START_EVENT else {
            throw failure("must be a mapping of service names (such as HSS:) at the top level")
        }
        var found: [String]?
        var seenService = false
        while try next() != YAML_MAPPING_END_EVENT {
            guard let key = scalar else { throw failure("has a top-level key that is not a service name") }
            guard key.lowercased() == service.lowercased() else {
                _ = try next()
                try skipNode()
                continue
            }
            guard !seenService else { throw failure("names service \(service) a second time") }
            seenService = true
            found = try serviceEntries(key, region: region)
        }
        guard try next() == YAML_DOCUMENT_END_EVENT, try next() == YAML_STREAM_END_EVENT else {
            throw failure("holds more than one YAML document")
        }
        return found
    }

    /// The value of the service key `key`: a list of region entries.
    private func serviceEntries(_ key: String, region: String) throws(RegionsFile.Failure) -> [String]? {
        guard try next() == YAML_SEQUENCE_START_EVENT else {
            throw failure("must give \(key) a list of region entries (- id: ...)")
        }
        var found: [String]?
        while try next() != YAML_SEQUENCE_END_EVENT {
            guard eventType == YAML_MAPPING_START_EVENT else {
                throw failure("has an entry of \(key) that is not a mapping (id:, endpoints:, endpoint:)")
            }
            let entryLine = line
            let (id, endpoints) = try entry()
            // The official SDK skips entries without an id or without an endpoint.
            guard id == region, !endpoints.isEmpty else { continue }
            guard found == nil else {
                throw RegionsFile.Failure(message: "\(what), line \(entryLine): lists region \(region) a second time")
            }
            found = endpoints
        }
        return found
    }

    /// One region entry, from after its MAPPING-START: its id (nil when absent or null) and endpoints.
    private func entry() throws(RegionsFile.Failure) -> (id: String?, endpoints: [String]) {
        var id: String?
        var list: [String] = []
        var single: String?
        var seen: Set<String> = []
        while try next() != YAML_MAPPING_END_EVENT {
            guard let key = scalar else { throw failure("has a region entry whose key is not a string") }
            guard seen.insert(key).inserted else { throw failure("repeats '\(key)' in a region entry") }
            switch key {
            case "id":
                id = try optionalString(key)
            case "endpoint":
                single = try optionalString(key)
            case "endpoints":
                let start = try next()
                if start == YAML_SCALAR_EVENT && isNull { continue }
                guard start == YAML_SEQUENCE_START_EVENT else { throw failure("must give 'endpoints' a list") }
                while try next() != YAML_SEQUENCE_END_EVENT {
                    guard let endpoint = scalar, !isNull else { throw failure("has an endpoint that is not a string") }
                    list.append(trimmed(endpoint))
                }
            default:
                _ = try next()
                try skipNode()
            }
        }
        // Empty strings count as absent, as in the official SDK (`if not id`, `if endpoint`).
        if let single, !trimmed(single).isEmpty { list.append(trimmed(single)) }
        return (id?.isEmpty == false ? id : nil, list)
    }

    /// The value of `key`: a string, or nil for null.
    private func optionalString(_ key: String) throws(RegionsFile.Failure) -> String? {
        guard try next() == YAML_SCALAR_EVENT, let value = scalar else { throw failure("must give '\(key)' a string") }
        return isNull ? nil : value
    }

    // MARK: Events

    private var eventType: yaml_event_type_t { holdsEvent ? event.type : YAML_NO_EVENT }

    /// 1-based line of the current event.
    private var line: Int { Int(event.start_mark.line) + 1 }

    /// The current event's text if it is a scalar.
    private var scalar: String? {
        guard eventType == YAML_SCALAR_EVENT else { return nil }
        let value = event.data.scalar
        return String(decoding: UnsafeBufferPointer(start: value.value, count: value.length), as: UTF8.self)
    }

    /// Whether the current scalar is YAML's null: untagged, plain, and empty, `~` or null.
    private var isNull: Bool {
        let value = event.data.scalar
        guard eventType == YAML_SCALAR_EVENT, value.style == YAML_PLAIN_SCALAR_STYLE, value.plain_implicit != 0
        else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar)
    }

    /// Moves to the next event and returns its type.
    @discardableResult
    private func next() throws(RegionsFile.Failure) -> yaml_event_type_t {
        if holdsEvent { chss_yaml_event_delete(&event) }
        holdsEvent = false
        guard chss_yaml_parser_parse(parser, &event) == 1 else { throw syntaxError() }
        holdsEvent = true
        let anchor: UnsafeMutablePointer<yaml_char_t>? =
            switch event.type {
            case YAML_ALIAS_EVENT: event.data.alias.anchor
            case YAML_SCALAR_EVENT: event.data.scalar.anchor
            case YAML_SEQUENCE_START_EVENT: event.data.sequence_start.anchor
            case YAML_MAPPING_START_EVENT: event.data.mapping_start.anchor
            default: nil
            }
        guard anchor == nil else { throw failure("uses an anchor (&) or alias (*): they are not supported") }
        return event.type
    }

    /// Skips the node that starts at the current event, whatever it holds.
    private func skipNode() throws(RegionsFile.Failure) {
        var depth = 0
        repeat {
            switch eventType {
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                depth += 1
                guard depth <= maxDepth else { throw failure("nests deeper than \(maxDepth) levels") }
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT: depth -= 1
            default: break
            }
            if depth > 0 { try next() }
        } while depth > 0
    }

    private func failure(_ problem: String) -> RegionsFile.Failure {
        RegionsFile.Failure(message: "\(what), line \(line): \(problem)")
    }

    /// libyaml's own account of why the text is not YAML.
    private func syntaxError() -> RegionsFile.Failure {
        let state = parser.pointee
        var problem = state.problem.map { String(cString: $0) } ?? "unknown error"
        // "while parsing a flow sequence": what was open, and where it began.
        if let context = state.context {
            problem += " (\(String(cString: context)) from line \(state.context_mark.line + 1))"
        }
        // A reader error (bad encoding) has an offset, not a line.
        let at =
            state.error == YAML_READER_ERROR ? "at byte \(state.problem_offset)" : "line \(state.problem_mark.line + 1)"
        return RegionsFile.Failure(message: "\(what) is not valid YAML (\(at)): \(problem)")
    }
}

/// `text` without surrounding whitespace.
private func trimmed(_ text: String) -> String {
    guard let first = text.firstIndex(where: { !$0.isWhitespace }),
        let last = text.lastIndex(where: { !$0.isWhitespace })
    else { return "" }
    return String(text[first...last])
}
