using NetGen;

namespace FashionSample;

/// <summary>
/// A small network for 28x28 grey images in ten classes (Fashion-MNIST): two convolutions with
/// pooling, then two dense layers. About 0.4 million parameters; an epoch of the 4,000-image sample
/// trains in seconds on a CPU. Weights start from He's standard deviation, sqrt(2 / fan-in), and the
/// inputs are divided by their standard deviation to suit them.
/// </summary>
[Network(Channels = 1, Height = 28, Width = 28)]
[TrainingDefaults(Epochs = 5, BatchSize = 64, LearningRate = 0.02f, Flip = false, Normalise = true)]
public sealed partial class FashionNet
{
    [Conv(32, Kernel = 5, Pad = 2, WeightStd = 0.28f, BiasInit = 0.1f), Relu, MaxPool(2)]
    public partial Layer Conv1 { get; }

    [Conv(64, Kernel = 5, Pad = 2, WeightStd = 0.05f, BiasInit = 0.1f), Relu, MaxPool(2)]
    public partial Layer Conv2 { get; }

    [Dense(128, WeightStd = 0.025f, BiasInit = 0.1f), Relu, Dropout(0.3f)]
    public partial Layer Fc1 { get; }

    [Dense(10, WeightStd = 0.01f), Softmax]
    public partial Layer Fc2 { get; }
}
