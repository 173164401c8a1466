import CHSSAPI
import HSSBase
import HSSPipeline

/// ShowImageUploadCommand: GET /v5/{project_id}/image/registries/image-upload-command.
/// Inputs are read where the caller holds them (the C boundary's strings,
/// for the call) or from SecureBuffers.
package struct ShowImageUploadCommand: Operation {
    // Optional<Bytes>, not Bytes?: a `T?` var starts as nil, and the init's
    // assignments then built the value aside, copied it and destroyed the copy.
    package var registryAddr: Optional<Bytes>
    package var namespace: Optional<Bytes>
    package var username: Optional<Bytes>
    package var password: Optional<Bytes>
    package var enterpriseProjectID: Optional<Bytes>

    package init(
        registryAddr: Bytes?, namespace: Bytes?, username: Bytes?, password: Bytes?, enterpriseProjectID: Bytes? = nil
    ) {
        self.registryAddr = registryAddr
        self.namespace = namespace
        self.username = username
        self.password = password
        self.enterpriseProjectID = enterpriseProjectID
    }

    package init(
        registryAddr: SecureBuffer?, namespace: SecureBuffer?, username: SecureBuffer?,
        password: SecureBuffer?, enterpriseProjectID: SecureBuffer? = nil
    ) {
        self.init(
            registryAddr: registryAddr.map(Bytes.init), namespace: namespace.map(Bytes.init),
            username: username.map(Bytes.init), password: password.map(Bytes.init),
            enterpriseProjectID: enterpriseProjectID.map(Bytes.init))
    }

    /// Makes the call (HSSClient.perform).
    package func run(on client: HSSClient, now: time_t? = nil) throws -> ImageUploadCommand {
        try client.perform(self, now: now)
    }

    /// The API reference's limits.
    package func validate() throws {
        try Validation.checkText(registryAddr, field: "registry_addr", maxCharacters: 256)
        // Read in place: map's closure was handed a copy (a retain and a release of its owner).
        if let bytes = registryAddr?.buffer { try RegistryAddress.check(bytes, field: "registry_addr") }
        try Validation.checkText(namespace, field: "namespace", maxCharacters: 128)
        try Validation.checkText(username, field: "username", maxCharacters: 128)
        try Validation.checkText(password, field: "password", maxCharacters: 128)
        if enterpriseProjectID != nil {
            try Validation.checkText(enterpriseProjectID, field: "enterprise_project_id", maxCharacters: 256)
        }
    }

    package func request() -> Request {
        var query: [QueryParameter] = []
        query.reserveCapacity(5)
        var owners: [SecureBuffer] = []  // none for the caller's C strings
        // Every argument given: a default one is a call into the module that declares it.
        Self.add("registry_addr", registryAddr, isSecret: false, to: &query, owners: &owners)
        Self.add("namespace", namespace, isSecret: false, to: &query, owners: &owners)
        Self.add("username", username, isSecret: false, to: &query, owners: &owners)
        Self.add("password", password, isSecret: true, to: &query, owners: &owners)
        Self.add("enterprise_project_id", enterpriseProjectID, isSecret: false, to: &query, owners: &owners)
        // Dictionary(), not [:]: the literal calls a builder with an empty list.
        return Request(
            method: .get, pathTemplate: "/v5/{project_id}/image/registries/image-upload-command",
            pathParameters: Dictionary(),
            query: query, owners: owners, headers: [])
    }

    /// Adds `value` (when given) to the query, and what keeps it alive to `owners`.
    /// Read in place (value?.buffer): bound to a name, the value was copied (its owner retained).
    private static func add(
        _ name: StaticString, _ value: Bytes?, isSecret: Bool, to query: inout [QueryParameter],
        owners: inout [SecureBuffer]
    ) {
        guard let bytes = value?.buffer else { return }
        query.append(QueryParameter(name, bytes: bytes, isSecret: isSecret))
        if let owner = value?.owner { owners.append(owner) }
    }

    package func decode(_ body: UnsafeBufferPointer<UInt8>) throws -> ImageUploadCommand {
        ImageUploadCommand(fields: try AnswerFields(body, names: ImageUploadCommand.names))
    }
}

/// The answer. It may embed the password, so its strings stay in the wiped
/// buffer the JSON reader decoded them into.
package struct ImageUploadCommand {
    package static let names: [StaticString] = ["image_command", "images_download_url", "swr_image_pull_command"]
    /// The three strings, in the order of `names` (and of the C API).
    package let fields: AnswerFields

    package var imageCommand: UnsafeBufferPointer<UInt8> { fields[0] }
    package var imagesDownloadURL: UnsafeBufferPointer<UInt8> { fields[1] }
    package var swrImagePullCommand: UnsafeBufferPointer<UInt8> { fields[2] }
}
