#!/usr/bin/env python3
"""Every tensor of the SmolLM2 Q4_1 GGUF, dequantized by QuantKit, is bit-identical to gguf-py's
numpy dequantization. Both sides reduce the float32 bit patterns to the checksum of
Sources/Formats/Digest.swift (two wrapping 64-bit sums: plain and position-weighted)."""
import os
import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize
from common import arguments, quantkit, Tally


def checksum(values) -> str:
    bits = np.ascontiguousarray(values, dtype="<f4").reshape(-1).view(np.uint32).astype(np.uint64)
    positions = np.arange(1, bits.size + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        plain = int(bits.sum(dtype=np.uint64))
        weighted = int((bits * positions).sum(dtype=np.uint64))
    return "%016x%016x" % (plain, weighted)


def main():
    a = arguments(__doc__).parse_args()
    path = os.path.join(a.models, "SmolLM2-135M-Instruct.Q4_1.gguf")
    ours = quantkit(a.bin, "inspect", path, "--checksums")["checksums"]
    reader = GGUFReader(path)
    tally = Tally()
    for tensor in reader.tensors:
        expected = checksum(dequantize(tensor.data, tensor.tensor_type))
        if ours.get(tensor.name) != expected:
            tally.check(False, "%s (%s): QuantKit %s, gguf-py %s" % (tensor.name, tensor.tensor_type.name, ours.get(tensor.name), expected))
        else:
            tally.passed += 1
    tally.check(len(ours) == len(reader.tensors), "all %d tensors compared (%d bit-identical)" % (len(reader.tensors), tally.passed))
    tally.finish()


if __name__ == "__main__":
    main()
