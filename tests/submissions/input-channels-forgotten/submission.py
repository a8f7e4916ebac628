def conv_params(kh, kw, in_channels, filters, use_bias=True):
    return kh * kw * filters + (filters if use_bias else 0)          # one kh x kw kernel per filter


def dense_params(in_features, units, use_bias=True):
    return in_features * units + (units if use_bias else 0)


def separable_params(kh, kw, in_channels, filters, depth_multiplier=1, use_bias=True):
    depthwise = kh * kw * depth_multiplier                           # one kernel, not one per channel
    pointwise = in_channels * depth_multiplier * filters
    return depthwise + pointwise + (filters if use_bias else 0)


layer_shapes = [(26, 26, 32), (13, 13, 32), (11, 11, 64), (5, 5, 64), (64,), (10,)]
layer_params = [3 * 3 * 32 + 32, 0, 3 * 3 * 64 + 64, 0, 0, 64 * 10 + 10]
