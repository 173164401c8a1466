// ShowImageUploadCommand (see ClientExports.swift for the boundary's rules).
import CHSSAPI
import HSSBase
import HSSOperations
import HSSPipeline

private typealias Result = ResultBox<ImageUploadCommand>

@c @implementation
public func hss_image_upload_command_request_init(
    _ request: UnsafeMutablePointer<hss_image_upload_command_request>!,
    _ version: UInt32
) -> hss_status {
    StructVersions.initialize(request, version: version, sizes: StructVersions.imageUploadCommandRequest)
}

@c @implementation
public func hss_image_upload_command_get(
    _ client: OpaquePointer!,
    _ request: UnsafePointer<hss_image_upload_command_request>!,
    _ out: UnsafeMutablePointer<OpaquePointer?>!,
    _ err: UnsafeMutablePointer<OpaquePointer?>!
) -> hss_status {
    deliver(out, err) {
        guard let box = Handle.borrowed(client, as: ClientBox.self) else {
            throw HSSError.invalid("client must not be NULL")
        }
        guard let request else { throw HSSError.invalid("request must not be NULL") }
        let r = try StructVersions.read(
            request, into: hss_image_upload_command_request(),
            sizes: StructVersions.imageUploadCommandRequest, name: "request")
        let operation = ShowImageUploadCommand(
            registryAddr: secret(r.registry_addr), namespace: secret(r.namespace_name),
            username: secret(r.username), password: secret(r.password),
            enterpriseProjectID: secret(r.enterprise_project_id))
        return Result(try box.client.perform(operation))
    }
}

/// An accessor's text: the result's wiped buffer, NUL-terminated.
private func text(_ result: OpaquePointer?, _ field: (ImageUploadCommand) -> SecureBuffer) -> UnsafePointer<CChar> {
    Handle.borrowed(result, as: Result.self).flatMap { field($0.result).cString } ?? emptyCString
}

@c @implementation
public func hss_image_upload_command_image_command(_ result: OpaquePointer!) -> UnsafePointer<CChar>! {
    text(result) { $0.imageCommand }
}

@c @implementation
public func hss_image_upload_command_images_download_url(_ result: OpaquePointer!) -> UnsafePointer<CChar>! {
    text(result) { $0.imagesDownloadURL }
}

@c @implementation
public func hss_image_upload_command_swr_image_pull_command(_ result: OpaquePointer!) -> UnsafePointer<CChar>! {
    text(result) { $0.swrImagePullCommand }
}

@c @implementation
public func hss_image_upload_command_free(_ result: OpaquePointer!) {
    Handle.release(result, as: Result.self)
}
