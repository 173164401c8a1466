import CHSSAPI
import HSSBase
import HSSPipeline
import HSSTransport

extension HSSClient {
    /// Starts one operation on libhss's engine (HSSClient.start): its inputs
    /// are checked here, before anything is sent (throws), and its 2xx
    /// answer is decoded while the connection holds it; `completion` then
    /// runs once, on the engine thread. The operation must own its inputs
    /// (SecureBuffers): the call outlives the caller's strings. Beside the
    /// operations, like perform, so that each gets a specialised copy.
    func start<O: Operation>(
        _ operation: O, calls: AsyncCalls, cancel: CancelSwitch?,
        completion: @escaping (Result<O.Output, HSSError>) -> Void
    ) throws {
        try operation.validate()
        var output: O.Output?
        try start(
            operation.request(), calls: calls, cancel: cancel,
            consume: { body in output = try operation.decode(body.bytes) },
            finish: { error in
                if let error {
                    completion(.failure(error))
                } else if let output {
                    completion(.success(output))
                } else {
                    completion(.failure(HSSError(HSS_E_INTERNAL, "a 2xx answer was not decoded")))
                }
            })
    }
}

extension ShowImageUploadCommand {
    /// Starts the call (HSSClient.start(_:calls:cancel:completion:)).
    package func start(
        on client: HSSClient, calls: AsyncCalls, cancel: CancelSwitch?,
        completion: @escaping (Result<ImageUploadCommand, HSSError>) -> Void
    ) throws {
        try client.start(self, calls: calls, cancel: cancel, completion: completion)
    }

    /// This request with its inputs copied into wiped memory, for a call
    /// that outlives the caller's strings.
    package func owned() -> ShowImageUploadCommand {
        ShowImageUploadCommand(
            registryAddr: registryAddr?.secureCopy(), namespace: namespace?.secureCopy(),
            username: username?.secureCopy(), password: password?.secureCopy(),
            enterpriseProjectID: enterpriseProjectID?.secureCopy())
    }
}
