using NetGen;

namespace NetGen.Networks;

/// <summary>
/// A residual network for 28x28 grayscale images (Fashion-MNIST), in the shape of He et al.'s CIFAR
/// ResNets (6n + 2 layers, here n = 2): a stem, then three stages of two basic blocks each, with 32,
/// 64 and 128 channels on 14x14, 7x7 and 4x4 planes, global average pooling and a dense classifier.
/// The first block of stages two and three halves the plane with a strided convolution, and its
/// shortcut is a strided 1x1 projection; every other shortcut is the identity. Every convolution is
/// followed by batch normalisation, so none has a bias.
/// </summary>
/// <remarks>
/// The stem's 2x2 max pool brings the image to 14x14 before any block: a stage on 28x28 planes would
/// cost as much as the other two together, and MiniAlexNet's first pool showed that Fashion-MNIST
/// loses little there. 696,042 parameters, 22.3 million multiply-adds an image.
/// <para>
/// The training defaults are the recipe that reaches 94% on the Fashion-MNIST test set within 20
/// minutes on two cores (docs/fashion-mnist.md has the runs behind each choice): 18 epochs of SGD
/// with Nesterov momentum 0.9 under a one-cycle schedule peaking at 0.1; weight decay 0.0005 on the
/// weights only; label smoothing 0.1; random crops from images padded by 1, and no flips (every shoe
/// in the dataset points left). In so short a run the network is still fitting: each of the lower
/// peak rate, the smaller shifts and the missing flips let it fit faster and ended higher.
/// </para>
/// </remarks>
[Network(Channels = 1, Height = 28, Width = 28, Round = Rounding.Floor, Init = Init.HeNormal)]
[TrainingDefaults(Epochs = 18, LearningRate = 0.1f, Optimizer = Optimizer.Sgd, Nesterov = true, WeightDecay = 0.0005f,
    Schedule = Schedule.OneCycle, LabelSmoothing = 0.1f, Pad = 1, Flip = false, Normalise = true)]
public sealed partial class ResNet14
{
    /// <summary>32 x 28 x 28, pooled to 32 x 14 x 14.</summary>
    [Conv(32, Kernel = 3, Pad = 1, Bias = false), BatchNorm, Relu, MaxPool(2, Stride = 2)] public partial Layer Stem { get; }

    /// <summary>Stage one, block one: 32 x 14 x 14.</summary>
    [Conv(32, Kernel = 3, Pad = 1, Bias = false), BatchNorm, Relu] public partial Layer Block1a { get; }

    /// <summary>Plus the stem (the identity shortcut).</summary>
    [Conv(32, Kernel = 3, Pad = 1, Bias = false), BatchNorm, Add(nameof(Stem)), Relu] public partial Layer Block1b { get; }

    /// <summary>Stage one, block two.</summary>
    [Conv(32, Kernel = 3, Pad = 1, Bias = false), BatchNorm, Relu] public partial Layer Block2a { get; }

    /// <summary>Plus block one.</summary>
    [Conv(32, Kernel = 3, Pad = 1, Bias = false), BatchNorm, Add(nameof(Block1b)), Relu] public partial Layer Block2b { get; }

    /// <summary>Stage two's shortcut: a strided 1x1 projection to 64 x 7 x 7.</summary>
    [Conv(64, Kernel = 1, Stride = 2, Bias = false, Input = nameof(Block2b)), BatchNorm] public partial Layer Shortcut3 { get; }

    /// <summary>Stage two, block one, halving the plane: 64 x 7 x 7.</summary>
    [Conv(64, Kernel = 3, Stride = 2, Pad = 1, Bias = false, Input = nameof(Block2b)), BatchNorm, Relu] public partial Layer Block3a { get; }

    /// <summary>Plus the projection.</summary>
    [Conv(64, Kernel = 3, Pad = 1, Bias = false), BatchNorm, Add(nameof(Shortcut3)), Relu] public partial Layer Block3b { get; }

    /// <summary>Stage two, block two.</summary>
    [Conv(64, Kernel = 3, Pad = 1, Bias = false), BatchNorm, Relu] public partial Layer Block4a { get; }

    /// <summary>Plus block three.</summary>
    [Conv(64, Kernel = 3, Pad = 1, Bias = false), BatchNorm, Add(nameof(Block3b)), Relu] public partial Layer Block4b { get; }

    /// <summary>Stage three's shortcut: 128 x 4 x 4.</summary>
    [Conv(128, Kernel = 1, Stride = 2, Bias = false, Input = nameof(Block4b)), BatchNorm] public partial Layer Shortcut5 { get; }

    /// <summary>Stage three, block one, halving the plane: 128 x 4 x 4.</summary>
    [Conv(128, Kernel = 3, Stride = 2, Pad = 1, Bias = false, Input = nameof(Block4b)), BatchNorm, Relu] public partial Layer Block5a { get; }

    /// <summary>Plus the projection.</summary>
    [Conv(128, Kernel = 3, Pad = 1, Bias = false), BatchNorm, Add(nameof(Shortcut5)), Relu] public partial Layer Block5b { get; }

    /// <summary>Stage three, block two.</summary>
    [Conv(128, Kernel = 3, Pad = 1, Bias = false), BatchNorm, Relu] public partial Layer Block6a { get; }

    /// <summary>Plus block five, then the mean of each channel: 128.</summary>
    [Conv(128, Kernel = 3, Pad = 1, Bias = false), BatchNorm, Add(nameof(Block5b)), Relu, GlobalAvgPool] public partial Layer Block6b { get; }

    /// <summary>The ten classes.</summary>
    [Dense(10), Softmax] public partial Layer Classifier { get; }
}
