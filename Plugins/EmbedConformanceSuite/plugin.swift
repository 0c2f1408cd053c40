import Foundation
import PackagePlugin

/// Compiles the case files under `Conformance/cases/` into the target that declares this plugin,
/// so that an installed `passerelle` carries its suite wherever it runs (`--suite` still reads a folder).
@main
struct EmbedConformanceSuite: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let suite = context.package.directoryURL.appending(path: "Conformance/cases")
        var inputs: [URL] = []
        if let files = FileManager.default.enumerator(at: suite, includingPropertiesForKeys: nil) {
            for case let url as URL in files where url.pathExtension == "json" { inputs.append(url) }
        }
        inputs.sort { $0.path < $1.path }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedSuite.swift")
        return [.buildCommand(displayName: "Embedding \(inputs.count) conformance cases",
                              executable: try context.tool(named: "SuiteEmbedder").url,
                              arguments: [suite.path, output.path],
                              inputFiles: inputs,
                              outputFiles: [output])]
    }
}
