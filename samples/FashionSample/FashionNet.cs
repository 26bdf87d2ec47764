using NetGen;

namespace FashionSample;

/// <summary>
/// A small network for 28x28 grey images in ten classes (Fashion-MNIST): two convolutions with
/// pooling, then two dense layers. About 0.4 million parameters; an epoch of the 4,000-image sample
/// trains in seconds on a CPU.
/// </summary>
[Network(Channels = 1, Height = 28, Width = 28)]
[TrainingDefaults(Epochs = 5, BatchSize = 64, LearningRate = 0.02f, WeightDecay = 0.0005f, Flip = false)]
public sealed partial class FashionNet
{
    [Conv(32, Kernel = 5, Pad = 2, WeightStd = 0.05f, BiasInit = 0.1f), Relu, MaxPool(2)]
    public partial Layer Conv1 { get; }

    [Conv(64, Kernel = 5, Pad = 2, WeightStd = 0.03f, BiasInit = 0.1f), Relu, MaxPool(2)]
    public partial Layer Conv2 { get; }

    [Dense(128, WeightStd = 0.02f, BiasInit = 0.1f), Relu, Dropout(0.3f)]
    public partial Layer Fc1 { get; }

    [Dense(10, WeightStd = 0.05f), Softmax]
    public partial Layer Fc2 { get; }
}
