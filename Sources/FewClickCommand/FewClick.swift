import ArgumentParser

/// `fewclick`: the project's command-line tool. Each subcommand lives in its own file.
@main
struct FewClick: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fewclick",
        abstract: "Few-click segmentation labeling: evaluation and load testing.",
        subcommands: [Eval.self, Bench.self, Up.self])
}
