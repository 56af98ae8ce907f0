import NIOCore
import NIOSSL

/// Building the TLS client context from ``SMTPConfiguration/TLS``; made once per client and
/// shared by its connections.
enum SMTPTLS {
    /// The context for `configuration`, or `nil` when it never uses TLS.
    ///
    /// - Throws: ``SMTPError/invalidConfiguration(_:)`` when the trust roots cannot be loaded.
    static func makeContext(for configuration: SMTPConfiguration) throws(SMTPError) -> NIOSSLContext? {
        if configuration.security == .plaintext { return nil }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        switch configuration.tls.trustRoots {
        case .system:
            tls.trustRoots = .default
        case .file(let path):
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(path))
            } catch {
                throw .invalidConfiguration("cannot read the CA certificates in '\(path)': \(error)")
            }
        }
        switch configuration.tls.verification {
        case .full: tls.certificateVerification = .fullVerification
        case .noHostnameVerification: tls.certificateVerification = .noHostnameVerification
        case .none: tls.certificateVerification = .none
        }
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw .invalidConfiguration("cannot set up TLS: \(error)")
        }
    }

    /// The name sent with SNI and checked against the certificate: the configured server name
    /// or host, or `nil` for an IP address (then the certificate must list that address).
    static func serverHostname(for configuration: SMTPConfiguration) -> String? {
        let name = configuration.tls.serverName ?? configuration.host
        if (try? SocketAddress(ipAddress: name, port: 0)) != nil { return nil }
        return name
    }
}
