public import Configuration
import SystemPackage

/// Builds the process's `ConfigReader` from its four sources.
public enum ConfigurationLoader {
    /// - Parameters:
    ///   - flags: Values given on the command line, by key (`http.port`); they win over everything.
    ///   - environment: The process environment; `EMPORIUM_`-prefixed variables are read.
    ///   - file: A JSON config file (nested objects: `{"http": {"port": 8080}}`), if given.
    /// - Throws: when the file is missing or is not valid JSON.
    public static func reader(
        flags: [String: String],
        environment: [String: String],
        file: String?
    ) async throws -> ConfigReader {
        var providers: [any ConfigProvider] = [
            InMemoryProvider(name: "flags", values: values(flags)),
            EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: "emporium"),
        ]
        if let file {
            providers.append(try await FileProvider<JSONSnapshot>(filePath: FilePath(file)))
        }
        providers.append(InMemoryProvider(name: "defaults", values: values(RuntimeSettings.defaults)))
        return ConfigReader(providers: providers)
    }

    private static func values(_ strings: [String: String]) -> [AbsoluteConfigKey: ConfigValue] {
        Dictionary(uniqueKeysWithValues: strings.map { key, value in
            (AbsoluteConfigKey(ConfigKey(key)), ConfigValue(.string(value), isSecret: key.hasSuffix("url") || key.hasPrefix("security.")))
        })
    }
}
