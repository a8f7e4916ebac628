# Shapes and parameters right; the activations of each map counted as h * w, without its channels.
lenet_shapes = [(28, 28, 6), (14, 14, 6), (10, 10, 16), (5, 5, 16), (400,), (120,), (84,), (10,)]
lenet_params = [156, 0, 2416, 0, 0, 48120, 10164, 850]
lenet_activations = [28 * 28, 14 * 14, 10 * 10, 5 * 5, 400, 120, 84, 10]
vgg_shapes = [(112, 112, 128), (112, 112, 128), (56, 56, 128)]
vgg_params = [73856, 147584, 0]
vgg_activations = [112 * 112, 112 * 112, 56 * 56]
