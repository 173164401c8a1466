import CHSSAPI
import HSSBase
import HSSPipeline

extension HSSClient {
    /// Runs one operation: its inputs are checked before anything is sent,
    /// and its 2xx answer is decoded while the connection holds it. In this
    /// module, beside the operations, so that each operation's `run(on:)`
    /// calls a copy specialised for it: a generic call from another module
    /// would not be (package declarations are not inlinable), and generic
    /// code looks up metadata and copies through value witnesses per call.
    func perform<O: Operation>(_ operation: O, now: time_t? = nil) throws -> O.Output {
        try operation.validate()
        var output: O.Output?
        try send(operation.request(), now: now) { body in output = try operation.decode(body.bytes) }
        guard let output = output.take() else { throw HSSError(HSS_E_INTERNAL, "a 2xx answer was not decoded") }
        return output
    }
}
