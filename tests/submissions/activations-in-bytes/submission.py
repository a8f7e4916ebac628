# Shapes and parameters right; the activations given in bytes of float32 instead of floats.
lenet_shapes = [(28, 28, 6), (14, 14, 6), (10, 10, 16), (5, 5, 16), (400,), (120,), (84,), (10,)]
lenet_params = [156, 0, 2416, 0, 0, 48120, 10164, 850]
lenet_activations = [4 * 28 * 28 * 6, 4 * 14 * 14 * 6, 4 * 10 * 10 * 16, 4 * 5 * 5 * 16, 4 * 400, 4 * 120, 4 * 84,
                     4 * 10]
vgg_shapes = [(112, 112, 128), (112, 112, 128), (56, 56, 128)]
vgg_params = [73856, 147584, 0]
vgg_activations = [4 * 112 * 112 * 128, 4 * 112 * 112 * 128, 4 * 56 * 56 * 128]
