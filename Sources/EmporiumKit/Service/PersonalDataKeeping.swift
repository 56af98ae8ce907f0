/// A service that keeps personal data sealed with the data keys (its module in the service table
/// says `storesPersonalData: true`). `emporium admin rotate-data-key` finds every such service
/// through the table and re-encrypts its data; nothing in the command names a service.
public protocol PersonalDataKeeping: EmporiumService {
    /// Re-encrypts every sealed value of the service's database under the active data key.
    /// - Returns: How many values were re-encrypted.
    func reencryptPersonalData() async throws -> Int
}
