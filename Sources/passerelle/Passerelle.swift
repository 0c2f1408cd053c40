import ArgumentParser

@main
struct Passerelle: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passerelle",
        abstract: "WebSocket protocol-compliance and legacy-bridge gateway (hixie-75/76, hybi-07/08, RFC 6455, permessage-deflate).",
        subcommands: [Serve.self, ClientCommand.self, Decode.self, ConformanceCommand.self, BenchCommand.self],
        defaultSubcommand: Serve.self
    )

    /// `--config FILE` expanded into the flags it holds before ArgumentParser reads the command line.
    static func main() {
        do {
            let arguments = try ConfigFile.expand(Array(CommandLine.arguments.dropFirst()))
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
