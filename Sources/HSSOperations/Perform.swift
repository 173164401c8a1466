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
        // The answer is decoded straight into a slot and moved out of it: an O.Output? was
        // destroyed (through its metadata, at run time) where it was assigned and where emptied.
        return try withUnsafeTemporaryAllocation(of: O.Output.self, capacity: 1) { slot in
            let output = slot.baseAddress!
            var decoded = false
            do {
                try send(operation.request(), now: now) { body in
                    let value = try operation.decode(body.bytes)
                    if decoded { output.pointee = value } else { output.initialize(to: value) }
                    decoded = true
                }
            } catch {
                if decoded { output.deinitialize(count: 1) }
                throw error
            }
            guard decoded else { throw HSSError(HSS_E_INTERNAL, "a 2xx answer was not decoded") }
            return output.move()
        }
    }
}
