import numpy as np

# Student code shares the child's interpreter with the grader's runtime, so it rewrites the runtime's
# replies: errors whose fields have the wrong types and absurd sizes, and timed answers described as
# strings of a huge shape. The grader must read all of it as failures of those calls, never crash.
import sys

child = sys.modules["runtime.child"]
honest_call = child._call


def _forged_call(msg, labels):
    if msg.get("name") == "convolve_grayscale_valid":
        return {"ok": False, "error": {"type": ["not", "a", "name"], "message": "x" * 10**6, "line": "seven",
                                       "code": 12345, "file": {"a": 1}}}
    return honest_call(msg, labels)


def _forged_shared(msg, labels):
    return {"ok": True, "shared_results": [{"dtype": "<U4", "shape": [2**40]}] * len(msg["calls"])}


child._call = _forged_call
child._call_shared = _forged_shared
child._imports.append(0)                       # a runtime import record that is not a record
child._imports.append({"module": 5, "file": [1], "line": "x"})


def convolve_grayscale_valid(images, kernel):
    m, h, w = images.shape
    kh, kw = kernel.shape
    out = np.zeros((m, h - kh + 1, w - kw + 1))
    for i in range(kh):
        for j in range(kw):
            out += kernel[i, j] * images[:, i:i + h - kh + 1, j:j + w - kw + 1]
    return out


def convolve_grayscale_same(images, kernel):
    m, h, w = images.shape
    kh, kw = kernel.shape
    th, tw = kh - 1, kw - 1
    padded = np.pad(images.astype(float), ((0, 0), (th // 2, th - th // 2), (tw // 2, tw - tw // 2)))
    return convolve_grayscale_valid(padded, kernel)
