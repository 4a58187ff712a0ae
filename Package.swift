// swift-tools-version:6.0
// lai: a local-AI toolkit. One core library (LAICore), one thin CLI (lai).
import PackageDescription

let package = Package(
    name: "lai",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "lai", targets: ["lai"]),
        .library(name: "LAICore", targets: ["LAICore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // lai serve: the HTTP server (Hummingbird, with TLS), graceful shutdown on SIGTERM, logging, Prometheus metrics.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
        // lai serve --oidc-*: bearer JWTs verified against the identity provider's JWKS.
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.0"),
        // lai index --encrypt: AES-256-GCM and HKDF for knowledge bases at rest (already resolved through jwt-kit).
        .package(url: "https://github.com/apple/swift-crypto.git", "4.1.0"..<"6.0.0"),
    ],
    targets: [
        // AVX2/FMA/F16C block kernels; compiled to stubs (and unused) when the target lacks AVX2.
        .target(
            name: "LAIKernels",
            path: "Sources/LAIKernels",
            cSettings: [.unsafeFlags(["-O3"])]
        ),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        // zstd (Debian's libzstd-dev): the vector store's compressed text and keyword files.
        .systemLibrary(name: "CZstd", path: "Sources/CZstd"),
        .target(
            name: "LAICore",
            dependencies: [
                "LAIKernels", "CBLAS", "CZstd",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/LAICore"
        ),
        .executableTarget(
            name: "lai",
            dependencies: [
                "LAICore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/lai"
        ),
        .testTarget(name: "LAICoreTests", dependencies: ["LAICore"], path: "Tests/LAICoreTests"),
        .testTarget(name: "laiTests", dependencies: ["lai"], path: "Tests/laiTests"),
    ],
    swiftLanguageModes: [.v5]
)
