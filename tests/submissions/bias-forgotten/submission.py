def conv_params(kh, kw, in_channels, filters, use_bias=True):
    return kh * kw * in_channels * filters


def dense_params(in_features, units, use_bias=True):
    return in_features * units


def separable_params(kh, kw, in_channels, filters, depth_multiplier=1, use_bias=True):
    return kh * kw * in_channels * depth_multiplier + in_channels * depth_multiplier * filters


layer_shapes = [(26, 26, 32), (13, 13, 32), (11, 11, 64), (5, 5, 64), (64,), (10,)]
layer_params = [3 * 3 * 1 * 32, 0, 3 * 3 * 32 * 64, 0, 0, 64 * 10]
