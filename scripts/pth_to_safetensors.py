"""Converts a legacy (pre-zip) PyTorch checkpoint of float32 tensors to safetensors.

Used once at setup for EfficientNet-Lite0's weights; the server loads the result in Rust. Reads
the pickle with a restricted unpickler (no torch, no arbitrary classes) and the raw storages
that follow it. Usage: pth_to_safetensors.py IN.pth OUT.safetensors
"""
import array
import collections
import itertools
import json
import pickle
import struct
import sys

ELEMENT_SIZE = {"FloatStorage": 4, "LongStorage": 8, "IntStorage": 4, "DoubleStorage": 8}


class Restricted(pickle.Unpickler):
    def find_class(self, module, name):
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return lambda storage, offset, size, stride, *rest: ("tensor", storage, offset, tuple(size), tuple(stride))
        if module == "torch" and name in ELEMENT_SIZE:
            return name
        raise pickle.UnpicklingError(f"refusing {module}.{name}")

    def persistent_load(self, pid):
        kind, storage_type, key, _location, numel, _view = pid
        assert kind == "storage"
        return (storage_type, key, numel)


def gather(storage, start, shape, stride):
    """The tensor's elements in row-major order, whatever its strides."""
    values = array.array("f")
    values.frombytes(storage)
    if sys.byteorder != "little":
        values.byteswap()
    out = array.array("f")
    ranges = [range(n) for n in shape]
    for index in itertools.product(*ranges):
        out.append(values[start + sum(i * s for i, s in zip(index, stride))])
    if sys.byteorder != "little":
        out.byteswap()
    return out.tobytes()


def main(src, dst):
    with open(src, "rb") as f:
        if Restricted(f).load() != 0x1950A86A20F9469CFC6C:
            raise SystemExit("not a legacy PyTorch checkpoint")
        Restricted(f).load()  # protocol version
        Restricted(f).load()  # system info
        state = Restricted(f).load()
        keys = Restricted(f).load()
        types = {value[1][1]: value[1][0] for value in state.values()}
        data = {}
        for key in keys:
            (numel,) = struct.unpack("<q", f.read(8))
            data[key] = f.read(numel * ELEMENT_SIZE[types.get(key, "FloatStorage")])
    header, blobs, offset = {}, [], 0
    for name, (_, (storage_type, key, _numel), start, shape, stride) in state.items():
        if storage_type != "FloatStorage":
            continue  # num_batches_tracked and the like
        blob = gather(data[key], start, shape, stride)
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(dst, "wb") as out:
        out.write(struct.pack("<Q", len(text)))
        out.write(text)
        for blob in blobs:
            out.write(blob)
    print(f"{len(header)} tensors, {offset} bytes -> {dst}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
