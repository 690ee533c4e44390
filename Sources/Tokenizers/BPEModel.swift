/// Byte-pair encoding over token ids: a word's symbols are merged pair by pair, lowest merge rank
/// first (leftmost on ties, as HF tokenizers and llama.cpp do), until no ranked pair remains.
final class BPEModel: @unchecked Sendable {
    // Sendable: the vocabulary and merges are immutable; the word cache is guarded by a lock.
    let tokenToId: [String: Int]
    let idToToken: [String]
    /// (left id, right id) → (rank, merged id)
    private let merges: [UInt64: (rank: Int, merged: Int)]
    let unknownId: Int?
    let byteFallback: Bool
    /// HF `ignore_merges`: a word that is itself in the vocabulary is emitted whole.
    let ignoreMerges: Bool
    private var cache: [String: [Int]] = [:]
    private let lock = Lock()

    init(tokenToId: [String: Int], idToToken: [String], merges: [(String, String)], unknownId: Int?,
         byteFallback: Bool, ignoreMerges: Bool) throws(TokenizerError) {
        self.tokenToId = tokenToId
        self.idToToken = idToToken
        self.unknownId = unknownId
        self.byteFallback = byteFallback
        self.ignoreMerges = ignoreMerges
        var table: [UInt64: (rank: Int, merged: Int)] = [:]
        table.reserveCapacity(merges.count)
        for (rank, (left, right)) in merges.enumerated() {
            guard let a = tokenToId[left], let b = tokenToId[right], let merged = tokenToId[left + right] else {
                throw .invalidVocabulary(reason: "merge #\(rank) '\(left) \(right)' names a token missing from the vocabulary")
            }
            let key = UInt64(a) << 32 | UInt64(b)
            if table[key] == nil { table[key] = (rank, merged) }
        }
        self.merges = table
    }

    /// Ids of one pre-tokenized word (already in the model's alphabet, e.g. byte-level characters).
    func encode(word: String, into ids: inout [Int]) {
        if let cached = lock.withLock({ cache[word] }) { ids += cached; return }
        var result: [Int] = []
        if ignoreMerges, let whole = tokenToId[word] {
            result = [whole]
        } else {
            result = merge(initialSymbols(word))
        }
        // Long "words" (whole texts, for tokenizers without a pre-tokenizer) are not worth caching.
        if word.utf8.count <= 256 { lock.withLock { if cache.count < 200_000 { cache[word] = result } } }
        ids += result
    }

    private func initialSymbols(_ word: String) -> [Int] {
        var symbols: [Int] = []
        for character in word.unicodeScalars {
            let text = String(character)
            if let id = tokenToId[text] {
                symbols.append(id)
            } else if byteFallback {
                for byte in text.utf8 {
                    if let id = tokenToId[String(format: "<0x%02X>", byte)] { symbols.append(id) } else if let unknownId { symbols.append(unknownId) }
                }
            } else if let unknownId {
                // HF fuses consecutive unknowns (fuse_unk) for the models that use it.
                if symbols.last != unknownId { symbols.append(unknownId) }
            }
        }
        return symbols
    }

    private func merge(_ input: [Int]) -> [Int] {
        PairMerger<Int>(lookup: { left, right in
            self.merges[UInt64(left) << 32 | UInt64(right)].map { (Double($0.rank), $0.merged) }
        }).merge(input)
    }
}

/// A small mutual-exclusion lock over pthread, available on Linux and macOS alike.
final class Lock: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body()
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
