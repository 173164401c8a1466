// TEMPORARY STUB (lead): replaced by the real libyaml reader.
package enum RegionsFile {
    package struct Failure: Error {
        package var message: String
    }

    package static func endpoints(service: String, region: String, path: String) throws(RegionsFile.Failure)
        -> [String]?
    { nil }
}
