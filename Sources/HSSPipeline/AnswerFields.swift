import CHSSAPI
import HSSBase

/// A 2xx answer's required top-level strings, read in one pass of the strict
/// JSON rule (JSONFields) into one wiped buffer, each NUL-terminated so that
/// C can point into it. The one place an answer's shape is judged: errors
/// name the field, never quote the answer.
package struct AnswerFields {
    private let buffer: SecureBuffer
    private let fields: JSONFields

    /// Refuses an answer that is not a strict JSON object, names a field
    /// twice, lacks one of `names` (keep the list in a `static let`) or holds
    /// a NUL in one (C strings would end there).
    package init(_ body: UnsafeBufferPointer<UInt8>, names: [StaticString]) throws {
        // As long as the text: the values never outgrow it, so one allocation.
        let buffer = SecureBuffer(capacity: body.count + names.count)
        let fields: JSONFields
        do throws(JSONError) {
            fields = try JSONFields.read(body, names: names, into: buffer)
        } catch .duplicateKey {
            throw HSSError(HSS_E_BAD_RESPONSE, "the service's answer names a field twice")
        } catch {
            throw HSSError(HSS_E_BAD_RESPONSE, "the service's answer is not a JSON object")
        }
        guard buffer.isValid else { throw HSSError(HSS_E_OUT_OF_MEMORY, "could not store the service's answer") }
        guard fields.isObject else { throw HSSError(HSS_E_BAD_RESPONSE, "the service's answer is not a JSON object") }
        if !fields.allFound(names.count) {
            for (k, name) in names.enumerated() {
                guard fields[k] != nil else { throw HSSError(HSS_E_BAD_RESPONSE, "the service's answer lacks \(name)") }
                guard !fields.holdsNUL(k) else {
                    throw HSSError(HSS_E_BAD_RESPONSE, "the service's answer has a NUL character in \(name)")
                }
            }
        }
        // Stored once nothing more can throw: an init that throws after self is whole built self
        // aside, copied it and destroyed the copy.
        self.buffer = buffer
        self.fields = fields
    }

    /// Wipes the values now (no accessor may be used after).
    package func wipe() { buffer.wipe() }

    /// The value of names[k], without its NUL (valid while self lives).
    package subscript(_ k: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: buffer.bytes[fields[k]!])
    }

    /// The value of names[k] as a C string (valid while self lives).
    package func cString(_ k: Int) -> UnsafePointer<CChar> {
        UnsafeRawPointer(buffer.bytes.baseAddress! + fields[k]!.lowerBound).assumingMemoryBound(to: CChar.self)
    }
}
