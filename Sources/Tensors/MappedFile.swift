import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory map of a whole file. Tensors that view it keep it alive, so model weights are
/// paged in on demand and never copied (a 500 MB checkpoint costs no heap).
public final class MappedFile: @unchecked Sendable {
    // Sendable: the mapping is immutable (PROT_READ) for its whole life and unmapped only in deinit.
    public let url: URL
    public let bytes: UnsafeRawBufferPointer

    /// Maps `url` read-only. An empty file maps to an empty buffer.
    public init(url: URL) throws(TensorError) {
        self.url = url
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { throw .cannotOpen(path: url.path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .cannotOpen(path: url.path, reason: String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .cannotOpen(path: url.path, reason: "not a regular file") }
        let size = Int(info.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw .cannotOpen(path: url.path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}

extension Tensor {
    /// For a tensor that views a mapped file: tells the kernel its pages are not needed for now, so
    /// they leave this process's resident memory (touching them again re-reads the file). Quantizing
    /// streams through a model once, and without this every layer it passed would stay resident.
    /// Pages shared with neighbouring bytes are kept (the range is rounded inward). Heap tensors are
    /// left alone.
    public func releaseMappedPages() {
        guard !storage.isWritable, let base = storage.base, byteCount > 0 else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = Int(bitPattern: base) + byteOffset
        let first = (start + page - 1) / page * page, end = (start + byteCount) / page * page
        guard end > first, let pointer = UnsafeMutableRawPointer(bitPattern: first) else { return }
        _ = madvise(pointer, end - first, Int32(MADV_DONTNEED))
    }
}
