import math


def conv_output_size(n, k, padding='valid', stride=1, dilation=1):
    k_eff = (k - 1) * dilation + 1
    if padding == 'same':
        return str(math.ceil(n / stride))          # the right number, as a string
    p = 0 if padding == 'valid' else padding
    return str((n + 2 * p - k_eff) // stride + 1)


def conv_params(kh, kw, in_channels, filters, use_bias=True):
    return float(kh * kw * in_channels * filters + (filters if use_bias else 0))


def dense_params(in_features, units, use_bias=True):
    return float(in_features * units + (units if use_bias else 0))


def separable_params(kh, kw, in_channels, filters, depth_multiplier=1, use_bias=True):
    mid = in_channels * depth_multiplier
    return float(kh * kw * mid + mid * filters + (filters if use_bias else 0))


output_00 = "1"
