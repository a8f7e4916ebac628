# LeNet-5's 'valid' convolutions worked out as if they kept the size ('same'); the VGG block is right.
lenet_shapes = [(32, 32, 6), (16, 16, 6), (16, 16, 16), (8, 8, 16), (1024,), (120,), (84,), (10,)]
lenet_params = [156, 0, 2416, 0, 0, 1024 * 120 + 120, 10164, 850]
lenet_activations = [32 * 32 * 6, 16 * 16 * 6, 16 * 16 * 16, 8 * 8 * 16, 1024, 120, 84, 10]
vgg_shapes = [(112, 112, 128), (112, 112, 128), (56, 56, 128)]
vgg_params = [73856, 147584, 0]
vgg_activations = [112 * 112 * 128, 112 * 112 * 128, 56 * 56 * 128]
