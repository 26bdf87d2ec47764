// Fuzz seed 20261251: clean, sealed partial class, training defaults
// Found: generated code does not compile: CS0103 The name 'NaNf' does not exist in the current context at NetGen.Generator/NetGen.Generator.NetworkGenerator/Fuzz.AlexNet.g.cs: (128,92)-(128,96)
// ==== file: Net.cs
using NetGen;
namespace Fuzz;
[Network(Channels = 2, Height = 3, Width = 3)]
[TrainingDefaults(Epochs = 0, LearningRate = float.NaN, Patience = 0)]
public sealed partial class AlexNet
{
    [Conv(2, Kernel = 1)][Lrn(1)] public partial Layer Conv1 { get; }
    [Conv(1, Kernel = 2, Stride = 2, Pad = 1, Round = Rounding.Floor)][Relu] public partial Layer Conv2 { get; }
    [Conv(2, Kernel = 2), Lrn(1)] public partial Layer Conv3 { get; }
    [Dense(2)][Relu][Dropout(0.5f)] public partial Layer Fc4 { get; }
    [Dense(8), Softmax] public partial Layer Fc5 { get; }
}
