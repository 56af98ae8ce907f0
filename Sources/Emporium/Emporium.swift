import ArgumentParser
@main struct EmporiumCommand: AsyncParsableCommand { func run() async throws {} }
