import HSSBase
import HSSTransport

// The error-body redactor with random bodies and random secrets. Property:
// no form of any secret (SecretForms, the rule of include/hss.h) survives in
// what the redactor returns, nor in what an error takes from a body (code,
// message, request id); a text with nothing to redact comes back unchanged.
//
// Input: a byte (1-3 secrets), the secrets (each ended by a NUL, at most 64
// bytes), a byte (0-7 insertions), 6 bytes per insertion (which secret, where,
// how each character is encoded, whether the form is cut short), then the body,
// into which the insertions put forms of the secrets.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRedactor(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    var secrets: [[UInt8]] = []
    for _ in 0...(input.byte() % 3) {
        // "*" is what the redactor writes, and U+FFFD (EF BF BD) what lossy decoding
        // writes: no secret holds them, so that none can be rebuilt from them.
        var secret = input.field().prefix(64).map { $0 == UInt8(ascii: "*") ? UInt8(ascii: "#") : $0 }
        while let at = secret.index(of: [0xEF, 0xBF, 0xBD]) { secret[at + 2] = 0xBC }
        if !secret.isEmpty { secrets.append(secret) }
    }
    let plan = (0..<(input.byte() % 8)).map { _ in
        (secret: Int(input.byte()), at: input.uint16(), seed: input.byte(), status: input.byte(), cut: input.byte())
    }
    var body = input.rest()
    guard !secrets.isEmpty else { return 0 }
    for step in plan {
        var state = step.seed
        // Mostly whole forms; sometimes only the first characters: a near miss.
        let keep = step.cut < 0xE0 ? Int.max : Int(step.cut & 0x1F)
        let form = SecretForms.encode(secrets[step.secret % secrets.count], keep: keep) {
            state = state &* 37 &+ 11
            return state
        }
        body.insert(contentsOf: form, at: step.at % (body.count + 1))
    }

    let forms = secrets.map(SecretForms.init)
    var redactor = Redactor()
    for secret in secrets { redactor.add(secret.secure) }
    let output = body.withUnsafeBufferPointer { redactor.redact($0) }
    let inBody = secrets.indices.filter { forms[$0].find(in: body) != nil }
    let short = inBody.contains { secrets[$0].count < Redactor.shortest }
    if output == Redactor.withheld {
        let echoed = body == Array(Redactor.withheld.utf8)
        require(short || echoed, "withheld, but no secret shorter than \(Redactor.shortest) bytes is in the body")
    } else {
        require(
            !short, "a secret shorter than \(Redactor.shortest) bytes is in the body, yet the text was not withheld")
        // A U+FFFD of the output stands for bytes that were not UTF-8: no part of a form.
        let out = Array(output.utf8).replacingReplacementCharacters(with: 0)
        for (secret, form) in zip(secrets, forms) {
            if let at = form.find(in: out) {
                require(false, "secret \(show(secret)) survives at \(at) of \(show(out))")
            }
        }
        if inBody.isEmpty, !body.contains("password=") {
            require(output == String(decoding: body, as: UTF8.self), "nothing to redact, yet changed: \(show(out))")
        }
        var i = 0
        let key = Array("password=".utf8)
        while let at = out.index(of: key, from: i) {
            let after = out[(at + key.count)...]
            require(
                after.isEmpty || after.starts(with: "***".utf8) || "&\n\r \"'\\,".utf8.contains(after.first!),
                "a password= value survives: \(show(out))")
            i = at + key.count
        }
    }

    // What an error takes from a body. Its text turns control characters into
    // spaces, which can make a secret holding a space out of a body that did
    // not hold it: such secrets are checked by the redactor alone.
    let status = 400 + Int(plan.first?.status ?? 0) % 200
    let error = ServiceErrorBody.describe(
        HTTPResponse(status: status, body: body.secure, requestID: ""), redactor: redactor)
    let requestID = body.withUnsafeBufferPointer { RequestID.sanitize($0, redactor: redactor) }
    for text in [error.code, error.serviceMessage, error.requestID, requestID] where text != Redactor.withheld {
        let bytes = Array(text.utf8).replacingReplacementCharacters(with: 0)
        for (secret, form) in zip(secrets, forms) where secret.count >= Redactor.shortest && !secret.contains(0x20) {
            require(form.find(in: bytes) == nil, "secret \(show(secret)) survives in \(show(bytes))")
        }
    }
    let control = error.message.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
    require(!control, "the error message is not one line: \(show(Array(error.message.utf8)))")
    return 0
}
