using NetGen;

namespace NetGen.Networks;

/// <summary>
/// The original two-column AlexNet (Krizhevsky, Sutskever, Hinton 2012), as ALEXNET.md specifies it:
/// 227x227 RGB input, grouped conv2/4/5 (each column reads only its own maps), response
/// normalisation after conv1 and conv2, overlapping 3/2 max pooling, dropout in fc6 and fc7.
/// Weights start from N(0, 0.01); biases are 1 in conv2, conv4, conv5, fc6 and fc7, 0 elsewhere.
/// Training follows the paper: images brought to 256x256, random 227x227 crops, flips and PCA colour,
/// batch 128, learning rate 0.01 divided by 10 on plateaus, weight decay 0.0005 on every parameter.
/// </summary>
[Network(Channels = 3, Height = 227, Width = 227, Columns = 2)]
[TrainingDefaults(ImageSize = 256, DecayAll = true)]
public sealed partial class AlexNet
{
    [Conv(96, Kernel = 11, Stride = 4), Relu, Lrn(5, Alpha = 1e-4f, Beta = 0.75f, K = 2f), MaxPool(3, Stride = 2)]
    public partial Layer Conv1 { get; }

    [Conv(256, Kernel = 5, Pad = 2, Groups = 2, BiasInit = 1f), Relu, Lrn(5), MaxPool(3, Stride = 2)]
    public partial Layer Conv2 { get; }

    [Conv(384, Kernel = 3, Pad = 1), Relu]
    public partial Layer Conv3 { get; }

    [Conv(384, Kernel = 3, Pad = 1, Groups = 2, BiasInit = 1f), Relu]
    public partial Layer Conv4 { get; }

    [Conv(256, Kernel = 3, Pad = 1, Groups = 2, BiasInit = 1f), Relu, MaxPool(3, Stride = 2)]
    public partial Layer Conv5 { get; }

    [Dense(4096, BiasInit = 1f), Relu, Dropout(0.5f)]
    public partial Layer Fc6 { get; }

    [Dense(4096, BiasInit = 1f), Relu, Dropout(0.5f)]
    public partial Layer Fc7 { get; }

    [Dense(1000), Softmax]
    public partial Layer Fc8 { get; }
}
