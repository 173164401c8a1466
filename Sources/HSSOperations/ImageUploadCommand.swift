import HSSBase
import HSSPipeline

/// ShowImageUploadCommand: GET /v5/{project_id}/image/registries/image-upload-command.
/// Inputs are bytes that can be wiped.
package struct ShowImageUploadCommand: Operation {
    package var registryAddr: SecureBuffer?
    package var namespace: SecureBuffer?
    package var username: SecureBuffer?
    package var password: SecureBuffer?
    package var enterpriseProjectID: SecureBuffer?

    package init(
        registryAddr: SecureBuffer?, namespace: SecureBuffer?, username: SecureBuffer?,
        password: SecureBuffer?, enterpriseProjectID: SecureBuffer? = nil
    ) {
        self.registryAddr = registryAddr
        self.namespace = namespace
        self.username = username
        self.password = password
        self.enterpriseProjectID = enterpriseProjectID
    }

    /// The API reference's limits.
    package func validate() throws {
        try Validation.checkText(registryAddr, field: "registry_addr", maxCharacters: 256)
        try registryAddr.map { try RegistryAddress.check($0.string()) }
        try Validation.checkText(namespace, field: "namespace", maxCharacters: 128)
        try Validation.checkText(username, field: "username", maxCharacters: 128)
        try Validation.checkText(password, field: "password", maxCharacters: 128)
        if enterpriseProjectID != nil {
            try Validation.checkText(enterpriseProjectID, field: "enterprise_project_id", maxCharacters: 256)
        }
    }

    package func request() -> Request {
        let parameters: [(String, SecureBuffer?, Bool)] = [
            ("registry_addr", registryAddr, false), ("namespace", namespace, false), ("username", username, false),
            ("password", password, true), ("enterprise_project_id", enterpriseProjectID, false),
        ]
        return Request(
            method: .get, pathTemplate: "/v5/{project_id}/image/registries/image-upload-command",
            query: parameters.compactMap { name, value, secret in
                value.map { QueryParameter(name, $0, isSecret: secret) }
            })
    }

    package func decode(_ answer: JSONDocument) throws -> ImageUploadCommand {
        ImageUploadCommand(
            imageCommand: try answer.requiredText("image_command"),
            imagesDownloadURL: try answer.requiredText("images_download_url"),
            swrImagePullCommand: try answer.requiredText("swr_image_pull_command"))
    }
}

/// The answer. It may embed the password, so its strings stay in the wiped
/// buffers the JSON reader decoded them into.
package struct ImageUploadCommand {
    package let imageCommand: SecureBuffer
    package let imagesDownloadURL: SecureBuffer
    package let swrImagePullCommand: SecureBuffer
}
