// hss_error's accessors (see ClientExports.swift for the boundary's rules).
import CHSSAPI
import HSSBase

private func box(_ err: OpaquePointer?) -> ErrorBox? { Handle.borrowed(err, as: ErrorBox.self) }

@c @implementation
public func hss_error_status(_ err: OpaquePointer!) -> hss_status {
    box(err)?.status ?? HSS_OK
}

@c @implementation
public func hss_error_message(_ err: OpaquePointer!) -> UnsafePointer<CChar>! {
    box(err)?.message.text ?? emptyCString
}

@c @implementation
public func hss_error_http_status(_ err: OpaquePointer!) -> Int32 {
    box(err)?.httpStatus ?? 0
}

@c @implementation
public func hss_error_code(_ err: OpaquePointer!) -> UnsafePointer<CChar>! {
    box(err)?.code.text ?? emptyCString
}

@c @implementation
public func hss_error_service_message(_ err: OpaquePointer!) -> UnsafePointer<CChar>! {
    box(err)?.serviceMessage.text ?? emptyCString
}

@c @implementation
public func hss_error_request_id(_ err: OpaquePointer!) -> UnsafePointer<CChar>! {
    box(err)?.requestID.text ?? emptyCString
}

@c @implementation
public func hss_error_attempts(_ err: OpaquePointer!) -> Int32 {
    box(err)?.attempts ?? 0
}

@c @implementation
public func hss_error_retryable(_ err: OpaquePointer!) -> Int32 {
    box(err)?.retryable == true ? 1 : 0
}

@c @implementation
public func hss_error_free(_ err: OpaquePointer!) {
    Handle.release(err, as: ErrorBox.self)
}
