namespace NetGen.Networks;

/// <summary>
/// A small residual network for 28x28 grayscale images (Fashion-MNIST): a stem, two stages of one
/// basic block each (16 and 32 channels; the second halves the size through a strided convolution
/// and a 1x1 projection shortcut), global average pooling and a dense classifier. Every
/// convolution is followed by batch normalisation, so none has a bias. Declared in the language
/// alone: <c>Input = nameof(...)</c> reads an earlier layer, <c>Add(nameof(...))</c> is the residual
/// connection.
/// </summary>
[Network(Channels = 1, Height = 28, Width = 28, Round = Rounding.Floor, Init = Init.HeNormal)]
public sealed partial class ResNet8
{
    /// <summary>16 x 28 x 28.</summary>
    [Conv(16, Kernel = 3, Pad = 1, Bias = false), BatchNorm, Relu] public partial Layer Stem { get; }

    /// <summary>The first block's first convolution.</summary>
    [Conv(16, Kernel = 3, Pad = 1, Bias = false), BatchNorm, Relu] public partial Layer Block1a { get; }

    /// <summary>The first block's second convolution, plus the stem (the identity shortcut).</summary>
    [Conv(16, Kernel = 3, Pad = 1, Bias = false), BatchNorm, Add(nameof(Stem)), Relu] public partial Layer Block1b { get; }

    /// <summary>The second block's shortcut: a 1x1 projection to 32 x 14 x 14.</summary>
    [Conv(32, Kernel = 1, Stride = 2, Bias = false, Input = nameof(Block1b)), BatchNorm] public partial Layer Shortcut2 { get; }

    /// <summary>The second block's first convolution, halving the size: 32 x 14 x 14.</summary>
    [Conv(32, Kernel = 3, Stride = 2, Pad = 1, Bias = false, Input = nameof(Block1b)), BatchNorm, Relu] public partial Layer Block2a { get; }

    /// <summary>The second block's second convolution, plus the shortcut, then the mean of each channel: 32.</summary>
    [Conv(32, Kernel = 3, Pad = 1, Bias = false), BatchNorm, Add(nameof(Shortcut2)), Relu, GlobalAvgPool] public partial Layer Block2b { get; }

    /// <summary>The ten classes.</summary>
    [Dense(10), Softmax] public partial Layer Classifier { get; }
}
