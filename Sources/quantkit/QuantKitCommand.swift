import ArgumentParser

@main
struct QuantKitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantkit",
        abstract: "Quantize, evaluate, run and serve large language models on CPU.",
        subcommands: [InspectCommand.self, TokenizeCommand.self, EvalCommand.self, GenerateCommand.self, QuantizeCommand.self, ConvertCommand.self,
                      LogitsCommand.self]
    )
}
