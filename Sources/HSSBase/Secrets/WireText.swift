extension Redactor {
    /// Text taken from an answer (or any peer), as it may enter a message:
    /// redacted, then one printable line, cut to `maxCharacters`. The one
    /// way wire text reaches hss_error_message or a trace line.
    package func line(_ bytes: UnsafeBufferPointer<UInt8>, maxCharacters: Int = 1024) -> String {
        let text = SingleLine.of(redact(bytes))
        return text.count <= maxCharacters ? text : String(text.prefix(maxCharacters)) + "..."
    }

    package func line(_ text: String, maxCharacters: Int = 1024) -> String {
        var text = text
        return text.withUTF8 { line($0, maxCharacters: maxCharacters) }
    }
}
