import numpy as np

# Strings a terminal, an XML file or a UTF-8 file cannot take as they are: a lone surrogate, NUL, a bell,
# ANSI colour codes and a right-to-left override, in an exception's message, a returned string and a
# parameter's name. Every output format must still be written, and parse.


def global_average_pool(images):
    raise ValueError("bad \ud800 \x00 \x1b[31m red \x07 \u202e txet")


def pool(images, kernel_shape, stride, mode="max", padding="valid"):
    return "\udcff\x00\x1b[2J"


exec("def conv_output_size(n, k, padding='valid', stride=1, dilation=1):\n    raise KeyError('\\udfff')")
