# Worked by hand as a true convolution: the kernel flipped before sliding it, which for this
# vertical-edge kernel turns every value into its negative.
output_00 = -1
output_full = [[-1, -3, 2],
               [1, 0, -3],
               [1, 1, -2]]
