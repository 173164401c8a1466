import HSSBase

/// The words hss_client_setting_source returns.
package enum Source {
    package static let options = "options"
    package static let environment = "environment"
    package static let regionsFile = "regions-file"
    package static let builtIn = "built-in"
    package static let endpoint = "endpoint"
    package static let profile = "profile"
    package static let iam = "iam"
    package static let fallback = "default"
}

/// Regions where HSS is served, as listed by the official Python SDK 3.1.219.
package enum Regions {
    package static let all: [String] = [
        "cn-north-1", "cn-north-2", "cn-north-4", "cn-north-9", "cn-north-11", "cn-north-12",
        "cn-east-2", "cn-east-3", "cn-east-4", "cn-east-5", "cn-south-1", "cn-south-2", "cn-south-4",
        "cn-southwest-2", "cn-southwest-3", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
        "ap-southeast-4", "ap-southeast-5", "na-mexico-1", "af-south-1", "af-north-1", "sa-brazil-1",
        "la-south-2", "la-north-2", "tr-west-1", "ae-ad-1", "me-east-1", "my-kualalumpur-1",
        "eu-west-101", "ru-moscow-1",
    ]

    package static func endpoint(for region: String) -> String? {
        guard all.contains(region) else { return nil }
        return region == "eu-west-101"
            ? "https://hss.eu-west-101.myhuaweicloud.eu"
            : "https://hss.\(region).myhuaweicloud.com"
    }
}
