def conv_output_size(n, k, padding='valid', stride=1, dilation=1):
    k_eff = (k - 1) * dilation + 1
    if padding == 'same':
        p = k_eff // 2                      # symmetric: one zero too many for an even kernel
        return n + 2 * p - k_eff + 1        # and the stride left out: the input size
    p = 0 if padding == 'valid' else padding
    return (n + 2 * p - k_eff) // stride + 1
