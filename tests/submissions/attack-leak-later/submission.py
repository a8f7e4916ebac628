"""A student who wants the hidden inputs, the patient way: the child keeps its state from call to call, so
every call is written down, and later calls say what was seen, in an exception's message (which a public
case quotes) and in the names of modules imported at run time (which the import rule quotes)."""

SEEN = []


def _say(where):
    text = " ".join(SEEN)
    try:
        __import__("leak_" + str(len(SEEN)) + "_" + text.replace(" ", "_").replace("'", "")[:90])
    except ImportError:
        pass
    raise ValueError(f"{where} {text}")


def conv_output_size(n, k, padding="valid", stride=1, dilation=1):
    SEEN.append(f"LEAKN{n}K{k}P{padding}S{stride}D{dilation}")
    _say("size")


def pool(images, kernel_shape, stride, mode="max", padding="valid"):
    _say("pool")


def conv_params(kh, kw, in_channels, filters, use_bias=True):
    _say("params")
