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
    /// Headers of this request only (the client adds Host, User-Agent,
    /// credentials and the date itself).
    package var headers: [Header]

    package init(
        method: HTTPMethod, pathTemplate: StaticString, pathParameters: [String: String] = [:],
        query: [QueryParameter] = [], headers: [Header] = []
    ) {
        self.method = method
        self.pathTemplate = pathTemplate
        self.pathParameters = pathParameters
        self.query = query
        self.headers = headers
    }
}

/// A query parameter, its value read where the caller holds it. A secret
/// one is also redacted from every text the service sends back.
package struct QueryParameter {
    package let name: StaticString
    package let value: Bytes
    package let isSecret: Bool

    package init(_ name: StaticString, _ value: Bytes, isSecret: Bool = false) {
        self.name = name
        self.value = value
        self.isSecret = isSecret
    }

    package init(_ name: StaticString, _ value: SecureBuffer, isSecret: Bool = false) {
        self.init(name, Bytes(value), isSecret: isSecret)
    }
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
