import HSSBase
import HSSSigning
import HSSTransport

/// One call to a Huawei Cloud API, described once: what the pipeline needs
/// to build, sign and send it. Operations make these; they never build a
/// URL, a header line or a signature themselves.
package struct Request {
    package var method: HTTPMethod
    /// The path with "{name}" placeholders, e.g.
    /// "/v5/{project_id}/image/registries/image-upload-command". A literal:
    /// its address identifies the path's prepared requests (Session.prepared).
    package var pathTemplate: StaticString
    /// Values for the placeholders beyond "{project_id}", which the client
    /// fills in. Each is percent-encoded as one path segment.
    package var pathParameters: [String: String]
    package var query: [QueryParameter]
    /// What keeps the query's values alive: the SecureBuffers they are read
    /// from (none for the caller's C strings, borrowed for the call).
    package var owners: [SecureBuffer]
    /// Headers of this request only (the client adds Host, User-Agent,
    /// credentials and the date itself).
    package var headers: [Header]

    package init(
        method: HTTPMethod, pathTemplate: StaticString, pathParameters: [String: String] = [:],
        query: [QueryParameter] = [], owners: [SecureBuffer] = [], headers: [Header] = []
    ) {
        self.method = method
        self.pathTemplate = pathTemplate
        self.pathParameters = pathParameters
        self.query = query
        self.owners = owners
        self.headers = headers
    }
}

/// A query parameter, its value read where the caller holds it. A secret
/// one is also redacted from every text the service sends back.
/// Its value's bytes only, kept alive by the request's `owners`: a trivial
/// value, copied without a retain and freed in an array without a walk.
package struct QueryParameter {
    package let name: StaticString
    package let bytes: UnsafeBufferPointer<UInt8>
    package let isSecret: Bool

    /// Whatever holds `bytes` (a SecureBuffer) must go into the request's `owners`.
    package init(_ name: StaticString, bytes: UnsafeBufferPointer<UInt8>, isSecret: Bool) {
        self.name = name
        self.bytes = bytes
        self.isSecret = isSecret
    }

    /// The value, borrowed from the request's owners (or the caller).
    package var value: Bytes { Bytes(borrowing: bytes) }
}

/// An API operation: its inputs, checked before anything is sent; the
/// request that carries them; and how to read a 2xx answer.
package protocol Operation {
    associatedtype Output
    /// The API reference's limits; throws HSSError.invalid naming the field.
    func validate() throws
    func request() -> Request
    /// Reads a 2xx answer's body while the connection holds it (with
    /// AnswerFields: strict JSON, errors that name the field, never quote
    /// the answer).
    func decode(_ body: UnsafeBufferPointer<UInt8>) throws -> Output
}
