// swift-tools-version: 6.1
import PackageDescription

/// Native code generation for every build: without `-march=native`, Float16 conversions and
/// fused multiply-adds become library calls per element, and SIMD integer→float conversions in
/// the quantized kernels only inline with a raised inline threshold (Docs/ARCHITECTURE.md).
let nativeSwift: [SwiftSetting] = [
    .unsafeFlags(["-Xcc", "-march=native", "-Xllvm", "-inline-threshold=2000"]),
]
let nativeC: [CSetting] = [.unsafeFlags(["-march=native", "-O3"])]

let package = Package(
    name: "QuantKit",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "quantkit", targets: ["quantkit"]),
        .library(name: "QuantKit", targets: ["Tensors", "Formats", "Tokenizers", "Models", "Quantization", "Evaluation", "Exporters"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenBLAS",
            path: "Sources/COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]
        ),
        .target(name: "Tensors", dependencies: ["COpenBLAS"], swiftSettings: nativeSwift),
        .target(name: "Formats", dependencies: ["Tensors", "Tokenizers"], swiftSettings: nativeSwift),
        .target(name: "Tokenizers", swiftSettings: nativeSwift),
        .target(name: "Models", dependencies: ["Tensors", "Formats", "Tokenizers"], swiftSettings: nativeSwift),
        .target(name: "Evaluation", dependencies: ["Models", "Tensors"], swiftSettings: nativeSwift),
        .target(name: "Quantization", dependencies: ["Models", "Tensors", .product(name: "Yams", package: "Yams")],
                swiftSettings: nativeSwift),
        .target(name: "Exporters", dependencies: ["Quantization", "Models", "Formats", "Tokenizers", "Tensors"], swiftSettings: nativeSwift),
        .target(name: "TestSupport", dependencies: ["Models", "Tensors"], swiftSettings: nativeSwift),
        .executableTarget(
            name: "quantkit",
            dependencies: [
                "Tensors", "Formats", "Tokenizers", "Models", "Evaluation", "Quantization", "Exporters",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: nativeSwift
        ),
        .executableTarget(
            name: "quantkit-bench",
            dependencies: ["Tensors", "Formats", "Tokenizers", "Models",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: nativeSwift
        ),
        .testTarget(
            name: "ModelsTests", dependencies: ["Models", "Formats", "Tensors", "TestSupport"],
            resources: [.copy("Fixtures")], swiftSettings: nativeSwift),
        .testTarget(
            name: "QuantizationTests", dependencies: ["Quantization", "Exporters", "Models", "Formats", "Tensors", "TestSupport"],
            resources: [.copy("Fixtures")], swiftSettings: nativeSwift),
        .testTarget(name: "ExportersTests", dependencies: ["Exporters", "Quantization", "Models", "Formats", "Tokenizers", "Tensors", "TestSupport"],
                    swiftSettings: nativeSwift),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Models", "Tensors", "TestSupport"], swiftSettings: nativeSwift),
        .testTarget(
            name: "TensorsTests", dependencies: ["Tensors"], resources: [.copy("Fixtures")], swiftSettings: nativeSwift),
        .testTarget(
            name: "FormatsTests", dependencies: ["Formats", "Tensors"],
            resources: [.copy("Fixtures")], swiftSettings: nativeSwift),
        .testTarget(
            name: "TokenizersTests", dependencies: ["Tokenizers", "Formats"],
            resources: [.copy("Fixtures")], swiftSettings: nativeSwift),
    ],
    swiftLanguageModes: [.v6]
)
