/// Merges adjacent symbols pair by pair in priority order, in O(n log n): a doubly linked list of
/// symbols and a min-heap of candidate pairs, as HF tokenizers' `Word::merge_all` and llama.cpp's
/// SentencePiece session do. Lower `priority` merges first; ties go to the leftmost pair. A popped
/// candidate is skipped if either side has changed since it was queued.
struct PairMerger<Symbol: Equatable> {
    /// The merged symbol and its priority for a pair, or nil if the pair never merges.
    let lookup: (Symbol, Symbol) -> (priority: Double, merged: Symbol)?

    func merge(_ input: [Symbol]) -> [Symbol] {
        var symbols = input
        let count = symbols.count
        guard count > 1 else { return symbols }
        var previous = Array(-1..<(count - 1))
        var next = Array(1...count)
        next[count - 1] = -1
        var alive = [Bool](repeating: true, count: count)
        var heap = Heap()
        func enqueue(_ left: Int) {
            let right = next[left]
            guard right >= 0, let candidate = lookup(symbols[left], symbols[right]) else { return }
            heap.push(.init(priority: candidate.priority, position: left, rightPosition: right))
        }
        for position in 0..<(count - 1) { enqueue(position) }
        while let top = heap.pop() {
            let left = top.position, right = top.rightPosition
            // Stale: a side was merged away or the pair no longer neighbours.
            guard alive[left], alive[right], next[left] == right,
                  let candidate = lookup(symbols[left], symbols[right]), candidate.priority == top.priority else { continue }
            symbols[left] = candidate.merged
            alive[right] = false
            next[left] = next[right]
            if next[right] >= 0 { previous[next[right]] = left }
            if previous[left] >= 0 { enqueue(previous[left]) }
            enqueue(left)
        }
        return symbols.indices.filter { alive[$0] }.map { symbols[$0] }
    }

    struct Candidate {
        let priority: Double
        let position: Int
        let rightPosition: Int
        func precedes(_ other: Candidate) -> Bool {
            priority < other.priority || (priority == other.priority && position < other.position)
        }
    }

    /// A binary min-heap of candidates.
    struct Heap {
        private var items: [Candidate] = []
        mutating func push(_ item: Candidate) {
            items.append(item)
            var child = items.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard items[child].precedes(items[parent]) else { break }
                items.swapAt(child, parent)
                child = parent
            }
        }
        mutating func pop() -> Candidate? {
            guard !items.isEmpty else { return nil }
            let top = items[0]
            let last = items.removeLast()
            if !items.isEmpty {
                items[0] = last
                var parent = 0
                while true {
                    let left = 2 * parent + 1, right = left + 1
                    var best = parent
                    if left < items.count && items[left].precedes(items[best]) { best = left }
                    if right < items.count && items[right].precedes(items[best]) { best = right }
                    if best == parent { break }
                    items.swapAt(parent, best)
                    parent = best
                }
            }
            return top
        }
    }
}
